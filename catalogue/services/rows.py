"""Plain rows into a table in one go, for the bulk writes (harvest batches, dataset_bulk_create).

On PostgreSQL a COPY: one round trip for all the rows, where executemany sends (and the server
parses and plans) one INSERT per row, the values quoted into its text by the client. Elsewhere
one executemany. Values are as the database driver takes them; JSON columns take the JSON text.
``insert_objects`` does what bulk_create does for plain model instances this way: bulk_create
builds its SQL value by value (and on PostgreSQL an array per column), which cost more than the
database's work for the harvest's rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, connections, models


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {quote(table)} ({names}) FROM STDIN"
            # COPY goes past Django's cursor wrapper: its errors made Django's (IntegrityError).
            with connection.wrap_database_errors, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)


class _Columns:
    """How each field of a model goes into a row, worked out once for all the rows."""

    JSON = object()

    def __init__(self, model: type[models.Model]):
        self.fields = [field for field in model._meta.concrete_fields if not field.db_returning]
        self.plan = []
        for field in self.fields:
            # pre_save only where a field has its own (auto_now and the like): a plain getattr
            # costs a fraction, and this runs for every value of every row.
            own = type(field).pre_save is not models.Field.pre_save
            kind = self.JSON if isinstance(field, models.JSONField) else _PLAIN.get(type(field))
            self.plan.append((field, field.attname, own, kind))

    def row(self, obj: models.Model, texts: dict | None, db) -> list:
        """The values of `obj` as an INSERT stores them (auto_now set, as save does); JSON
        fields as their text, also put in `texts` by attname when given."""
        row = []
        for field, attname, own, kind in self.plan:
            value = field.pre_save(obj, True) if own else getattr(obj, attname)
            if value is None or type(value) is kind:
                pass
            elif kind is self.JSON:
                value = json.dumps(value, cls=field.encoder)
                if texts is not None:
                    texts[attname] = value
            else:
                value = field.get_db_prep_save(value, db)
            row.append(value)
        return row


# Fields that store a value of this type as it is (get_db_prep_save would hand it back).
_PLAIN = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.BooleanField: bool,
}


def insert_objects(objs: list[models.Model], *, key: str = "", texts: list | None = None) -> None:
    """bulk_create(objs) for model instances without database defaults or expressions. An
    auto id is read back by `key`, a unique field (without one, the ids stay unknown). With a
    list as `texts`, each object's JSON fields as written (see _Columns.row) are appended to it.
    """
    if not objs:
        return
    meta = objs[0]._meta
    columns, db = _Columns(meta.model), connections[connection.alias]  # not the proxy, per value
    rows = []
    for obj in objs:
        if texts is not None:
            texts.append({})
        rows.append(columns.row(obj, texts[-1] if texts is not None else None, db))
    insert_rows(meta.db_table, [field.column for field in columns.fields], rows)
    if key and meta.pk.db_returning:
        by_key = {getattr(obj, key): obj for obj in objs}
        keys = list(by_key)
        for start in range(0, len(keys), 900):  # SQLite takes 999 parameters
            chunk = meta.model.objects.filter(**{f"{key}__in": keys[start : start + 900]})
            for pk, value in chunk.values_list("pk", key):
                by_key[value].pk = pk
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
