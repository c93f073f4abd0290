"""A random token per folder of harvest sources, drawn anew by every write to a record in it.

A harvest's index of its roots (catalogue/harvest/snapshot.py) is trusted only while the
tokens of its folders are those it kept, so every write must change them, whoever makes it:
hence triggers, not code in the services. A record's folder is its source up to and
including the last "/" (Python: ``source[: source.rfind("/") + 1]``); an index on that
expression lets a harvest read again the records of the folders whose token changed. SQLite
and PostgreSQL only; on other databases no index is ever trusted.
"""

from django.db import migrations

TABLE = "catalogue_harvest_folder_token"
RECORDS = "catalogue_harvestrecord"

SQLITE_FOLDER = "rtrim({row}.source, replace({row}.source, '/', ''))"  # up to the last "/"
SQLITE_INDEX = (  # the expression as catalogue/harvest/snapshot.py queries it, unqualified
    f"CREATE INDEX {RECORDS}_folder ON {RECORDS} (rtrim(source, replace(source, '/', '')))"
)
SQLITE_TOUCH = (
    f"INSERT INTO {TABLE} (folder, token) VALUES ({SQLITE_FOLDER}, random()) "
    "ON CONFLICT (folder) DO UPDATE SET token = excluded.token;"
)
SQLITE = [
    f"CREATE TABLE {TABLE} (folder text NOT NULL PRIMARY KEY, token bigint NOT NULL)",
    f"INSERT INTO {TABLE} (folder, token) SELECT folder, random() FROM "
    f"(SELECT DISTINCT {SQLITE_FOLDER.format(row=RECORDS)} AS folder FROM {RECORDS})",
    SQLITE_INDEX,
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {RECORDS} BEGIN "
    f"{SQLITE_TOUCH.format(row='NEW')} END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE ON {RECORDS} BEGIN "
    f"{SQLITE_TOUCH.format(row='OLD')} {SQLITE_TOUCH.format(row='NEW')} END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {RECORDS} BEGIN "
    f"{SQLITE_TOUCH.format(row='OLD')} END",
]
SQLITE_UNDO = [
    f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ("insert", "update", "delete")
] + [f"DROP INDEX IF EXISTS {RECORDS}_folder", f"DROP TABLE IF EXISTS {TABLE}"]

# One statement-level trigger per event, over the rows it wrote (transition tables): a batch
# of 50 records touches its folder once. Folders in order, so two writers lock them alike.
# No regular expression: a harvest reads records by this expression, through a hash index
# (a B-tree would refuse a path longer than about 2,700 bytes).
PG_FOLDER = (
    "(CASE WHEN strpos(source, '/') > 0 "
    "THEN left(source, length(source) - strpos(reverse(source), '/') + 1) ELSE '' END)"
)
PG_TOKEN = "floor(random() * 9.2e18)::bigint"
PG_TOUCH = (
    f"INSERT INTO {TABLE} (folder, token) SELECT folder, {PG_TOKEN} FROM "
    f"(SELECT DISTINCT {PG_FOLDER} AS folder FROM {{rows}}) AS touched ORDER BY folder "
    "ON CONFLICT (folder) DO UPDATE SET token = EXCLUDED.token;"
)
PG = [
    f"CREATE TABLE {TABLE} (folder text NOT NULL PRIMARY KEY, token bigint NOT NULL)",
    f"INSERT INTO {TABLE} (folder, token) SELECT folder, {PG_TOKEN} FROM "
    f"(SELECT DISTINCT {PG_FOLDER} AS folder FROM {RECORDS}) AS existing",
    f"CREATE INDEX {RECORDS}_folder ON {RECORDS} USING hash ({PG_FOLDER})",
    f"""CREATE FUNCTION {TABLE}_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {TABLE};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {PG_TOUCH.format(rows="new_rows")}
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {PG_TOUCH.format(rows="old_rows")}
    END IF;
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON {RECORDS} REFERENCING NEW TABLE AS "
    f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_touch()",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE ON {RECORDS} REFERENCING OLD TABLE AS "
    f"old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_touch()",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON {RECORDS} REFERENCING OLD TABLE AS "
    f"old_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_touch()",
    f"CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON {RECORDS} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_touch()",
]
PG_UNDO = [
    f"DROP TRIGGER IF EXISTS {TABLE}_{event} ON {RECORDS}"
    for event in ("insert", "update", "delete", "truncate")
] + [
    f"DROP FUNCTION IF EXISTS {TABLE}_touch()",
    f"DROP INDEX IF EXISTS {RECORDS}_folder",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0008_dataset_group_access_index_id"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": PG}),
            _run({"sqlite": SQLITE_UNDO, "postgresql": PG_UNDO}),
        ),
    ]
