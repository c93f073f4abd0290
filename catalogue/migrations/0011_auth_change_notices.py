"""PostgreSQL: a notice on the channel `fedcat_auth` whenever what a token stands for may change.

The API remembers verified tokens per database connection (catalogue/services/token_cache.py)
and forgets them all at such a notice: a token updated (but for its last use) or deleted, a
user changed or deleted, a membership added or removed, a group renamed or deleted. A notice is
sent when the change commits. Other databases keep no such cache.
"""

from django.conf import settings
from django.db import migrations

CHANNEL = "fedcat_auth"
FUNCTION = "fedcat_auth_changed"
TOKENS = "catalogue_apitoken"


def _tables(apps) -> dict[str, str]:
    user = apps.get_model(settings.AUTH_USER_MODEL)
    groups = user._meta.get_field("groups")
    return {
        "user": user._meta.db_table,
        "membership": groups.remote_field.through._meta.db_table,
        "group": groups.related_model._meta.db_table,
    }


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = _tables(apps)
    statements = [
        f"""CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$""",
        # Not for last_used_at alone: every token's use writes it once a minute.
        f"CREATE TRIGGER {FUNCTION}_token_update AFTER UPDATE ON {TOKENS} FOR EACH ROW WHEN"
        " ((OLD.key_hash, OLD.user_id, OLD.expires_at) IS DISTINCT FROM"
        f" (NEW.key_hash, NEW.user_id, NEW.expires_at)) EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {FUNCTION}_token_delete AFTER DELETE OR TRUNCATE ON {TOKENS}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {FUNCTION}_user AFTER UPDATE OR DELETE OR TRUNCATE ON {tables['user']}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {FUNCTION}_membership AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        f" ON {tables['membership']} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        f"CREATE TRIGGER {FUNCTION}_group AFTER UPDATE OR DELETE OR TRUNCATE ON {tables['group']}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    ]
    for sql in statements:
        schema_editor.execute(sql)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    tables = _tables(apps)
    triggers = [
        ("token_update", TOKENS),
        ("token_delete", TOKENS),
        ("user", tables["user"]),
        ("membership", tables["membership"]),
        ("group", tables["group"]),
    ]
    for name, table in triggers:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{name} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0010_harvest_folder_token_hash_key"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(_create, _drop)]
