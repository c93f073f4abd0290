"""SciCat v3 ``fields`` (fullquery/fullfacet), ``limits`` and ``facets`` -> SearchRequest.

Keys of ``fields`` (scicat-api.md §2.5): ``text`` (words, "phrases", -exclusions), ``scientific``
(conditions, §2.7), any known field (a value, or a list meaning any of them), date fields as
``{begin, end}`` (both inclusive), number fields as ``{min, max}``, booleans. ``userGroups`` and
``metadataKey`` are ignored: access comes from the server, metadataKey belongs to another endpoint.

``mode`` is upstream's raw Mongo escape hatch. Here it is restricted: ``{}`` is ignored, and plain
``field: value`` pairs on known fields (``"datasetlifecycle.archivable": true``, which the SciCat
frontend's archive tabs send) become filters. Any Mongo operator (``$or``, ``$ne``...) is refused
with QueryError, so no query text ever reaches a database unparsed.
"""

from __future__ import annotations

from .model import (
    BOOL,
    DATE,
    TERM,
    QueryError,
    SearchRequest,
    facets_named,
    field_named,
    sort_named,
)
from .portal import parse_text
from .values import (
    compare,
    field_value,
    high_bound,
    load_json,
    load_object,
    low_bound,
    make_condition,
    make_page,
    make_range,
    term_filter,
)

__all__ = ["SCICAT_DEFAULT_LIMIT", "parse_scicat"]

SCICAT_DEFAULT_LIMIT = 100
_IGNORED = frozenset({"userGroups", "metadataKey"})


def parse_scicat(fields=None, *, limits=None, facets=None) -> SearchRequest:
    """fields/limits: dicts or their JSON text; facets: a list of names or its JSON text."""
    fields = load_object(fields, "fields")
    words = phrases = excluded = ()
    filters: list = []
    scientific: list = []
    for key, value in fields.items():
        if key == "text":
            if value not in (None, ""):
                words, phrases, excluded = parse_text(value)
        elif key == "mode":
            filters += _mode(value)
        elif key == "scientific":
            scientific += _scientific(value)
        elif key not in _IGNORED:
            filters += _field(key, value)
    offset, limit, sort = _limits(load_json(limits, "limits"))
    facets = load_json(facets, "facets")
    return SearchRequest(
        words=words,
        phrases=phrases,
        excluded=excluded,
        filters=tuple(filters),
        scientific=tuple(scientific),
        facets=() if facets is None else facets_named(facets),
        sort=sort,
        offset=offset,
        limit=limit,
    )


def _field(key: str, value) -> list:
    field = field_named(key) if isinstance(key, str) else None
    if field is None:
        raise QueryError(f"unknown field {key!r}", field=str(key))
    if value is None or value == "" or value == []:
        return []  # the SciCat frontend drops empty filters; so do we
    name = field.display
    if field.kind in (TERM, BOOL):
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, (dict, list)) or v is None for v in values):
            raise QueryError(f"{name} takes a value or a list of values", field=name)
        if field.kind == TERM and any(isinstance(v, bool) for v in values):
            raise QueryError(f"{name} takes text values", field=name)
        return [term_filter(field, values)]
    if not isinstance(value, dict):
        if isinstance(value, (list, bool)):
            raise QueryError(f"{name} takes a single value or a range", field=name)
        return [compare(field, ":", field_value(field, value))]
    ends = ("begin", "end") if field.kind == DATE else ("min", "max")
    unknown = set(value) - set(ends)
    if unknown:
        raise QueryError(f"{name} takes {{{ends[0]}, {ends[1]}}}", field=name)
    low, high = (value.get(end) for end in ends)
    low = None if low in (None, "") else low_bound(field_value(field, low), True)
    high = None if high in (None, "") else high_bound(field_value(field, high), True)
    if low is None and high is None:
        return []
    return [make_range(field, low, high)]


def _mode(mode) -> list:
    if mode is None:
        return []
    if not isinstance(mode, dict):
        raise QueryError("mode must be an object", field="mode")
    out = []
    for key, value in mode.items():
        if not isinstance(key, str) or "$" in key or isinstance(value, dict):
            raise QueryError(
                "mode accepts only field: value pairs; Mongo operators are not supported",
                field="mode",
            )
        out += _field(key, value)
    return out


def _scientific(conditions) -> list:
    if conditions is None:
        return []
    if not isinstance(conditions, list):
        raise QueryError("scientific must be a list of conditions", field="scientific")
    out = []
    for c in conditions:
        if not isinstance(c, dict) or not {"lhs", "relation", "rhs"} <= set(c):
            raise QueryError(
                "each scientific condition is {lhs, relation, rhs, unit}", field="scientific"
            )
        out.append(make_condition(c["lhs"], c["relation"], c["rhs"], c.get("unit")))
    return out


def _limits(limits) -> tuple[int, int, str | None]:
    if limits is None:
        limits = {}
    if not isinstance(limits, dict):
        raise QueryError("limits must be an object", field="limits")
    skip, limit = limits.get("skip"), limits.get("limit")
    offset, limit = make_page(
        0 if skip is None else skip, SCICAT_DEFAULT_LIMIT if limit is None else limit
    )
    order = limits.get("order")
    if order in (None, ""):
        return offset, limit, None
    if not isinstance(order, str):
        raise QueryError('order must be text like "creationTime:desc"', field="order")
    return offset, limit, parse_order(order.split(",")[0])


def parse_order(order: str) -> str:
    """ "creationTime:desc" or "title DESC" -> a canonical sort key."""
    field, _, direction = order.strip().replace(":", " ").partition(" ")
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise QueryError(f"unknown sort direction {direction!r}; use asc or desc", field="order")
    return sort_named(field, direction == "desc")
