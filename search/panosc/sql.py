"""Membership tests on JSON lists (PublishedData.dataset_pids), for SQLite and PostgreSQL.

A publication lists its datasets in a JSON array; "the publication has one of these datasets"
and "the dataset is in this publication" are asked with each database's own JSON functions
(json_each on SQLite, jsonb_array_elements_text / jsonb_exists on PostgreSQL), as
catalogue.access_entities does for access groups, so the database answers them without
loading the lists.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func, Subquery


class JsonListHasAnyOf(Func):
    """The JSON list in `column` holds a string that `queryset` (one column) returns."""

    output_field = BooleanField()

    def __init__(self, column: str, queryset):
        super().__init__(F(column), Subquery(queryset))

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"JSON list tests are not written for {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS element "
            f"WHERE element.type = 'text' AND element.value IN {subquery})"
        )
        return sql, (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        array = f"(CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} ELSE '[]'::jsonb END)"
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({array}) AS element(value) "
            f"WHERE element.value IN {subquery})"
        )
        return sql, (*column_params, *column_params, *subquery_params)


class JsonListContains(Func):
    """The JSON list in `column` holds the string `value` (an expression, e.g. OuterRef)."""

    output_field = BooleanField()

    def __init__(self, column: str, value):
        super().__init__(F(column), value)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"JSON list tests are not written for {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS element "
            f"WHERE element.type = 'text' AND element.value = {value})"
        )
        return sql, (*column_params, *value_params)

    def as_postgresql(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        return f"jsonb_exists({column}, {value})", (*column_params, *value_params)
