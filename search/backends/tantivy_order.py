"""One page of tantivy hits in (sort key, pid) order, as every backend orders them.

tantivy orders by one key (the BM25 score, or one fast field) and leaves equal keys in index
order, which changes when segments merge and is not Elasticsearch's. Every backend breaks ties
by pid, ascending; this module makes tantivy do so:

1. The first ``offset + limit + 1`` hits are fetched by the key, with the count (for
   relevance, RELEVANCE_TIES more), in one search.
2. A run of equal keys is put in pid order by three u64 columns holding the pid's first 24
   bytes (``pid_k0..2``; no document is read unless two pids share those).
3. For a field sort, a run that crosses the page's start or end (its members outside the page
   decide which of them belong on it) is asked for on its own: the query AND ``key = K``,
   ordered by the ``pid`` fast field. Exact for any number of ties, one more small search.
4. A score cannot be queried, so for relevance only runs of at most RELEVANCE_TIES equal
   scores are known whole (step 1 fetched them) and put in pid order; a longer run keeps
   tantivy's index order. Such runs exist (a name that occurs once in one field of 100 000
   datasets scores the same everywhere); ordering one exactly would mean reading all of it.
   Whether a run is "long" depends only on the run, not on the page asked, so pages never
   overlap either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from tantivy import FieldType, Occur, Order, Query

PID = "pid"
SORT_FIELDS = {
    "date": "d_creation_time",
    "size": "s_size",
    "name": "s_name",
    "created": "d_created_at",
}
PID_KEYS = ("pid_k0", "pid_k1", "pid_k2")
# Equal scores are put in pid order in runs of up to this many hits (one search fetches them
# with the page); a longer run of one score keeps index order.
RELEVANCE_TIES = 200


def _date(nanoseconds: int) -> datetime:
    return datetime.fromtimestamp(nanoseconds // 1_000_000_000, tz=UTC)


class PageOrder:
    """Orders one search's page; ``pid_of(address)`` reads a hit's pid (its document)."""

    def __init__(self, searcher, schema, query, sort: str, pid_of: Callable):
        self.searcher, self.schema, self.query = searcher, schema, query
        self.sort, self.pid_of = sort, pid_of
        self.relevance = sort == "relevance"
        self.options: dict = {}
        if not self.relevance:
            self.field = SORT_FIELDS[sort.lstrip("-")]
            order = Order.Desc if sort.startswith("-") else Order.Asc
            self.options = {"order_by_field": self.field, "order": order}

    def page(self, offset: int, limit: int, count: bool = True) -> tuple[list[tuple], int | None]:
        """([(key, address)] of the page in order, the total number of matches, None unless
        `count`: without it tantivy need not visit the matches that cannot make the page)."""
        want = offset + limit
        fetch = want + 1 + (RELEVANCE_TIES if self.relevance else 0)
        found = self.searcher.search(self.query, fetch, count=count, **self.options)
        hits, total = list(found.hits), found.count
        complete = len(hits) < fetch  # every match was fetched
        out: list[tuple] = []
        i, end = offset, min(want, len(hits))
        while i < end:
            key = hits[i][0]
            j = i
            while j < end and hits[j][0] == key:
                j += 1
            start = i
            while start > 0 and hits[start - 1][0] == key:
                start -= 1
            stop = j
            while stop < len(hits) and hits[stop][0] == key:
                stop += 1
            closed = stop < len(hits) or complete
            if self.relevance:
                if closed and stop - start <= RELEVANCE_TIES:
                    run = self._pid_order(hits[start:stop])[i - start : j - start]
                else:  # a larger run of equal scores keeps index order
                    run = hits[i:j]
            elif start == i and stop == j and closed:
                run = self._pid_order(hits[i:j])
            else:
                run = self._field_group(key, j - start)[i - start : j - start]
            out += run
            i = j
        return out, total

    def _pid_order(self, hits: list[tuple]) -> list[tuple]:
        """The hits in pid order: by the pid's first 24 bytes (three u64 columns, no document
        read), and by the whole pid where those are equal."""
        if len(hits) < 2:
            return hits
        addresses = [address for _, address in hits]
        columns = [self.searcher.fast_field_values(name, addresses) for name in PID_KEYS]
        prefixes = list(zip(*columns, strict=True))
        shared = {p for p, n in Counter(prefixes).items() if n > 1}

        def key(item):
            prefix, (_, address) = item
            return prefix, self.pid_of(address) if prefix in shared else ""

        return [hit for _, hit in sorted(zip(prefixes, hits, strict=True), key=key)]

    # --- boundary groups of a field sort ---------------------------------------------------------
    def _field_group(self, key, count: int) -> list[tuple]:
        """The first `count` matches whose sort key equals `key`, in pid order."""
        if key is None:  # documents without the field (they sort last)
            equal = (Occur.MustNot, Query.exists_query(self.field))
            clauses = [(Occur.Must, self.query), equal]
        else:
            clauses = [(Occur.Must, self.query), (Occur.Must, self._equal(key))]
        found = self.searcher.search(
            Query.boolean_query(clauses), count, count=False, order_by_field=PID, order=Order.Asc
        )
        return [(key, address) for _, address in found.hits]

    def _equal(self, key) -> Query:
        if self.field == "s_name":
            return Query.term_query(self.schema, self.field, key)
        if self.field.startswith("d_"):
            moment = _date(key)
            return Query.range_query(self.schema, self.field, FieldType.Date, moment, moment)
        return Query.range_query(self.schema, self.field, FieldType.Float, key, key)


def pid_keys(pid: str) -> list[int]:
    """The values of the PID_KEYS columns: the pid's UTF-8 bytes 0-7, 8-15 and 16-23 as
    big-endian integers (zero-padded), so that their order is the pids' order."""
    data = pid.encode()[: 8 * len(PID_KEYS)].ljust(8 * len(PID_KEYS), b"\0")
    return [int.from_bytes(data[k : k + 8], "big") for k in range(0, len(data), 8)]
