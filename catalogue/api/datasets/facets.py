"""fullfacet counts and metadataKeys over an already filtered (and visibility-checked) queryset.

Shape (scicat-api.md §2.6): `[{"<facet>": [{"_id": value, "count": n}, ...], ...,
"all": [{"totalSets": N}]}]`, `all` being `[]` when nothing matches. Each facet is sorted by
`_id` descending; arrays are unwound (one count per element); dates are grouped by
`{year, month, day}` in UTC; an empty text value counts as null, as a missing field does
upstream. Counts come from the queryset they are given, so they never count a dataset its
caller could not list.

Array fields with a DatasetTerm index (keywords, accessGroups, sharedWith, proposal, sample and
instrument ids) and plain columns are counted by the database. Other JSON values
(`datasetlifecycle.*`, `techniques`, `principalInvestigators`, ...) are counted in Python while
streaming that one column.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from catalogue.api.fields import dataset_field
from catalogue.api.filters import Limits
from catalogue.api.where import FilterError
from catalogue.models import DatasetTerm

from .reads import ordered

MAX_FACETS = 50


def parse_facets(raw) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise FilterError("facets must be a JSON array of field names")
    if len(raw) > MAX_FACETS:
        raise FilterError(f"at most {MAX_FACETS} facets may be asked for at once")
    for name in raw:
        dataset_field(name)  # an unknown field is a 400 before anything is counted
    return list(dict.fromkeys(raw))


def fullfacet(queryset: QuerySet, facets: list[str]) -> list[dict]:
    queryset = queryset.order_by()
    result = {name: _sorted(_groups(queryset, name)) for name in facets}
    total = queryset.count()
    result["all"] = [{"totalSets": total}] if total else []
    return [result]


def _groups(queryset: QuerySet, name: str) -> Counter:
    ref = dataset_field(name)
    if ref.kind == "terms":
        rows = (
            DatasetTerm.objects.filter(dataset__in=queryset.values("pk"), kind=ref.term_kind)
            .values_list("value")
            .annotate(count=Count("id"))
            .order_by()
        )
        return Counter(dict(rows))
    if ref.kind == "json":
        return _json_groups(queryset, ref.lookup)
    if ref.kind == "date":
        rows = (
            queryset.annotate(_day=TruncDate(ref.lookup, tzinfo=UTC))
            .values_list("_day")
            .annotate(count=Count("pk"))
            .order_by()
        )
        days = Counter()
        for day, count in rows:
            key = None if day is None else (day.year, day.month, day.day)
            days[key] += count
        return days
    rows = queryset.values_list(ref.lookup).annotate(count=Count("pk")).order_by()
    counts = Counter()
    for value, count in rows:
        counts[None if value == "" else value] += count
    return counts


def _json_groups(queryset: QuerySet, lookup: str) -> Counter:
    column, *keys = lookup.split("__")
    counts = Counter()
    for value in queryset.values_list(column, flat=True).iterator(chunk_size=2000):
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        for item in value if isinstance(value, list) else [value]:
            counts[_Original(None if item == "" else item)] += 1
    return counts


class _Original:
    """A JSON value as a Counter key (objects and lists are not hashable), shown as itself."""

    def __init__(self, value):
        self.value = value
        text = json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value
        self.key = (type(value).__name__, text)

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _Original) and self.key == other.key


def _rank(value):
    """Mongo's order of types: null < numbers < text < objects < arrays < booleans."""
    if isinstance(value, _Original):
        value = value.value
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, tuple):  # a day of a date facet
        return (3, "", value)
    if isinstance(value, dict):
        return (3, json.dumps(value, sort_keys=True), ())
    return (4, json.dumps(value, sort_keys=True))


def _shown(value):
    if isinstance(value, _Original):
        return value.value
    if isinstance(value, tuple):
        return {"year": value[0], "month": value[1], "day": value[2]}
    return value


def _sorted(groups: Counter) -> list[dict]:
    ordered_keys = sorted(groups, key=_rank, reverse=True)
    return [{"_id": _shown(key), "count": groups[key]} for key in ordered_keys]


def metadata_keys(queryset: QuerySet, limits: Limits, needle=None) -> list[str]:
    """Dotted scientificMetadata keys of the datasets of one page (`limits`, default 100, at most
    1000 datasets scanned), sorted (PostgreSQL's jsonb does not keep the order keys were written
    in); a quantity ({value, unit}) is one key, as upstream."""
    page = ordered(queryset, limits.order)[limits.skip : limits.skip + limits.limit]
    return keys_in(page.values_list("scientific_metadata", flat=True), needle)


def keys_in(metadata_records, needle=None) -> list[str]:
    """The sorted dotted keys of these scientificMetadata values, those containing `needle`."""
    found: dict[str, None] = {}
    for metadata in metadata_records:
        _flatten(metadata or {}, "", found)
    keys = sorted(found)
    if isinstance(needle, str) and needle:
        keys = [key for key in keys if needle.lower() in key.lower()]
    return keys


def _is_branch(value) -> bool:
    """An object to descend into; upstream stops at anything with a unit (a quantity)."""
    if not isinstance(value, dict):
        return False
    return not any(name in value and (value[name] or value[name] == "") for name in ("unit", "u"))


def _flatten(node: dict, prefix: str, found: dict) -> None:
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if _is_branch(value):
            _flatten(value, path, found)
        else:
            found[path] = None
