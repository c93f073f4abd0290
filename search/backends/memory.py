"""The in-memory twin: pure Python, one process, the same answers as the tantivy backend.

For unit tests of code that calls the search (like Django's locmem mail backend). It scores with
the BM25 formula tantivy uses, tokenizes as tantivy's "fedcat" analyzer does (simple tokenizer,
tokens of 40 bytes or more dropped, lower case, ASCII folding) and builds snippets with
tantivy's fragment rule, so tests/search/conformance.py can hold both to the same results.
Documents live in the backend instance; search.backends.get_backend() keeps one per index
directory, so each test with its own SEARCH_INDEX_DIR starts empty.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

from search.query import FieldFilter, SearchRequest

from .base import (
    BM25_B,
    BM25_K1,
    HIGHLIGHT_FIELDS,
    SNIPPET_CHARS,
    SORT_NAME_CHARS,
    TEXT_BOOSTS,
    AccessFilter,
    Hit,
    NumberTest,
    SearchBackend,
    SearchResult,
    condition_tests,
    document_part,
    effective_sort,
    flatten_scientific,
    render_snippet,
    term_values,
)

_WORD = re.compile(r"[^\W_]+")
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})
_FOLD.update(str.maketrans({"ð": "d", "ı": "i"}))
MAX_TOKEN_BYTES = 40


def _fold(token: str) -> str:
    token = token.lower().translate(_FOLD)
    if token.isascii():
        return token
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[tuple[str, int, int, int]]:
    """(token, position, start, end) with character offsets, as the "fedcat" analyzer."""
    found = []
    for position, match in enumerate(_WORD.finditer(text)):
        if len(match.group().encode()) < MAX_TOKEN_BYTES:
            found.append((_fold(match.group()), position, match.start(), match.end()))
    return found


def analyze(text: str) -> list[str]:
    return [token for token, *_ in tokens(text)]


class _Stored:
    """A document with its analysed text."""

    def __init__(self, document: dict):
        self.document = document
        self.positions: dict[str, dict[str, list[int]]] = {}
        self.lengths: dict[str, int] = {}
        for name in TEXT_BOOSTS:
            found = tokens(document["text"].get(name) or "")
            by_token: dict[str, list[int]] = {}
            for token, position, _, _ in found:
                by_token.setdefault(token, []).append(position)
            self.positions[name] = by_token
            self.lengths[name] = len(found)


class MemoryBackend(SearchBackend):
    def __init__(self, *, index_dir=None, **options):
        super().__init__(index_dir=index_dir, **options)
        self._docs: dict[str, _Stored] = {}

    # --- writes ----------------------------------------------------------------------------------
    def index_documents(self, documents: Iterable[dict]) -> int:
        count = 0
        for document in documents:
            self._docs[document["pid"]] = _Stored(document)
            count += 1
        return count

    def delete(self, pids: Iterable[str]) -> int:
        pids = list(pids)
        for pid in pids:
            self._docs.pop(pid, None)
        return len(pids)

    def clear(self) -> None:
        self._docs.clear()

    def count(self) -> int:
        return len(self._docs)

    def versions(self) -> dict:
        return {pid: stored.document["updated_at"] for pid, stored in self._docs.items()}

    # --- search ----------------------------------------------------------------------------------
    def search(self, request: SearchRequest, access: AccessFilter) -> SearchResult:
        positive = [t for t in map(analyze, (*request.words, *request.phrases)) if t]
        negative = [t for t in map(analyze, request.excluded) if t]
        matches: list[tuple[float, str, _Stored]] = []
        for stored in self._docs.values():
            if not access.allows(stored.document["access"]) or not self._passes(request, stored):
                continue
            if not all(self._fields_with(stored, seq) for seq in positive):
                continue
            if any(self._fields_with(stored, seq) for seq in negative):
                continue
            matches.append((0.0, stored.document["pid"], stored))
        matches.sort(key=lambda m: m[1])  # ties in any order: by pid, ascending
        sort = effective_sort(request)
        if sort == "relevance":
            stats = self._stats()
            matches = [(self._score(s, positive, stats), p, s) for _, p, s in matches]
            matches.sort(key=lambda m: -m[0])
        else:
            matches = self._sorted(matches, sort)
        page = matches[request.offset : request.offset + request.limit]
        terms = {token for seq in positive for token in seq}
        hits = [
            Hit(
                stored.document["pid"],
                score if sort == "relevance" else None,
                self._highlights(stored, terms) if terms else {},
            )
            for score, _, stored in page
        ]
        facets = {}
        for name in request.facets:
            counts = Counter(v for _, _, s in matches for v in set(s.document["facets"][name]))
            ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            facets[name] = ranked[: request.facet_limit]
        return SearchResult(hits=hits, total=len(matches), facets=facets)

    @staticmethod
    def _sorted(matches, sort: str):
        """By the sort key (stable, so ties stay in pid order); a missing date comes last in
        both directions (as in tantivy and Elasticsearch), a missing size counts as 0."""
        key = {
            "date": lambda s: s.document["dates"]["creation_time"],
            "size": lambda s: s.document["numbers"]["size"] or 0.0,
            "name": lambda s: s.document["sort_name"][:SORT_NAME_CHARS],
            "created": lambda s: s.document["dates"]["created_at"],
        }[sort.lstrip("-")]
        present = [m for m in matches if key(m[2]) is not None]
        missing = [m for m in matches if key(m[2]) is None]
        present.sort(key=lambda m: key(m[2]), reverse=sort.startswith("-"))
        return present + missing

    def _passes(self, request: SearchRequest, stored: _Stored) -> bool:
        document = stored.document
        for condition in request.filters:
            if _filter_holds(condition, document) == condition.negate:
                return False
        for any_of, conditions in flatten_scientific(request.scientific):
            results = [_condition_holds(c, document) != c.negate for c in conditions]
            if not (any(results) if any_of else all(results)):
                return False
        return True

    # --- text ------------------------------------------------------------------------------------
    @staticmethod
    def _occurrences(stored: _Stored, name: str, sequence: list[str]) -> int:
        positions = stored.positions[name]
        starts = positions.get(sequence[0], [])
        if len(sequence) == 1:
            return len(starts)
        return sum(
            all(start + k in positions.get(token, ()) for k, token in enumerate(sequence))
            for start in starts
        )

    def _fields_with(self, stored: _Stored, sequence: list[str]) -> list[str]:
        return [n for n in TEXT_BOOSTS if self._occurrences(stored, n, sequence)]

    def _stats(self):
        total = len(self._docs) or 1
        frequency = {name: Counter() for name in TEXT_BOOSTS}
        average = {}
        for name in TEXT_BOOSTS:
            for stored in self._docs.values():
                frequency[name].update(stored.positions[name].keys())
            average[name] = sum(s.lengths[name] for s in self._docs.values()) / total
        return total, frequency, average

    def _score(self, stored: _Stored, positive, stats) -> float:
        total, frequency, average = stats
        score = 0.0
        for sequence in positive:
            for name, boost in TEXT_BOOSTS.items():
                tf = self._occurrences(stored, name, sequence)
                if not tf:
                    continue
                idf = sum(
                    math.log(1 + (total - frequency[name][t] + 0.5) / (frequency[name][t] + 0.5))
                    for t in sequence
                )
                norm = 1 - BM25_B + BM25_B * stored.lengths[name] / (average[name] or 1)
                score += boost * idf * (1 + BM25_K1) * tf / (tf + BM25_K1 * norm)
        return score

    def _highlights(self, stored: _Stored, terms: set[str]) -> dict[str, str]:
        found = {}
        for name in HIGHLIGHT_FIELDS:
            text = stored.document["text"].get(name) or ""
            weights = {t: 1 / (1 + self._document_frequency(name, t)) for t in terms}
            snippet = _best_fragment(text, {t: w for t, w in weights.items() if w < 1})
            if snippet:
                found[name] = snippet
        return found

    def _document_frequency(self, name: str, token: str) -> int:
        return sum(1 for s in self._docs.values() if token in s.positions[name])


def _best_fragment(text: str, weights: dict[str, float]) -> str:
    """tantivy's snippet rule: cut the text into runs of tokens of at most SNIPPET_CHARS bytes,
    keep the run whose query terms weigh most (the first on ties), from its first character to
    the end of its last token."""
    if not weights:
        return ""
    data = text.encode()
    best = None
    start, stop, score, spans = 0, 0, 0.0, []

    def offer():
        nonlocal best
        if score > 0 and (best is None or score > best[2]):
            best = (start, stop, score, spans)

    for token, _, begin, end in tokens(text):
        b_begin, b_end = len(text[:begin].encode()), len(text[:end].encode())
        if b_end - start > SNIPPET_CHARS:
            offer()
            start, score, spans = b_begin, 0.0, []
        stop = b_end
        if token in weights:
            score += weights[token]
            spans = [*spans, (b_begin, b_end)]
    offer()
    if best is None:
        return ""
    b_start, b_stop, _, b_spans = best
    fragment = data[b_start:b_stop].decode()
    chars = [(len(data[b_start:s].decode()), len(data[b_start:e].decode())) for s, e in b_spans]
    return render_snippet(fragment, chars)


def _filter_holds(condition, document: dict) -> bool:
    part = document[document_part(condition.field)]
    value = part.get(condition.field)
    if isinstance(condition, FieldFilter):
        if part is document["flags"]:
            return value is not None and value in condition.values
        wanted = term_values(condition.field, condition.values)
        if condition.op == "contains":
            return any(w.lower() in v.lower() for w in wanted for v in value)
        return bool(set(wanted).intersection(value))
    if value is None:
        return False
    test = NumberTest(
        (), condition.low, condition.high, condition.bounds[0] == "[", condition.bounds[1] == "]"
    )
    return test.holds(value)


def _condition_holds(condition, document: dict) -> bool:
    for test in condition_tests(condition):
        if isinstance(test, NumberTest):
            values = document["metadata_numbers"]
            if not any(test.holds(v) for p in test.paths for v in values.get(p, ())):
                return False
        else:
            strings = [v for p in test.paths for v in document["metadata_strings"].get(p, ())]
            if test.contains:
                needle = test.value.lower()
                if not any(needle in s.lower() for s in strings):
                    return False
            elif test.value not in strings:
                return False
    return True
