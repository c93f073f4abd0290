"""Datasets as SciCat v3 writes them (OutputDatasetObsoleteDto).

The whole stored record in camelCase with ISO dates, `_id` equal to the pid and Mongoose's
`__v`, plus the v3 singular fields next to the v4 arrays: proposalId, sampleId, instrumentId and
principalInvestigator from the first element (investigator too for derived datasets), present
only when the array is not empty, as upstream. fedcat's own columns (unit_issues, embargo_end)
stay out of the v3 shape.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime
from rest_framework.renderers import JSONRenderer

from catalogue.api.camel import iso, model_to_camel, snake_to_camel
from catalogue.models import Dataset, HistoryEntry

HIDDEN = ("id", "unit_issues", "embargo_end")
SINGULAR = {
    "proposalIds": "proposalId",
    "sampleIds": "sampleId",
    "instrumentIds": "instrumentId",
    "principalInvestigators": "principalInvestigator",
}
# History fields that say who and when, not what changed.
HISTORY_SKIPPED = frozenset({"updated_at", "updated_by", "unit_issues"})


def dataset_v3(dataset: Dataset, *, fields: Iterable[str] = (), history=None) -> dict:
    """One dataset; `fields` projects it (as Mongo does, `_id` always stays)."""
    doc = {"_id": dataset.pid}
    doc.update(model_to_camel(dataset, exclude=HIDDEN))
    for plural, singular in SINGULAR.items():
        if doc.get(plural):
            doc[singular] = doc[plural][0]
    if dataset.type == "derived" and dataset.principal_investigators:
        doc["investigator"] = dataset.principal_investigators[0]
    doc["__v"] = 0
    if fields:
        doc = _project(doc, fields)
    if history is not None:
        doc["history"] = history
    return doc


# --- a page straight from the database rows --------------------------------------------------
#
# A page of 100 datasets spent most of its time decoding each JSON column (scientificMetadata
# above all) only to encode it again. This path reads the JSON columns as text and puts that
# text into the response as it is (orjson.Fragment), with the same documents as dataset_v3:
# the same keys in the same order; JSON values equal (whitespace and number spelling may
# differ, as the database writes them).

# Decoded: the v3 singular fields (proposalId, ...) take their first item.
_LISTS = frozenset({"proposal_ids", "sample_ids", "instrument_ids", "principal_investigators"})


def _v3_columns() -> list[tuple[str, str, str]]:
    """(values_list name, camelCase key, kind) of each field dataset_v3 shows, in its order."""
    columns = []
    for field in Dataset._meta.concrete_fields:
        if field.name in HIDDEN:
            continue
        camel = snake_to_camel(field.name)
        if isinstance(field, models.JSONField):
            kind = "list" if field.attname in _LISTS else "json"
            columns.append((f"v3_{field.attname}", camel, kind))
        elif isinstance(field, models.DateTimeField):
            columns.append((field.attname, camel, "date"))
        elif isinstance(field, models.UUIDField):
            columns.append((field.attname, camel, "uuid"))
        else:
            columns.append((field.attname, camel, "value"))
    return columns


V3_COLUMNS = _v3_columns()
_KEYS = tuple(camel for _, camel, _ in V3_COLUMNS)
# Where each kind of value sits in a row, and the columns the v3 singular fields come from.
_AT = {
    kind: tuple(index for index, (_, _, each) in enumerate(V3_COLUMNS) if each == kind)
    for kind in ("json", "list", "date", "uuid")
}
_INDEX = {camel: index for index, camel in enumerate(_KEYS)}
_SINGULAR_AT = tuple((_INDEX[plural], singular) for plural, singular in SINGULAR.items())
_INVESTIGATORS = "principalInvestigators"


def v3_values(queryset) -> models.QuerySet:
    """`queryset` as the rows datasets_v3 takes: JSON columns as their text."""
    text = {
        name: Cast(name[3:], models.TextField())
        for name, _, kind in V3_COLUMNS
        if kind in ("json", "list")
    }
    return queryset.annotate(**text).values_list(*(name for name, _, _ in V3_COLUMNS))


def v3_rows(queryset, start: int, stop: int) -> list[tuple]:
    """The rows of `queryset[start:stop]` as v3_values gives them (on PostgreSQL, the dates as
    the text `iso` writes too).

    On PostgreSQL the ORM builds only the page of ids (where, order, skip, limit); the columns
    come from a statement written once around it. With the ORM, building the select of 50
    columns and 14 casts cost more than the database took to answer, and reading 500 dates a
    page into datetimes (Django's time zone loader is pure Python) and writing them back as
    text cost as much again."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset.query.distinct:
        return list(v3_values(queryset)[start:stop])
    ids = queryset.values_list("pk")[start:stop]
    try:
        sql, params = ids.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return []
    head, tail = _page_sql(queryset.db)
    with connection.cursor() as cursor:
        cursor.execute(head + sql + tail, params)
        return cursor.fetchall()


@functools.cache
def _page_sql(alias: str) -> tuple[str, str]:
    """The statement of v3_rows, before and after the SQL of the page of ids. ARRAY() keeps the
    order in which the page's query returns its ids; WITH ORDINALITY numbers them."""
    quote = connections[alias].ops.quote_name
    fields = {field.attname: field for field in Dataset._meta.concrete_fields}
    columns = []
    for name, _, kind in V3_COLUMNS:
        column = "d." + quote(fields[name[3:] if kind in ("json", "list") else name].column)
        if kind in ("json", "list"):
            column = f"CAST({column} AS text)"
        elif kind == "date":  # FM: no leading zeros in a year before 1000, as `iso` writes it
            column = f"""to_char({column} AT TIME ZONE 'UTC', 'FMYYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
        columns.append(column)
    head = f"SELECT {', '.join(columns)} FROM unnest(ARRAY("
    tail = (
        f")) WITH ORDINALITY AS page(id, n) JOIN {quote(Dataset._meta.db_table)} d"
        f" ON d.{quote(Dataset._meta.pk.column)} = page.id ORDER BY page.n"
    )
    return head, tail


def _iso_unless_text(value) -> str:
    """A date as `iso` writes it; text already when v3_rows had PostgreSQL write it."""
    return value if value.__class__ is str else iso(value)


def datasets_v3(rows, *, fields: Iterable[str] = ()) -> list[dict]:
    """dataset_v3 of each row of v3_rows, for V3JSONRenderer (JSON text kept as text)."""
    docs = []
    converters = (
        (_AT["json"], orjson.Fragment),
        (_AT["list"], orjson.loads),
        (_AT["date"], _iso_unless_text),
        (_AT["uuid"], str),
    )
    pid_at, type_at, investigators_at = _INDEX["pid"], _INDEX["type"], _INDEX[_INVESTIGATORS]
    for row in rows:
        values = list(row)  # most values are right as they come
        for indexes, convert in converters:
            for index in indexes:
                if (value := values[index]) is not None:
                    values[index] = convert(value)
        doc = {"_id": values[pid_at]}
        doc.update(zip(_KEYS, values, strict=True))
        for index, singular in _SINGULAR_AT:
            if value := values[index]:
                doc[singular] = value[0]
        if values[type_at] == "derived" and values[investigators_at]:
            doc["investigator"] = values[investigators_at][0]
        doc["__v"] = 0
        docs.append(_project(doc, fields) if fields else doc)
    return docs


class V3JSONRenderer(JSONRenderer):
    """DRF's JSON, written by orjson, which also takes the JSON text of datasets_v3 as it is.

    What orjson cannot write (an integer past 64 bits in a request's echo, ...) goes to DRF's
    own encoder, so the output never differs in meaning.
    """

    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        options = self._options
        if self.get_indent(accepted_media_type, renderer_context or {}):
            options |= orjson.OPT_INDENT_2
        try:
            return orjson.dumps(data, default=self.encoder_class().default, option=options)
        except (TypeError, orjson.JSONEncodeError):
            return super().render(data, accepted_media_type, renderer_context)


def _project(doc: dict, fields: Iterable[str]) -> dict:
    wanted = {"_id"}
    for name in fields:
        head = str(name).split(".")[0]  # a dotted name keeps its whole top-level object
        wanted.add(head)
        if head in SINGULAR:
            wanted.add(SINGULAR[head])
        if head in ("principalInvestigators", "investigator", "principalInvestigator"):
            wanted.update({"principalInvestigator", "investigator"})
    return {key: value for key, value in doc.items() if key in wanted}


def history_v3(entries: Iterable[HistoryEntry]) -> list[dict]:
    """The legacy `history` list, newest first: one item per update, each changed field as
    {currentValue, previousValue}."""
    items = []
    for entry in entries:
        if entry.operation != "update":
            continue
        item = {"updatedAt": iso(entry.timestamp), "updatedBy": entry.user, "_id": str(entry.pk)}
        for name in entry.after:
            if name in HISTORY_SKIPPED:
                continue
            item[snake_to_camel(name)] = {
                "currentValue": entry.after.get(name),
                "previousValue": entry.before.get(name),
            }
        items.append(item)
    return items


def dataset_from_snapshot(snapshot: dict) -> Dataset:
    """An unsaved Dataset from a service snapshot (attribute names, JSON values)."""
    values = {}
    for field in Dataset._meta.concrete_fields:
        if field.attname not in snapshot:
            continue
        value = snapshot[field.attname]
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            value = parse_datetime(value)
        values[field.attname] = value
    return Dataset(**values)
