"""Datasets as SciCat v3 writes them (OutputDatasetObsoleteDto).

The whole stored record in camelCase with ISO dates, `_id` equal to the pid and Mongoose's
`__v`, plus the v3 singular fields next to the v4 arrays: proposalId, sampleId, instrumentId and
principalInvestigator from the first element (investigator too for derived datasets), present
only when the array is not empty, as upstream. fedcat's own columns (unit_issues, embargo_end)
stay out of the v3 shape.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.dateparse import parse_datetime

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
