"""Folder tokens keyed by a hash of the folder on PostgreSQL, not by its text.

A B-tree entry holds at most about 2,700 bytes, so the primary key on the folder text of
migration 0009 refused the token of a folder with a longer path: the trigger, and with it the
whole batch of records being written, failed. The unique index is now on md5(folder) (the
same size for every path); the trigger's upsert names that index. Reads of the tokens never
used the key (they compare prefixes). SQLite has no such limit and keeps its table as it is.
"""

from django.db import migrations

TABLE = "catalogue_harvest_folder_token"
KEY = f"{TABLE}_folder_md5"


def _touch_function(conflict_target: str) -> str:
    """The trigger function of 0009 with another ON CONFLICT target."""
    from importlib import import_module

    tokens = import_module("catalogue.migrations.0009_harvest_folder_tokens")
    function = next(sql for sql in tokens.PG if sql.startswith("CREATE FUNCTION"))
    function = function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    return function.replace("ON CONFLICT (folder)", f"ON CONFLICT {conflict_target}")


PG = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
    f"CREATE UNIQUE INDEX {KEY} ON {TABLE} (md5(folder))",
    _touch_function("((md5(folder)))"),
]
PG_UNDO = [
    _touch_function("(folder)"),
    f"DROP INDEX {KEY}",
    f"ALTER TABLE {TABLE} ADD PRIMARY KEY (folder)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0009_harvest_folder_tokens"),
    ]

    operations = [migrations.RunPython(_run(PG), _run(PG_UNDO))]
