"""The search: the one entry point for the portal, the SciCat API and the PaNOSC API.

    search(user, request) -> SearchResult(hits=[Hit(pid, score, highlights)], total, facets)

The user's access rules go into the engine query (search.access), so hits, the total and every
facet count only ever include datasets the user may read. Like readthedocs' executor, the
search never raises because the engine failed: the result is empty and ``error`` says why
(log has the details), so a page or an API can answer 503 instead of a stack trace.
"""

from __future__ import annotations

import logging
from datetime import datetime

from catalogue.access import Action, Relation

from .access import access_filter
from .backends import get_backend
from .backends.base import Hit, SearchResult
from .query import SearchRequest

__all__ = ["UNAVAILABLE", "Hit", "SearchResult", "search"]

logger = logging.getLogger(__name__)
UNAVAILABLE = "The search is not available at the moment; please try again later."


def search(
    user,
    request: SearchRequest,
    *,
    now: datetime | None = None,
    relations: frozenset[Relation] | None = None,
) -> SearchResult:
    """The datasets matching `request` that `user` may read, one page of them.

    `now` is the moment embargoes are judged at (default: now). `relations` narrows what counts
    as readable to those catalogue.access relations (SciCat's fullquery: own groups only)."""
    access = access_filter(user, Action.READ, now=now, relations=relations)
    try:
        return get_backend().search(request, access)
    except Exception:
        logger.exception("search failed: %s", request)
        return SearchResult(
            hits=[], total=0, facets={name: [] for name in request.facets}, error=UNAVAILABLE
        )
