"""SearchRequest + AccessFilter -> one tantivy Query (the schema is in tantivy_backend.py).

Text clauses score (BM25, each field boosted by TEXT_BOOSTS, summed); everything else (filters,
metadata conditions, the access filter) sits in one constant-score-0 clause, so filters
narrow the hits without changing their order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tantivy import FieldType, Occur, Query

from search.documents import EARLIEST, LATEST
from search.query import FieldFilter, SearchRequest

from .base import (
    TEXT_BOOSTS,
    AccessFilter,
    NumberTest,
    condition_tests,
    document_part,
    flatten_scientific,
    term_values,
)
from .encoding import SEPARATOR, coarse_cover, escape, interval_regex, key_bounds


def slug(name: str) -> str:
    """A canonical field name as a tantivy field name ("datasetlifecycle.archivable")."""
    return name.replace(".", "__")


def _any(queries: list) -> Query:
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _all(clauses: list[tuple[Occur, Query]]) -> Query:
    if not any(occur == Occur.Must for occur, _ in clauses):
        clauses = [(Occur.Must, Query.all_query()), *clauses]
    if len(clauses) == 1:
        return clauses[0][1]
    return Query.boolean_query(clauses)


def _second_bounds(low, high, low_inclusive: bool, high_inclusive: bool):
    """Date bounds for values stored at whole seconds, so "> 10:00:00.5" means ">= 10:00:01",
    and within tantivy's range (documents hold dates within EARLIEST..LATEST anyway)."""
    if low is not None and low < EARLIEST:
        low, low_inclusive = EARLIEST, True
    elif low is not None and low > LATEST:
        low, low_inclusive = LATEST, False
    if high is not None and high > LATEST:
        high, high_inclusive = LATEST, True
    elif high is not None and high < EARLIEST:
        high, high_inclusive = EARLIEST, False
    if isinstance(low, datetime) and low.microsecond:
        low, low_inclusive = low.replace(microsecond=0) + timedelta(seconds=1), True
    if isinstance(high, datetime) and high.microsecond:
        high, high_inclusive = high.replace(microsecond=0), True
    return low, high, low_inclusive, high_inclusive


class QueryBuilder:
    def __init__(self, schema, analyzer):
        self.schema = schema
        self.analyzer = analyzer

    def build(self, request: SearchRequest, access: AccessFilter) -> tuple[Query, Query | None]:
        """(the query, its scoring text part for snippets or None when there is no text)."""
        positive = [t for t in map(self.analyzer.analyze, (*request.words, *request.phrases)) if t]
        negative = [t for t in map(self.analyzer.analyze, request.excluded) if t]
        text = [(Occur.Must, self.text(tokens)) for tokens in positive]
        clauses = list(text)
        clauses += [(Occur.MustNot, self.text(tokens)) for tokens in negative]
        filters = [self.filter(f) for f in request.filters]
        for any_of, conditions in flatten_scientific(request.scientific):
            filters.append(self.scientific(any_of, conditions))
        if not access.everything:
            filters.append((Occur.Must, self.access(access)))
        if filters:
            clauses.append((Occur.Must, Query.const_score_query(_all(filters), 0.0)))
        text_query = Query.boolean_query(text) if text else None
        return _all(clauses), text_query

    # --- text ------------------------------------------------------------------------------------
    def text(self, tokens: list[str]) -> Query:
        """The tokens (one word, or a phrase) in any text field, scored by field weight."""
        per_field = []
        for name, boost in TEXT_BOOSTS.items():
            field = f"x_{name}"
            if len(tokens) == 1:
                query = Query.term_query(self.schema, field, tokens[0])
            else:
                query = Query.phrase_query(self.schema, field, tokens)
            per_field.append(Query.boost_query(query, boost))
        return _any(per_field)

    # --- fields ----------------------------------------------------------------------------------
    def filter(self, condition) -> tuple[Occur, Query]:
        occur = Occur.MustNot if condition.negate else Occur.Must
        part, name = document_part(condition.field), slug(condition.field)
        if isinstance(condition, FieldFilter):
            if part == "flags":
                queries = [Query.term_query(self.schema, f"b_{name}", v) for v in condition.values]
                return occur, _any(queries)
            values = term_values(condition.field, condition.values)
            if condition.op == "contains":
                patterns = [f"(?is:.*{escape(v)}.*)" for v in values]
                regexes = [Query.regex_query(self.schema, f"t_{name}", p) for p in patterns]
                return occur, _any(regexes)
            return occur, Query.term_set_query(self.schema, f"t_{name}", values)
        low, high = condition.low, condition.high
        low_in, high_in = condition.bounds[0] == "[", condition.bounds[1] == "]"
        if part == "dates":
            low, high, low_in, high_in = _second_bounds(low, high, low_in, high_in)
            field, kind = f"d_{name}", FieldType.Date
        else:
            low = None if low is None else float(low)
            high = None if high is None else float(high)
            field, kind = f"n_{name}", FieldType.Float
        return occur, Query.range_query(self.schema, field, kind, low, high, low_in, high_in)

    # --- scientific metadata -----------------------------------------------------------------
    def scientific(self, any_of: bool, conditions) -> tuple[Occur, Query]:
        if not any_of:
            condition = conditions[0]
            return (Occur.MustNot if condition.negate else Occur.Must), self.condition(condition)
        options = []
        for condition in conditions:
            query = self.condition(condition)
            options.append(_all([(Occur.MustNot, query)]) if condition.negate else query)
        return Occur.Must, _any(options)

    def condition(self, condition) -> Query:
        return _all([(Occur.Must, self.test(test)) for test in condition_tests(condition)])

    def test(self, test) -> Query:
        paths = "(" + "|".join(escape(p) for p in test.paths) + ")" + escape(SEPARATOR)
        if isinstance(test, NumberTest):
            keys = key_bounds(test.low, test.high, test.low_inclusive, test.high_inclusive)
            if keys is None:
                return Query.empty_query()
            inner, ends = coarse_cover(*keys)
            parts = []
            if inner is not None:
                parts.append(
                    Query.regex_query(self.schema, "m_coarse", paths + interval_regex(*inner))
                )
            if ends:
                edges = "(" + "|".join(interval_regex(*end) for end in ends) + ")"
                parts.append(Query.regex_query(self.schema, "m_num", paths + edges))
            return _any(parts)
        if test.contains:
            return Query.regex_query(self.schema, "m_str", f"{paths}(?is:.*{escape(test.value)}.*)")
        terms = [p + SEPARATOR + test.value for p in test.paths]
        return Query.term_set_query(self.schema, "m_str", terms)

    # --- access ----------------------------------------------------------------------------------
    def access(self, access: AccessFilter) -> Query:
        grants = []
        if access.public_at is not None:
            _, moment, _, inclusive = _second_bounds(None, access.public_at, True, True)
            grants.append(
                Query.range_query(
                    self.schema, "a_public_from", FieldType.Date, None, moment, True, inclusive
                )
            )
        for name in ("owner_group", "access_groups", "shared_with"):
            values = sorted(getattr(access, name))
            if values:
                grants.append(Query.term_set_query(self.schema, f"a_{name}", values))
        return _any(grants)
