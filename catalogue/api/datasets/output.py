"""Datasets as SciCat v3 writes them (OutputDatasetObsoleteDto).

The whole stored record in camelCase with ISO dates, `_id` equal to the pid and Mongoose's
`__v`, plus the v3 singular fields next to the v4 arrays: proposalId, sampleId, instrumentId and
principalInvestigator from the first element (investigator too for derived datasets), present
only when the array is not empty, as upstream. fedcat's own columns (unit_issues, embargo_end)
stay out of the v3 shape.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from django.db import models
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
_OF_KIND = {
    kind: tuple(camel for _, camel, each in V3_COLUMNS if each == kind)
    for kind in ("json", "list", "date", "uuid")
}


def v3_values(queryset) -> models.QuerySet:
    """`queryset` as the rows datasets_v3 takes: JSON columns as their text."""
    text = {
        name: Cast(name[3:], models.TextField())
        for name, _, kind in V3_COLUMNS
        if kind in ("json", "list")
    }
    return queryset.annotate(**text).values_list(*(name for name, _, _ in V3_COLUMNS))


def datasets_v3(rows, *, fields: Iterable[str] = ()) -> list[dict]:
    """dataset_v3 of each row of v3_values, for V3JSONRenderer (JSON text kept as text)."""
    docs = []
    fragment, loads = orjson.Fragment, orjson.loads
    converters = (
        (_OF_KIND["json"], fragment),
        (_OF_KIND["list"], loads),
        (_OF_KIND["date"], iso),
        (_OF_KIND["uuid"], str),
    )
    for row in rows:
        doc = {"_id": None}
        doc.update(zip(_KEYS, row, strict=True))  # in C: most values are right as they come
        for keys, convert in converters:
            for key in keys:
                value = doc[key]
                if value is not None:
                    doc[key] = convert(value)
        doc["_id"] = doc["pid"]
        for plural, singular in SINGULAR.items():
            if doc.get(plural):
                doc[singular] = doc[plural][0]
        if doc.get("type") == "derived" and doc.get("principalInvestigators"):
            doc["investigator"] = doc["principalInvestigators"][0]
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
