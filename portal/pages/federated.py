"""The search page with "search partner catalogues too" (``&partners=1``, a shareable URL).

The same query box; search.federation asks this catalogue (as the signed-in user) and every
partner (anonymously) at once, and the page lists the merged results with the catalogue each
comes from, and a status badge per partner (ok, timeout, error) with its latency. Server-rendered:
it works without JavaScript. Partner text is escaped by the template like any other text; URLs
are shown as links only when they are http(s) or a path on this site.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode, urlsplit

from django.urls import reverse

from search.federation.partners import local_partner, remote_partners
from search.federation.query import MAX_WINDOW, FederationQueryError, from_portal
from search.federation.service import federated_search


def offered() -> bool:
    """Whether the page offers the option: some partner is configured."""
    return bool(remote_partners())


def _safe_url(url) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if urlsplit(url).scheme in ("http", "https") else None


def _link(keep: dict, page: int) -> str:
    params = {key: value for key, value in {**keep, "page": page if page > 1 else None}.items()}
    params = {key: value for key, value in params.items() if value}
    return reverse("portal:search") + "?" + urlencode(params)


def _paging(page: int, pages: int, keep: dict) -> dict:
    window = range(max(1, page - 3), min(pages, page + 3) + 1)
    return {
        "page": page,
        "pages": pages,
        "previous": _link(keep, page - 1) if page > 1 else None,
        "next": _link(keep, page + 1) if page < pages else None,
        "numbers": [(number, _link(keep, number)) for number in window],
    }


def _badge(status) -> dict:
    state = status.status if status.status in ("ok", "timeout") else "error"
    return {
        "title": status.title,
        "name": status.name,
        "state": state,
        "status": status.status,
        "latency": status.latency_ms,
        "count": status.count,
        "exact": status.exact,
        "cached": status.cached,
    }


def _hit(item: dict, local: str) -> dict:
    also = item.get("alsoAt") or []
    return {
        "pid": item.get("pid"),
        "title": item.get("title") or item.get("pid"),
        "url": _safe_url(item.get("url")),
        "partner": item.get("partnerTitle") or item.get("partner"),
        "local": item.get("partner") == local,
        "also": also,
        "date": (item.get("creationDate") or "")[:10],
        "size": item.get("size"),
        "public": item.get("isPublic"),
    }


def results(request, parsed, keep: dict) -> dict:
    """The context of the federated results for a parsed search (a page of it)."""
    try:
        query = from_portal(parsed)
    except FederationQueryError as exc:
        return {"error": exc.message}
    result = federated_search(request.user, query)
    pages = math.ceil(min(result.total, MAX_WINDOW) / query.limit) if result.total else 0
    page = query.skip // query.limit + 1
    local = local_partner().name
    return {
        "federated": {
            "hits": [_hit(item, local) for item in result.items],
            "total": result.total,
            "exact": result.exact,
            "first": query.skip + 1,
            "last": query.skip + len(result.items),
            "partners": [_badge(status) for status in result.statuses],
            "unsupported": query.unsupported,
            "ranked": bool(query.text),
        },
        "paging": _paging(page, pages, keep),
    }
