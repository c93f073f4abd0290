"""SearchRequest + AccessFilter -> one Elasticsearch search body (pure: no client here).

The same query as tantivy_query.py: every word or phrase must match some text field, each field
scored by BM25 and boosted by TEXT_BOOSTS, the field scores summed (a bool of should clauses);
filters, metadata conditions and the access filter sit in the bool's non-scoring ``filter`` and
``must_not`` parts, so they narrow the hits without reordering them. Words are analysed here,
by the twin's tokenizer (the index analyzer in es_mapping.py gives the same tokens), so a word
that analyses to nothing is dropped as tantivy drops it.

Metadata numbers are keywords ``<path>\\x00<hex>`` whose text order is the numbers' order, so
an interval under one path is one keyword ``range`` (no regular expression, no length limit).
"contains" conditions are ``regexp`` queries with each letter written as a class of its cases
(``[cC][uU]``): case-insensitive for the value but not for the path, on Elasticsearch,
OpenSearch and osmem alike (Lucene's ``case_insensitive`` flag would fold the path too).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from search.query import FieldFilter, SearchRequest

from .base import (
    HIGHLIGHT_FIELDS,
    TEXT_BOOSTS,
    AccessFilter,
    NumberTest,
    condition_tests,
    document_part,
    effective_sort,
    flatten_scientific,
    term_values,
)
from .encoding import SEPARATOR, key_bounds
from .es_mapping import EPOCH, slug
from .memory import analyze

MATCH_NONE = {"match_none": {}}
SORT_FIELDS = {
    "date": "d_creation_time",
    "size": "n_size",
    "name": "s_name",
    "created": "d_created_at",
}
SORT_MISSING = {"size": 0}  # the twin sorts a dataset without a size as size 0
TIEBREAK = [{"pid": "asc"}]  # equal keys (and equal scores) in pid order, as every backend
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def regexp_literal(text: str) -> str:
    """Text as a literal in a Lucene regular expression (every ASCII punctuation escaped)."""
    return _PUNCTUATION.sub(r"\\\1", text)


def caseless(text: str) -> str:
    """A Lucene regular expression matching text in any letter case."""
    out = []
    for char in text:
        cases = sorted({c for c in (char, char.lower(), char.upper()) if len(c) == 1})
        out.append(f"[{''.join(cases)}]" if len(cases) > 1 else regexp_literal(char))
    return "".join(out)


def _any(queries: list[dict]) -> dict:
    if not queries:
        return MATCH_NONE
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": 1}}


def _all(queries: list[dict]) -> dict:
    return queries[0] if len(queries) == 1 else {"bool": {"filter": queries}}


def _not(query: dict) -> dict:
    return {"bool": {"must_not": [query]}}


def _microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def second_bounds(low, high, low_inclusive: bool, high_inclusive: bool) -> dict:
    """Range bounds on whole seconds, for dates stored at whole seconds: "> 10:00:00.5" is
    ">= 10:00:01" and "<= 10:00:00.5" is "<= 10:00:00"."""
    bounds = {}
    if low is not None:
        whole, fraction = divmod(_microseconds(low), 1_000_000)
        bounds["gte"] = whole + 1 if fraction or not low_inclusive else whole
    if high is not None:
        whole, fraction = divmod(_microseconds(high), 1_000_000)
        bounds["lte"] = whole if fraction or high_inclusive else whole - 1
    return bounds


class QueryBuilder:
    def body(self, request: SearchRequest, access: AccessFilter) -> tuple[dict, set[str]]:
        """(the search body, the query's words to highlight)."""
        positive = [t for t in map(analyze, (*request.words, *request.phrases)) if t]
        negative = [t for t in map(analyze, request.excluded) if t]
        query: dict = {
            "must": [self.text(tokens) for tokens in positive] or [{"match_all": {}}],
            "filter": [],
            "must_not": [self.text(tokens) for tokens in negative],
        }
        for condition in request.filters:
            part = "must_not" if condition.negate else "filter"
            query[part].append(self.filter(condition))
        for any_of, conditions in flatten_scientific(request.scientific):
            if any_of:
                options = [self.condition(c) for c in conditions]
                negated = [
                    _not(q) if c.negate else q for c, q in zip(conditions, options, strict=True)
                ]
                query["filter"].append(_any(negated))
            else:
                part = "must_not" if conditions[0].negate else "filter"
                query[part].append(self.condition(conditions[0]))
        if not access.everything:
            query["filter"].append(self.access(access))
        sort = effective_sort(request)
        body = {
            "query": {"bool": {k: v for k, v in query.items() if v}},
            "from": request.offset,
            "size": request.limit,
            "track_total_hits": True,
            "sort": self.sort(sort),
            "_source": False,
        }
        words = {token for tokens in positive for token in tokens}
        aggregations = {
            f"facet_{name}": self.facet(name, request.facet_limit) for name in request.facets
        }
        if words:
            body["_source"] = [f"x_{name}" for name in HIGHLIGHT_FIELDS]
            aggregations["document_frequency"] = self.document_frequency(words)
        if aggregations:
            body["aggs"] = aggregations
        return body, words

    # --- text ------------------------------------------------------------------------------------
    def text(self, tokens: list[str]) -> dict:
        """The tokens (one word, or a phrase) in any text field, scored by field weight."""
        kind = "match" if len(tokens) == 1 else "match_phrase"
        text = " ".join(tokens)
        return _any(
            [
                {kind: {f"x_{name}": {"query": text, "boost": boost}}}
                for name, boost in TEXT_BOOSTS.items()
            ]
        )

    def document_frequency(self, words: set[str]) -> dict:
        """Per highlighted field and word, how many documents hold it (over the whole index, as
        tantivy's snippet weights): the snippet of a long text is the run that weighs most."""
        filters = {
            f"{name}:{word}": {"term": {f"x_{name}": word}}
            for name in HIGHLIGHT_FIELDS
            for word in sorted(words)
        }
        return {"global": {}, "aggs": {"words": {"filters": {"filters": filters}}}}

    # --- fields ----------------------------------------------------------------------------------
    def filter(self, condition) -> dict:
        part, name = document_part(condition.field), slug(condition.field)
        if isinstance(condition, FieldFilter):
            if part == "flags":
                return {"terms": {f"b_{name}": list(condition.values)}}
            values = term_values(condition.field, condition.values)
            if condition.op == "contains":
                patterns = [f".*{caseless(v)}.*" for v in values]
                return _any([self.regexp(f"t_{name}", p) for p in patterns])
            return {"terms": {f"t_{name}": values}}
        low_inclusive, high_inclusive = condition.bounds[0] == "[", condition.bounds[1] == "]"
        if part == "dates":
            bounds = second_bounds(condition.low, condition.high, low_inclusive, high_inclusive)
            return {"range": {f"d_{name}": bounds}}
        bounds = {}
        if condition.low is not None:
            bounds["gte" if low_inclusive else "gt"] = float(condition.low)
        if condition.high is not None:
            bounds["lte" if high_inclusive else "lt"] = float(condition.high)
        return {"range": {f"n_{name}": bounds}}

    @staticmethod
    def regexp(field: str, pattern: str) -> dict:
        return {"regexp": {field: {"value": pattern, "flags": "NONE"}}}

    # --- scientific metadata -----------------------------------------------------------------
    def condition(self, condition) -> dict:
        return _all([self.test(test) for test in condition_tests(condition)])

    def test(self, test) -> dict:
        if isinstance(test, NumberTest):
            keys = key_bounds(test.low, test.high, test.low_inclusive, test.high_inclusive)
            if keys is None:
                return MATCH_NONE
            first, last = keys
            return _any(
                [
                    {
                        "range": {
                            "m_num": {
                                "gte": path + SEPARATOR + first,
                                "lte": path + SEPARATOR + last,
                            }
                        }
                    }
                    for path in test.paths
                ]
            )
        if test.contains:
            paths = "|".join(regexp_literal(p) for p in test.paths)
            return self.regexp("m_str", f"({paths}){SEPARATOR}.*{caseless(test.value)}.*")
        return {"terms": {"m_str": [p + SEPARATOR + test.value for p in test.paths]}}

    # --- access ----------------------------------------------------------------------------------
    def access(self, access: AccessFilter) -> dict:
        grants = []
        if access.public_at is not None:
            bounds = second_bounds(None, access.public_at, True, True)
            grants.append({"range": {"a_public_from": bounds}})
        for name in ("owner_group", "access_groups", "shared_with"):
            values = sorted(getattr(access, name))
            if values:
                grants.append({"terms": {f"a_{name}": values}})
        return _any(grants)

    # --- order and facets ------------------------------------------------------------------------
    def sort(self, sort: str) -> list:
        if sort == "relevance":
            return [{"_score": "desc"}, *TIEBREAK]
        key = sort.lstrip("-")
        order = {"order": "desc" if sort.startswith("-") else "asc", "missing": "_last"}
        if key in SORT_MISSING:
            order["missing"] = SORT_MISSING[key]
        return [{SORT_FIELDS[key]: order}, *TIEBREAK]

    def facet(self, name: str, size: int) -> dict:
        """The `size` most frequent values, ties by value (one shard: exact counts)."""
        return {
            "terms": {
                "field": f"f_{name}",
                "size": size,
                "shard_size": size * 10,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
