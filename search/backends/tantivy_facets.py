"""Facet counts for the tantivy backend: a terms aggregation per facet, run beside the search for
the page (tantivy releases the GIL, so on two cores the two take as long as the longer one), and
remembered per index version like Elasticsearch's shard request cache.

Facet counts depend on the query, the access filter and the index, not on the page or the
order, so asking for page 2, or sorting differently, reuses page 1's counts. An entry is keyed
by everything but the moment embargoes are judged at (``public_at``, which moves with every
request); an entry made at another moment is reused only if no embargo ended in between (one
range count on the indexed ``a_public_from``, over a few seconds' worth of terms). The version
is the live generation and its ``meta.json`` (rewritten by every commit), so a commit empties
the cache for what it changed: everything.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from tantivy import FieldType, Query

from search.query import SearchRequest

from .base import AccessFilter
from .tantivy_order import PID_KEYS

FACET_FETCH = 1000  # buckets asked of tantivy before ranking (ties by value are settled here)
TOTAL = "_matches"  # the aggregation counting the matches (facet names have no leading "_")
# A fast field with exactly one value in every document (the pid's first 8 bytes), so that
# counting its values counts the documents.
COUNTED_FIELD = PID_KEYS[0]
CACHE_ENTRIES = 512
_pools: dict[int, ThreadPoolExecutor] = {}  # per process: a forked child gets its own


def _pool() -> ThreadPoolExecutor:
    pool = _pools.get(os.getpid())
    if pool is None:
        pool = _pools[os.getpid()] = ThreadPoolExecutor(2, thread_name_prefix="tantivy-facets")
    return pool


def facet_counts(searcher, query, request: SearchRequest) -> tuple[int, dict[str, list]]:
    """(the number of matches, the request's facets: the facet_limit most frequent values each,
    ties by value). The pass that counts the facets visits every match anyway; counting them
    there lets the page's search skip the count, and tantivy then skips the documents that
    cannot reach the top of the page (block-max WAND) instead of scoring every match."""
    size = max(FACET_FETCH, 2 * request.facet_limit)
    terms = {"size": size, "segment_size": size * 10}
    aggregations = {name: {"terms": {"field": f"f_{name}", **terms}} for name in request.facets}
    aggregations[TOTAL] = {"value_count": {"field": COUNTED_FIELD}}
    answer = searcher.aggregate(query, aggregations)
    facets = {}
    for name in request.facets:
        buckets = [(b["key"], b["doc_count"]) for b in answer.get(name, {}).get("buckets", [])]
        facets[name] = sorted(buckets, key=lambda b: (-b[1], b[0]))[: request.facet_limit]
    return int(answer[TOTAL]["value"] or 0), facets


class FacetCache:
    """(index version, request without its page and order, access) -> (matches, facet counts).
    Requests without facets are not counted here: their page's search counts its matches."""

    def __init__(self, schema, entries: int = CACHE_ENTRIES):
        self.schema = schema
        self.entries = entries
        self._found: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(version, request: SearchRequest, access: AccessFilter) -> tuple:
        unpaged = replace(request, offset=0, limit=1, sort=None)
        return version, unpaged, replace(access, public_at=None)

    def start(self, version, searcher, query, request: SearchRequest, access: AccessFilter):
        """None for a request without facets, else a callable giving (matches, facet counts):
        cached ones, or ones computed meanwhile."""
        if not request.facets:
            return None
        key = self.key(version, request, access)
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
        if found is not None and self._still_valid(searcher, found[0], access.public_at):
            total, facets = found[1]
            return lambda: (total, {name: list(values) for name, values in facets.items()})
        running = _pool().submit(facet_counts, searcher, query, request)

        def result():
            total, facets = running.result()
            if not self.entries:
                return total, facets
            with self._lock:
                kept = {n: list(v) for n, v in facets.items()}
                self._found[key] = (access.public_at, (total, kept))
                while len(self._found) > self.entries:
                    self._found.popitem(last=False)
            return total, facets

        return result

    def _still_valid(self, searcher, then: datetime | None, now: datetime | None) -> bool:
        """No embargo ended between the two moments (they are compared at whole seconds)."""
        if then is None or now is None:
            return then == now
        low, high = sorted((then.replace(microsecond=0), now.replace(microsecond=0)))
        if low == high:
            return True
        ended = Query.range_query(
            self.schema,
            "a_public_from",
            FieldType.Date,
            low,
            high,
            include_lower=False,
            include_upper=True,
            use_inverted_index=True,
        )
        return searcher.search(ended, 1, count=True).count == 0
