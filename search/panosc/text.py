"""The ``query`` of documents and instruments, and scores in (0, 1).

Datasets are ranked by the search engine (BM25, search.service). Documents and instruments
are not in the index: the database keeps those whose text fields contain every word and
phrase of the query (and none of the excluded ones), as the engine does for datasets, and
they are ranked here by a BM25-like term-frequency score with field weights. Only the matches
are scored (at most MAX_CANDIDATES of them), and the score is computed before limit and skip.

Every score a PaNOSC client sees lies strictly between 0 and 1 (the aggregator drops items
scored 0 or 1, panosc-api.md §4.1): the best match of a query scores TOP, the others in
proportion, never below FLOOR; without a query every item scores NEUTRAL, so plain filter
searches stay visible through a default-configured aggregator.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from search.query import QueryError, parse_text

from .errors import BadFilter

FLOOR, TOP, NEUTRAL = 0.05, 0.95, 0.5
K1 = 1.2
MAX_CANDIDATES = 10_000


def query_terms(query: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(words, phrases, excluded words and phrases) of a query."""
    try:
        return parse_text(query)
    except QueryError as exc:
        raise BadFilter(f"query: {exc.message}") from None


def normalised(raw: float | None, best: float | None) -> float:
    """A raw relevance as a score in [FLOOR, TOP], relative to the best of the same query."""
    if raw is None or not best or best <= 0 or raw <= 0:
        return FLOOR
    return round(FLOOR + (TOP - FLOOR) * min(raw / best, 1.0), 6)


def text_q(needles, excluded, columns) -> Q:
    """Every needle in one of the columns (ignoring case), no excluded one in any."""
    q = Q()
    for needle in needles:
        q &= reduce(or_, (Q(**{f"{c}__icontains": needle}) for c in columns))
    for needle in excluded:
        q &= ~reduce(or_, (Q(**{f"{c}__icontains": needle}) for c in columns))
    return q


def raw_score(texts: dict[str, str], needles, weights: dict[str, float]) -> float:
    """Sum over needles and fields of weight * saturated term frequency."""
    score = 0.0
    lowered = {name: (texts.get(name) or "").lower() for name in weights}
    for needle in needles:
        needle = needle.lower()
        for name, weight in weights.items():
            count = lowered[name].count(needle)
            if count:
                score += weight * count * (1 + K1) / (count + K1)
    return score


def rank(candidates, needles, weights) -> list[tuple[object, float]]:
    """[(key, texts)] -> [(key, score)] best first; ties keep the candidates' order."""
    raw = [(key, raw_score(texts, needles, weights)) for key, texts in candidates]
    best = max((score for _, score in raw), default=0.0)
    scored = [(key, normalised(score, best)) for key, score in raw]
    return sorted(scored, key=lambda item: -item[1])
