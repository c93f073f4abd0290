"""The search backend interface, and the meaning every backend must give a SearchRequest.

Backends are like Django's mail backends: a class chosen by a dotted path (``SEARCH_BACKEND``),
built with keyword options, and an in-memory twin for tests. A backend stores *documents*
(plain dicts made by ``search.documents``; the shape is described there) and answers
``search(request, access)``. It never decides who may see what: the service passes an
``AccessFilter`` built from catalogue.access, and the backend applies it inside the engine query,
so hits, totals and facet counts only ever count visible documents.

The semantics below (which metadata paths a condition looks at, how text is weighted, the
default sort) are shared so that every backend gives the same answers; tests/search/conformance.py
checks that they do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from search.query import FACET_LIMIT, FIELDS, AnyOf, ScientificCondition, SearchRequest
from search.query.model import BOOL, DATE, TERM

# Free-text fields of a document and their weights: a match in the name beats one in the
# keywords, which beats the description, which beats linked records and metadata values.
TEXT_BOOSTS = {
    "dataset_name": 4.0,
    "keywords": 3.0,
    "description": 2.0,
    "related": 1.5,
    "metadata": 1.0,
    "other": 1.0,
}
# Fields that get highlighted snippets, in this order.
HIGHLIGHT_FIELDS = ("dataset_name", "keywords", "description", "metadata")
SNIPPET_CHARS = 200
FACET_SIZE = FACET_LIMIT  # the default values per facet, most frequent first (ties by value)
SORT_NAME_CHARS = 1000  # sort:name compares the first 1000 characters of the lower-cased name
BM25_K1, BM25_B = 1.2, 0.75


class IndexOutOfDate(RuntimeError):
    """The index was written by another schema version: run ``manage.py reindex``."""


@dataclass(frozen=True)
class Hit:
    pid: str
    score: float | None  # BM25 relevance when sorted by relevance, else None
    highlights: dict[str, str] = field(default_factory=dict)  # field -> HTML, <mark>ed words


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int  # exact number of visible matches
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    error: str | None = None  # set by the service when the backend failed


@dataclass(frozen=True)
class AccessFilter:
    """Which documents a user may see: everything, or the union of the listed grants.

    Built by search.access from catalogue.access.PERMISSIONS. ``public_at``: documents that
    are published or whose embargo ended at that moment are visible (None: public documents
    are not visible by that route). The sets hold the user's groups and e-mail."""

    everything: bool = False
    public_at: datetime | None = None
    owner_group: frozenset[str] = frozenset()
    access_groups: frozenset[str] = frozenset()
    shared_with: frozenset[str] = frozenset()

    def allows(self, access: dict) -> bool:
        """The reference meaning, on a document's ``access`` part (the memory backend uses it)."""
        if self.everything:
            return True
        if self.public_at is not None:
            embargo_end = access.get("embargo_end")
            if access.get("is_published") or (embargo_end and embargo_end <= self.public_at):
                return True
        return (
            access.get("owner_group") in self.owner_group
            or bool(self.access_groups.intersection(access.get("access_groups") or ()))
            or bool(self.shared_with.intersection(access.get("shared_with") or ()))
        )


# --- shared semantics --------------------------------------------------------------------------


def has_text(request: SearchRequest) -> bool:
    return bool(request.words or request.phrases)


def effective_sort(request: SearchRequest) -> str:
    """The sort to apply: relevance needs text to rank by; without text, newest first."""
    sort = request.sort or "relevance"
    return "-date" if sort == "relevance" and not has_text(request) else sort


def document_part(field_name: str) -> str:
    """Where a filterable field lives in a document: terms, flags, dates or numbers."""
    kind = FIELDS[field_name].kind
    if kind == TERM:
        return "terms"
    if kind == BOOL:
        return "flags"
    return "dates" if kind == DATE else "numbers"


def term_values(field_name: str, values) -> list[str]:
    """Filter values as the document holds them (e-mails are stored lower-case)."""
    if field_name == "shared_with":
        return [str(v).strip().lower() for v in values]
    return [str(v) for v in values]


@dataclass(frozen=True)
class NumberTest:
    """Some number stored under one of ``paths`` lies in the interval (None: open end)."""

    paths: tuple[str, ...]
    low: float | None
    high: float | None
    low_inclusive: bool = True
    high_inclusive: bool = True

    def holds(self, value: float) -> bool:
        low, high = self.low, self.high
        if low is not None and (value < low or (value == low and not self.low_inclusive)):
            return False
        return high is None or value < high or (value == high and self.high_inclusive)


@dataclass(frozen=True)
class StringTest:
    """Some text under one of ``paths`` equals ``value`` (or contains it, ignoring case)."""

    paths: tuple[str, ...]
    value: str
    contains: bool = False


_COMPARISONS = {  # relation -> (the value is the low end, the end is included)
    "GREATER_THAN": (True, False),
    "GREATER_THAN_OR_EQUAL": (True, True),
    "LESS_THAN": (False, False),
    "LESS_THAN_OR_EQUAL": (False, True),
}


def condition_tests(condition: ScientificCondition) -> tuple[NumberTest | StringTest, ...]:
    """What a scientific condition asks of a document; all returned tests must hold.

    With a unit: the stored ``<key>.valueSI`` is compared with the SI value and ``<key>.unitSI``
    must equal the SI unit (SciCat). Without one, any of ``<key>``, ``<key>.v``, ``<key>.value``
    may hold the value (SciCat looks only at ``.value`` for = and RANGE; fedcat is more lenient
    so that ``run:42`` finds ``{"run": 42}``)."""
    key, relation = condition.key, condition.relation
    if relation in ("EQUAL_TO_STRING", "CONTAINS_STRING"):
        paths = (key, f"{key}.v", f"{key}.value")
        return (StringTest(paths, condition.value, relation == "CONTAINS_STRING"),)
    with_unit = condition.unit_si is not None
    value = condition.value_si if with_unit else condition.value
    paths = (f"{key}.valueSI",) if with_unit else (key, f"{key}.v", f"{key}.value")
    if relation == "RANGE":
        low_inclusive, high_inclusive = condition.bounds[0] == "[", condition.bounds[1] == "]"
        test = NumberTest(paths, float(value[0]), float(value[1]), low_inclusive, high_inclusive)
    elif relation == "EQUAL_TO_NUMERIC":
        test = NumberTest(paths, float(value), float(value))
    else:
        is_low, inclusive = _COMPARISONS[relation]
        if is_low:
            test = NumberTest(paths, float(value), None, low_inclusive=inclusive)
        else:
            test = NumberTest(paths, None, float(value), high_inclusive=inclusive)
    if with_unit:
        return (test, StringTest((f"{key}.unitSI",), condition.unit_si))
    return (test,)


def flatten_scientific(conditions) -> Iterable[tuple[bool, tuple]]:
    """(is_any_of, conditions) per entry of SearchRequest.scientific."""
    for entry in conditions:
        if isinstance(entry, AnyOf):
            yield True, entry.conditions
        else:
            yield False, (entry,)


class SearchBackend:
    """The interface. Writes (index_documents, delete, clear, rebuild) happen in one writer
    process at a time (the Celery worker, or a management command); searches anywhere."""

    def __init__(self, *, index_dir=None, **options):
        self.index_dir = index_dir
        self.options = options

    def index_documents(self, documents: Iterable[dict]) -> int:
        """Adds or replaces documents (by pid); returns how many. Visible after refresh()."""
        raise NotImplementedError

    def delete(self, pids: Iterable[str]) -> int:
        """Removes documents by pid (absent pids are ignored); returns how many were asked."""
        raise NotImplementedError

    def search(self, request: SearchRequest, access: AccessFilter) -> SearchResult:
        raise NotImplementedError

    def count(self) -> int:
        """Documents in the index, visible or not."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        """Makes every committed write visible to this process's searches."""

    def versions(self) -> dict[str, datetime]:
        """pid -> updated_at of every document (for search_check)."""
        raise NotImplementedError

    @staticmethod
    def prepare(document: dict):
        """A document as rebuild() takes it, made where the document is built (in a worker
        process when the rebuild has workers, so a static method: it is sent there by name).
        The default is the document itself; tantivy gives its JSON, which it parses without
        making Python objects."""
        return document

    def rebuild(self, documents: Iterable[dict]) -> int:
        """Replaces the whole index by these documents (or prepare()d ones). Backends that can
        build aside and swap (tantivy generations, Elasticsearch aliases) override this so
        searches never see a half-built index."""
        self.clear()
        count = 0
        batch: list[dict] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= 1000:
                count += self.index_documents(batch)
                batch = []
        count += self.index_documents(batch)
        self.refresh()
        return count


def render_snippet(fragment: str, spans: Iterable[tuple[int, int]]) -> str:
    """A fragment as HTML, the (character) spans wrapped in <mark>."""
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [escape(fragment[at:start]), "<mark>", escape(fragment[start:end]), "</mark>"]
        at = end
    out.append(escape(fragment[at:]))
    return "".join(out)
