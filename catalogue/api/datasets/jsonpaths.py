"""Comparisons on values inside JSON columns that mean the same on SQLite and PostgreSQL.

Without a type test the two databases disagree across JSON types: SQLite orders any text above
every number (so `"n/a" > 5` holds), PostgreSQL's jsonb orders strings below numbers (so
`"n/a" < 5` holds). Every comparison here is therefore guarded by the JSON type of the value, as
Mongo's type bracketing does upstream: numeric relations match JSON numbers, string relations
JSON strings.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import CharField, Func, JSONField, Q, Value
from django.db.models.fields.json import (
    KeyTransform,
    KeyTransformExact,
    KeyTransformGt,
    KeyTransformGte,
    KeyTransformIContains,
    KeyTransformLt,
    KeyTransformLte,
    compile_json_path,
)
from django.db.models.lookups import In

NUMBER = ("number", "integer", "real")  # jsonb_typeof / SQLite json_type spellings
STRING = ("string", "text")
COMPARE = {
    "gt": KeyTransformGt,
    "gte": KeyTransformGte,
    "lt": KeyTransformLt,
    "lte": KeyTransformLte,
    "exact": KeyTransformExact,
}


class JSONType(Func):
    """The JSON type name of the value at a KeyTransform path (NULL when there is none)."""

    output_field = CharField()

    def __init__(self, path: KeyTransform):
        super().__init__(path)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"JSON type tests are not written for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"jsonb_typeof({sql})", params

    def as_sqlite(self, compiler, connection, **extra):
        lhs, params, keys = self.source_expressions[0].preprocess_lhs(compiler, connection)
        return f"JSON_TYPE({lhs}, %s)", (*params, compile_json_path(keys))


def json_path(column: str, keys) -> KeyTransform:
    """`column` -> key -> key ...; keys may hold any character, '__' and '.' included."""
    keys = list(keys)
    if not keys:
        raise ValueError("a JSON path needs at least one key")
    path = KeyTransform(str(keys[0]), column)
    for key in keys[1:]:
        path = KeyTransform(str(key), path)
    return path


def _json(value) -> Value:
    # The path is not resolved yet when a lookup is built by hand, so Django cannot find the
    # JSONField that would encode the value; say it here.
    return Value(value, output_field=JSONField())


def _typed(column: str, keys, types) -> Q:
    return Q(In(JSONType(json_path(column, keys)), list(types)))


def number_compare(column: str, keys, op: str, value) -> Q:
    """The JSON number at the path compares `op` (gt, gte, lt, lte, exact) with `value`."""
    return _typed(column, keys, NUMBER) & Q(COMPARE[op](json_path(column, keys), _json(value)))


def string_equals(column: str, keys, value: str) -> Q:
    equal = KeyTransformExact(json_path(column, keys), _json(value))
    return _typed(column, keys, STRING) & Q(equal)


def string_contains(column: str, keys, value: str) -> Q:
    """The JSON string at the path contains `value`, ignoring case."""
    return _typed(column, keys, STRING) & Q(KeyTransformIContains(json_path(column, keys), value))
