"""Typed reads inside JSON columns, and SciCat's metadata conditions built on them.

`JsonScalar(column, keys, kind)` is the value at a key path when it has the JSON type `kind`
("number" or "string"), else NULL. Comparing typed values keeps SQLite and PostgreSQL in step:
compared raw, a JSON string sorts below every number on PostgreSQL and above on SQLite, so
`< 5` would match "abc" on one and not the other.

`condition_q` turns one parsed condition (search.query ScientificCondition: lhs, relation, rhs,
unit) into a filter, with SciCat's semantics (scicat-api.md §2.7): with a unit, compare the
stored valueSI and require the same unitSI; without one, string relations and </>/<=/>= look at
`<lhs>`, `<lhs>.v` and `<lhs>.value`, EQUAL_TO_NUMERIC and RANGE only at `<lhs>.value`.
CONTAINS_STRING is a case-insensitive substring match (broken upstream); nested lhs paths work.
"""

from __future__ import annotations

import json
from functools import reduce
from operator import or_

from django.db import NotSupportedError
from django.db.models import F, FloatField, Func, Q, TextField
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    LessThan,
    LessThanOrEqual,
)

NUMBER, STRING = "number", "string"
COMPARE = {
    "GREATER_THAN": GreaterThan,
    "LESS_THAN": LessThan,
    "GREATER_THAN_OR_EQUAL": GreaterThanOrEqual,
    "LESS_THAN_OR_EQUAL": LessThanOrEqual,
    "EQUAL_TO_NUMERIC": Exact,
}


class JsonScalar(Func):
    def __init__(self, column: str, keys, kind: str):
        self.keys = [str(key) for key in keys]
        self.kind = kind
        output = FloatField() if kind == NUMBER else TextField()
        super().__init__(F(column), output_field=output)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"typed JSON values are not written for {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        path = "$" + "".join("." + json.dumps(key) for key in self.keys)
        types = "('integer', 'real')" if self.kind == NUMBER else "('text')"
        sql = f"CASE WHEN json_type({column}, %s) IN {types} THEN json_extract({column}, %s) END"
        return sql, (*params, path, *params, path)

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        cast = "::double precision" if self.kind == NUMBER else ""
        sql = (
            f"CASE WHEN jsonb_typeof({column} #> %s::text[]) = '{self.kind}' "
            f"THEN ({column} #>> %s::text[]){cast} END"
        )
        return sql, (*params, self.keys, *params, self.keys)


def _numeric(value, relation: str, rhs, bounds: str) -> Q:
    if relation == "RANGE":
        low, high = rhs
        above = GreaterThanOrEqual if bounds[0] == "[" else GreaterThan
        below = LessThanOrEqual if bounds[1] == "]" else LessThan
        return Q(above(value, low)) & Q(below(value, high))
    return Q(COMPARE[relation](value, rhs))


def condition_q(column: str, condition) -> Q:
    """A filter for one ScientificCondition on the JSON object in `column`."""
    keys = condition.key.split(".")
    if condition.unit:
        same_unit = Q(Exact(JsonScalar(column, [*keys, "unitSI"], STRING), condition.unit_si))
        value = JsonScalar(column, [*keys, "valueSI"], NUMBER)
        found = same_unit & _numeric(
            value, condition.relation, condition.value_si, condition.bounds
        )
    else:
        if condition.relation in ("EQUAL_TO_NUMERIC", "RANGE"):
            paths = [[*keys, "value"]]
        else:
            paths = [keys, [*keys, "v"], [*keys, "value"]]
        found = reduce(or_, (_raw(column, path, condition) for path in paths))
    return ~found if condition.negate else found


def _raw(column: str, path: list[str], condition) -> Q:
    if condition.relation == "EQUAL_TO_STRING":
        return Q(Exact(JsonScalar(column, path, STRING), condition.value))
    if condition.relation == "CONTAINS_STRING":
        return Q(IContains(JsonScalar(column, path, STRING), condition.value))
    value = JsonScalar(column, path, NUMBER)
    return _numeric(value, condition.relation, condition.value, condition.bounds)
