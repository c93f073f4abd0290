"""The search as JSON, for the portal's scripts and for API clients (mounted at /api/search/).

    GET /api/search/?q=<portal query>&page=&size=&facets=instrument,technique&sort=-date
    GET /api/search/keys?prefix=temp

Adapters only: parse with search.query, call search.service.search (which applies the user's
access rules inside the engine), render. Authentication is the API's (a session or an
``Authorization: Bearer`` token); anonymous callers see public data. The query syntax is in
docs/search-syntax.md.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import quote

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.http import RFC3986_SUBDELIMS
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.access import Action, can, principal_for
from catalogue.models import Dataset

from .access import access_filter
from .query import QueryError, SearchRequest, parse_query_string
from .query.model import sort_named
from .service import SearchResult, search

__all__ = ["KeysApi", "SearchApi", "metadata_keys"]

DESCRIPTION_CHARS = 300  # the plain-text description snippet of a hit
KEY_SCAN = 1000  # newest visible datasets whose metadata keys /keys looks at
KEYS_CACHE_SECONDS = 300
MAX_KEYS = 50  # keys one /keys answer lists
MAX_UNITS = 5  # units listed per key
MAX_PREFIX_CHARS = 200
# Route names of a dataset's page, first found wins: the portal's page, else the SciCat API record.
DATASET_URL_NAMES = ("portal:dataset", "api-dataset")
# What a hit shows, and what catalogue.access.can reads to decide whether it may.
_HIT_COLUMNS = ("pid", "dataset_name", "description", "owner_group", "access_groups")
_HIT_COLUMNS += ("shared_with", "is_published", "embargo_end")
_PLACEHOLDER = "pid-placeholder"
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what django.urls.reverse leaves unquoted in a path


def _list_param(params, name: str) -> list[str]:
    """`name=a,b&name=c` -> ["a", "b", "c"]."""
    return [part.strip() for raw in params.getlist(name) for part in raw.split(",") if part.strip()]


def parse_search_params(params) -> SearchRequest:
    """URL parameters -> SearchRequest, or QueryError naming the parameter at fault."""
    request = parse_query_string(
        params.get("q", ""),
        page=params.get("page") or None,
        size=params.get("size") or None,
        facets=_list_param(params, "facets"),
    )
    sort = params.get("sort", "").strip()
    if sort:
        request = replace(request, sort=sort_named(sort.lstrip("-"), sort.startswith("-")))
    return request


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    cut = text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def _url_builder():
    """pid -> the URL of the dataset's page (the first route of DATASET_URL_NAMES that exists).
    reverse() runs once per request; the pid is quoted as reverse() would."""
    for name in DATASET_URL_NAMES:
        try:
            template = reverse(name, kwargs={"pid": _PLACEHOLDER})
        except NoReverseMatch:
            continue
        head, tail = template.split(_PLACEHOLDER)
        return lambda pid: head + quote(pid, safe=_URL_SAFE) + tail
    return lambda pid: None


def _hits(user, result: SearchResult) -> list[dict]:
    """The engine's hits with their titles and descriptions from the database. A hit the
    database no longer shows this user (deleted, or access withdrawn since it was indexed) is
    left out; the index catches up through the outbox. The check is catalogue.access.can on
    the fetched rows: the single-record rule, cheaper than visible_to's subqueries here."""
    rows = Dataset.objects.filter(pid__in=[hit.pid for hit in result.hits]).order_by()
    principal = principal_for(user)
    found = {}
    for row in rows.values(*_HIT_COLUMNS):
        row = SimpleNamespace(**row)
        if can(principal, Action.READ, row):
            found[row.pid] = row
    url = _url_builder()
    out = []
    for hit in result.hits:
        row = found.get(hit.pid)
        if row is None:
            continue
        out.append(
            {
                "pid": hit.pid,
                "score": hit.score,
                "title": row.dataset_name,
                "description": _snippet(row.description),
                "highlights": hit.highlights,
                "url": url(hit.pid),
            }
        )
    return out


def envelope(user, request: SearchRequest, result: SearchResult) -> dict:
    """The JSON answer. `total` and the facet counts are the engine's (visible datasets only)."""
    return {
        "total": result.total,
        "page": request.page,
        "size": request.limit,
        "hits": _hits(user, result) if result.hits else [],
        "facets": {
            name: [{"value": value, "count": count} for value, count in result.facets.get(name, [])]
            for name in request.facets
        },
        "query": request.to_query_string(),
        "error": result.error,
    }


class SearchApi(APIView):
    """One page of the datasets the caller may read that match `q`, with facet counts.
    400 {error, field} for a query that cannot be read (field: the parameter, or the field or
    metadata key inside `q`, or "q"); 503 with the envelope's `error` when the engine failed."""

    def get(self, request):
        try:
            search_request = parse_search_params(request.query_params)
        except QueryError as exc:
            return Response({"error": exc.message, "field": exc.field or "q"}, status=400)
        result = search(request.user, search_request)
        body = envelope(request.user, search_request, result)
        return Response(body, status=503 if result.error else 200)


# --- /keys: scientific-metadata keys for the portal's condition builder ----------------------


def _is_quantity(node) -> bool:
    return isinstance(node, dict) and any(isinstance(node.get(k), str) for k in ("unit", "u"))


def _walk(node, path: str, seen: dict) -> None:
    """Records (kind, unit) per dotted key; a quantity ({value, unit}) is one key; list items
    share their list's key."""
    if isinstance(node, list):
        for item in node:
            _walk(item, path, seen)
    elif _is_quantity(node):
        unit = node.get("unit", node.get("u"))
        seen.setdefault(path, set()).add(("quantity", unit))
    elif isinstance(node, dict):
        for key, item in node.items():
            _walk(item, f"{path}.{key}" if path else str(key), seen)
    elif path and node is not None:
        kind = "number" if isinstance(node, int | float) and not isinstance(node, bool) else "text"
        seen.setdefault(path, set()).add((kind, ""))


def _matches(key: str, prefix: str) -> int | None:
    """0: the key starts with the prefix, 1: one of its dotted parts does, None: neither."""
    key = key.lower()
    if key.startswith(prefix):
        return 0
    if any(part.startswith(prefix) for part in key.split(".")[1:]):
        return 1
    return None


def _key_statistics(recent) -> tuple[int, list[dict]]:
    """(datasets scanned, [{key, kind, units, count}]) over the metadata of `recent`."""
    used: Counter[str] = Counter()
    kinds: dict[str, Counter] = {}
    units: dict[str, Counter] = {}
    scanned = 0
    for metadata in recent.values_list("scientific_metadata", flat=True).iterator(500):
        scanned += 1
        seen: dict[str, set] = {}
        _walk(metadata or {}, "", seen)
        for key, pairs in seen.items():
            used[key] += 1
            for kind, unit in pairs:
                kinds.setdefault(key, Counter())[kind] += 1
                if unit:
                    units.setdefault(key, Counter())[unit] += 1
    return scanned, [
        {
            "key": key,
            "kind": kinds[key].most_common(1)[0][0],
            "units": [unit for unit, _ in units.get(key, Counter()).most_common(MAX_UNITS)],
            "count": count,
        }
        for key, count in used.items()
    ]


def metadata_keys(user, prefix: str = "") -> dict:
    """Scientific-metadata keys in the KEY_SCAN newest datasets `user` may read whose name (or
    a dotted part of it) starts with `prefix` (any case): the most used first, MAX_KEYS at
    most, each with its kind (quantity, number, text) and the units written with it.

    The scan is kept KEYS_CACHE_SECONDS per access scope (what the user may see) and newest
    dataset, so typing a prefix costs one indexed query after the first call."""
    recent = Dataset.objects.visible_to(user).order_by("-creation_time", "-id")
    newest = recent.values_list("pid", "updated_at").first()
    grants = access_filter(user)
    scope = [grants.everything, grants.public_at is not None]
    scope += [sorted(grants.owner_group), sorted(grants.access_groups), sorted(grants.shared_with)]
    digest = hashlib.sha256(repr((scope, newest)).encode()).hexdigest()
    scanned, statistics = cache.get_or_set(
        f"fedcat:search-keys:{digest}",
        lambda: _key_statistics(recent[:KEY_SCAN]),
        KEYS_CACHE_SECONDS,
    )
    needle = prefix.lower()
    ranked = sorted(
        ((rank, -entry["count"], entry["key"]), entry)
        for entry in statistics
        if (rank := _matches(entry["key"], needle)) is not None
    )
    keys = [entry for _, entry in ranked[:MAX_KEYS]]
    return {"prefix": prefix, "keys": keys, "scanned": scanned, "more": len(ranked) > MAX_KEYS}


class KeysApi(APIView):
    """Metadata keys to offer while the user types a condition (visible data only)."""

    def get(self, request):
        prefix = request.query_params.get("prefix", "").strip()
        if len(prefix) > MAX_PREFIX_CHARS:
            message = f"the prefix is longer than {MAX_PREFIX_CHARS} characters"
            return Response({"error": message, "field": "prefix"}, status=400)
        return Response(metadata_keys(request.user, prefix))
