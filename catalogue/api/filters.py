"""The `filter` parameter of SciCat list endpoints: where, fields, include, limits.

It arrives as `?filter=<json>`, as a `filter` header, or (pyscicat's instruments_get_one) as a
bare JSON query string. Pagination lives in `limits`; LoopBack's top-level limit/skip/order are
honoured too when `limits` is absent, since plain LoopBack clients send them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from .where import FilterError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_FILTER_BYTES = 100_000


@dataclass(frozen=True)
class Limits:
    limit: int = DEFAULT_LIMIT
    skip: int = 0
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)


@dataclass(frozen=True)
class Filter:
    where: dict = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    include: tuple[dict, ...] = ()
    limits: Limits = Limits()


def parse_json_param(raw: str | None, name: str):
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_FILTER_BYTES:
        raise FilterError(f"{name} is too long")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise FilterError(f"Invalid JSON in {name}: {exc}") from exc


def filter_from_request(request) -> Filter:
    """The filter of a request, from the query string, the header, or a bare JSON query."""
    from_query = request.query_params.get("filter")
    from_header = request.headers.get("filter")
    if from_query is not None and from_header is not None:
        raise FilterError("send the filter either as a parameter or as a header, not both")
    raw = from_query if from_query is not None else from_header
    if raw is None:
        raw = _bare_json_query(request.META.get("QUERY_STRING", ""))
    return parse_filter(parse_json_param(raw, "filter"))


def _bare_json_query(query_string: str) -> str | None:
    text = unquote_plus(query_string.split("&access_token=")[0])
    return text if text.startswith("{") else None


def parse_filter(data) -> Filter:
    if data is None:
        return Filter()
    if not isinstance(data, dict):
        raise FilterError("filter must be a JSON object")
    where = data.get("where")
    where = {} if where is None else where
    if not isinstance(where, dict):
        raise FilterError("filter.where must be an object")
    limits_data = data.get("limits")
    if limits_data is None:
        limits_data = {k: data[k] for k in ("limit", "skip", "order") if k in data}
    return Filter(
        where=where,
        fields=parse_fields(data.get("fields")),
        include=parse_include(data.get("include")),
        limits=parse_limits(limits_data),
    )


def parse_fields(value) -> tuple[str, ...]:
    if value in (None, [], {}):
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(name for name, wanted in value.items() if wanted in (1, True))
    raise FilterError("fields must be a list of names or an object of name: true")


def parse_include(value) -> tuple[dict, ...]:
    if value in (None, []):
        return ()
    items = value if isinstance(value, list) else [value]
    parsed = []
    for item in items:
        if isinstance(item, str):
            parsed.append({"relation": item})
        elif isinstance(item, dict) and isinstance(item.get("relation"), str):
            parsed.append(item)
        else:
            raise FilterError('include must name relations, e.g. ["origdatablocks"]')
    return tuple(parsed)


MAX_WHOLE = 2**31 - 1  # a larger skip or limit is read as this (SQL takes 64 bits at most)


def parse_limits(data) -> Limits:
    if data in (None, {}):
        return Limits()
    if not isinstance(data, dict):
        raise FilterError("limits must be an object")
    limit = _non_negative_int(data.get("limit", DEFAULT_LIMIT), "limit")
    skip = _non_negative_int(data.get("skip", 0), "skip")
    return Limits(limit=min(limit or DEFAULT_LIMIT, MAX_LIMIT), skip=skip, order=_order(data))


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FilterError(f"{name} must be a non-negative integer")
    return min(value, MAX_WHOLE)


def _order(data: dict) -> tuple[tuple[str, bool], ...]:
    """'creationTime:desc', 'size DESC', ['a:asc', 'b:desc'] or the v4 {"sort": {"a": -1}}."""
    order = data.get("order")
    if order is None and isinstance(data.get("sort"), dict):
        return tuple((name, value in (-1, "desc")) for name, value in data["sort"].items())
    if order in (None, ""):
        return ()
    items = order if isinstance(order, list) else str(order).split(",")
    parsed = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise FilterError("order must look like 'field:asc' or 'field:desc'")
        name, _, direction = item.strip().replace(" ", ":").partition(":")
        if direction.lower() not in ("", "asc", "desc"):
            raise FilterError(f"unknown sort direction {direction!r}")
        parsed.append((name, direction.lower() == "desc"))
    return tuple(parsed)
