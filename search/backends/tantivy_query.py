"""SearchRequest + AccessFilter -> one tantivy Query (the schema is in tantivy_backend.py).

Text clauses score (BM25, each field boosted by TEXT_BOOSTS, summed); everything else (filters,
metadata conditions, the access filter) sits in one constant-score-0 clause, so filters
narrow the hits without changing their order. A two-word phrase is one term of the field's
pair twin (tantivy_text.py), boosted so that it scores as the phrase.

The access filter (QueryBuilder.access): "public at T" is a range on the fast column
``a_public_from``, which the rest of the query probes per candidate without building anything,
OR one term set of the user's memberships on ``a_keys`` (see access_keys), a bit set of their
few documents. Anonymous users need the range alone. Measured at 1,000,000 documents (most of
them public), that is a quarter cheaper per pass than one term set that also holds the ~200
public-date keys (which builds a bit set of every visible document first), and a union of one
term query per group cost twice as much again. The public-date keys now serve only moments
before 1970 (where the range cannot say "published").
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

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
from .tantivy_text import PAIR


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

    def build(
        self, request: SearchRequest, access: AccessFilter, searcher=None
    ) -> tuple[Query, Query | None]:
        """(the query, its text part for snippets or None when there is no text). With the
        `searcher` the query runs on, two-word phrases are looked up as pairs."""
        positive = [t for t in map(self.analyzer.analyze, (*request.words, *request.phrases)) if t]
        negative = [t for t in map(self.analyzer.analyze, request.excluded) if t]
        text = [(Occur.Must, self.text(tokens)) for tokens in positive]
        clauses = [(Occur.Must, self.text(tokens, searcher)) for tokens in positive]
        clauses += [(Occur.MustNot, self.text(tokens, searcher)) for tokens in negative]
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
    def text(self, tokens: list[str], searcher=None) -> Query:
        """The tokens (one word, or a phrase) in any text field, scored by field weight."""
        if len(tokens) == 2 and searcher is not None:
            return self.pair(tokens, searcher)
        per_field = []
        for name, boost in TEXT_BOOSTS.items():
            field = f"x_{name}"
            if len(tokens) == 1:
                query = Query.term_query(self.schema, field, tokens[0])
            else:
                query = Query.phrase_query(self.schema, field, tokens)
            per_field.append(Query.boost_query(query, boost))
        return _any(per_field)

    def pair(self, tokens: list[str], searcher) -> Query:
        """A two-word phrase as one term of each pair field, boosted by the ratio of the
        phrase's idf (tantivy sums its words' idfs) to the pair's, so it scores as the phrase;
        a field without the pair cannot hold the phrase and is left out."""
        documents = searcher.doc_freq("a_keys", EVERY)  # as BM25 counts: deleted ones too
        value = PAIR.join(tokens)
        per_field = []
        for name, boost in TEXT_BOOSTS.items():
            found = searcher.doc_freq(f"p_{name}", value)
            if not found:
                continue
            phrase = sum(_idf(searcher.doc_freq(f"x_{name}", t), documents) for t in tokens)
            query = Query.term_query(self.schema, f"p_{name}", value)
            per_field.append(Query.boost_query(query, boost * phrase / _idf(found, documents)))
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
        """What `access` may see. "Public at T" is a range on a fast column, which the rest of
        the query probes per candidate without building anything; the user's memberships are
        a small term set (a bit set of their few documents). Measured at 1,000,000 documents,
        most of them public: a quarter cheaper per pass than one term set of the memberships
        and the ~200 public-date keys (visible_keys), which builds a bit set of every visible
        document first."""
        public = access.public_at is not None and access.public_at >= PUBLISHED
        if access.public_at is not None and not public:  # before 1970: the keys still say it
            return Query.term_set_query(self.schema, "a_keys", visible_keys(access))
        keys = membership_keys(access)
        if not public:
            return Query.term_set_query(self.schema, "a_keys", keys)
        _, moment, _, inclusive = _second_bounds(None, access.public_at, True, True)
        ranged = Query.range_query(
            self.schema, "a_public_from", FieldType.Date, None, moment, True, inclusive
        )
        if not keys:
            return ranged
        mine = Query.term_set_query(self.schema, "a_keys", keys)
        return Query.boolean_query([(Occur.Should, ranged), (Occur.Should, mine)])


def _idf(doc_freq: int, documents: int) -> float:
    """tantivy's BM25 idf."""
    return math.log(1 + (documents - doc_freq + 0.5) / (doc_freq + 0.5))


# --- access keys: what a document grants, what a user holds ---------------------------------------
# a_keys terms: "o:<owner group>", "g:<access group>", "s:<shared e-mail>", "p:published", and for
# an embargo's end the prefixes of its ISO date, century to second: "p:20", "p:203", "p:2030",
# "p:2030-05", ... "p:2030-05-14T10:23:45". "Public at T" is the published key, every century
# before T's, every decade of T's century before T's decade, ..., every second of T's minute up
# to T's own: at most ~200 terms, the same documents as "embargo end <= T" for any T.
# (prefix length, text before the unit, the unit's digits) from the century to the second
PUBLIC_UNITS = ((2, "", 2), (3, "", 1), (4, "", 1), (7, "-", 2), (10, "-", 2), (13, "T", 2))
PUBLIC_UNITS += ((16, ":", 2), (19, ":", 2))
FIRST = {2: EARLIEST.year // 100, 7: 1, 10: 1}  # a unit's first value where it is not 0
EVERY = "*"  # held by every document (and granting nothing): counts them for pair()
PUBLISHED = datetime(1970, 1, 1, tzinfo=UTC)  # a_public_from of published datasets


def _iso(m: datetime) -> str:
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"


def access_keys(access: dict) -> list[str]:
    """A document's a_keys (`access` is its search.documents access part)."""
    keys = [EVERY, f"o:{access['owner_group']}"] if access["owner_group"] else [EVERY]
    keys += [f"g:{group}" for group in access["access_groups"]]
    keys += [f"s:{email}" for email in access["shared_with"]]
    if access["is_published"]:
        keys.append("p:published")
    elif access["embargo_end"] is not None:
        end = _iso(access["embargo_end"].astimezone(UTC))  # whole seconds, EARLIEST..LATEST
        keys += [f"p:{end[:n]}" for n, _, _ in PUBLIC_UNITS]
    return keys


def public_keys(moment: datetime) -> list[str]:
    """The a_keys of documents public at `moment`: published, or their embargo ended by then."""
    keys = ["p:published"]
    if moment < EARLIEST:
        return keys
    iso = _iso(min(moment.astimezone(UTC), LATEST))  # _iso drops the microseconds
    above = 0
    for end, before, digits in PUBLIC_UNITS:
        prefix = f"p:{iso[:above]}{before}"
        units = range(FIRST.get(end, 0), int(iso[end - digits : end]))
        keys += [f"{prefix}{unit:0{digits}d}" for unit in units]
        above = end
    keys.append(f"p:{iso}")  # T's own second
    return keys


def membership_keys(access: AccessFilter) -> list[str]:
    keys = [f"o:{group}" for group in access.owner_group]
    keys += [f"g:{group}" for group in access.access_groups]
    keys += [f"s:{email}" for email in access.shared_with]
    return sorted(keys)


def visible_keys(access: AccessFilter) -> list[str]:
    keys = [] if access.public_at is None else public_keys(access.public_at)
    return sorted(keys + membership_keys(access))
