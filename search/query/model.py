"""The parsed search: frozen dataclasses, the fixed vocabulary and the limits. No parsing here.

Three parsers (portal query string, SciCat ``fields``, PaNOSC ``filter``) all return the same
``SearchRequest``; backends read only these types. Field names are canonical: the snake_case
Dataset field (``owner_group``), or a fedcat name where no single column exists (``instrument``,
``proposal``, ``sample``, ``facility``, ``datasetlifecycle.archivable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What is public is listed once, in search/query/__init__.py.

DEFAULT_LIMIT = 25  # portal page size; the SciCat parser uses SciCat's own default, 100
MAX_LIMIT = 1000  # most results one request may ask for
MAX_WINDOW = 10_000  # offset + limit: results past the first 10 000 are not reachable by paging
FACET_LIMIT = 100  # values per facet, the most frequent first (ties by value)
MAX_FACET_LIMIT = 10_000


class QueryError(ValueError):
    """The only exception the parsers raise: a message for the user, and the field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


TERM, BOOL, DATE, NUMBER, BYTES = "term", "bool", "date", "number", "bytes"


@dataclass(frozen=True)
class Field:
    name: str  # canonical
    kind: str  # term | bool | date | number | bytes (a number of bytes: "1.5 GB" accepted)
    display: str  # the spelling to_query_string() writes


# canonical name, kind, display name, extra aliases (camelCase and snake_case of the canonical
# and display names are always accepted; lookups ignore case and underscores).
_FIELD_SPEC = (
    ("type", TERM, "type", ()),
    ("owner_group", TERM, "ownerGroup", ()),
    ("access_groups", TERM, "accessGroups", ("accessGroup",)),
    ("shared_with", TERM, "sharedWith", ()),
    ("keywords", TERM, "keyword", ()),
    ("techniques", TERM, "technique", ()),  # matches a technique's pid or its name
    ("instrument", TERM, "instrument", ("instrumentId", "instrumentIds", "instruments")),
    ("proposal", TERM, "proposal", ("proposalId", "proposalIds", "proposals")),
    ("sample", TERM, "sample", ("sampleId", "sampleIds", "samples")),
    ("license", TERM, "license", ()),
    ("creation_location", TERM, "creationLocation", ()),
    ("facility", TERM, "facility", ()),
    ("pid", TERM, "pid", ("_id",)),
    ("dataset_name", TERM, "datasetName", ("title",)),
    ("owner", TERM, "owner", ()),
    ("principal_investigators", TERM, "principalInvestigator", ("investigator",)),
    ("run_number", TERM, "runNumber", ()),
    ("data_format", TERM, "dataFormat", ()),
    ("datasetlifecycle.archive_status_message", TERM, "datasetlifecycle.archiveStatusMessage", ()),
    (
        "datasetlifecycle.retrieve_status_message",
        TERM,
        "datasetlifecycle.retrieveStatusMessage",
        (),
    ),
    ("is_published", BOOL, "isPublished", ("published",)),
    ("datasetlifecycle.archivable", BOOL, "datasetlifecycle.archivable", ()),
    ("datasetlifecycle.retrievable", BOOL, "datasetlifecycle.retrievable", ()),
    ("datasetlifecycle.publishable", BOOL, "datasetlifecycle.publishable", ()),
    ("creation_time", DATE, "creationTime", ()),
    ("start_time", DATE, "startTime", ()),
    ("end_time", DATE, "endTime", ()),
    ("created_at", DATE, "createdAt", ()),
    ("updated_at", DATE, "updatedAt", ()),
    ("size", BYTES, "size", ()),
    ("packed_size", BYTES, "packedSize", ()),
    ("number_of_files", NUMBER, "numberOfFiles", ()),
    ("number_of_files_archived", NUMBER, "numberOfFilesArchived", ()),
    ("data_quality_metrics", NUMBER, "dataQualityMetrics", ()),
)
FIELDS = {name: Field(name, kind, display) for name, kind, display, _ in _FIELD_SPEC}

# Dataset fields that exist but cannot be filtered on (their words are in the free text).
_NOT_FILTERABLE = (  # noqa: SIM905 (a word list reads better as text)
    "description owner_email orcid_of_owner contact_email source_folder source_folder_host "
    "validation_status classification comment relationships input_datasets used_software "
    "job_parameters job_log_data datasetlifecycle scientific_metadata scientific_metadata_schema "
    "scientific_metadata_valid unit_issues version embargo_end instrument_group created_by "
    "updated_by text mode scientific user_groups page limit skip offset order"
).split()


def squash(name: str) -> str:
    """Lookup key for a field name, ignoring case and underscores (ownerGroup = owner_group)."""
    return name.lower().replace("_", "")


_FIELD_INDEX: dict[str, str] = {}
for _name, _kind, _display, _aliases in _FIELD_SPEC:
    for _alias in (_name, _display, *_aliases):
        _FIELD_INDEX[squash(_alias)] = _name
_RESERVED = frozenset(squash(n) for n in _NOT_FILTERABLE) | {"sort", "year"}


def field_named(name: str) -> Field | None:
    """The field a user's spelling refers to, or None."""
    canonical = _FIELD_INDEX.get(squash(name))
    return FIELDS[canonical] if canonical else None


def is_reserved(name: str) -> bool:
    """A name that is not a metadata key when written bare (a field, "sort", "year"...)."""
    key = squash(name)
    return key in _FIELD_INDEX or key in _RESERVED


def reject_unfilterable(name: str) -> None:
    if squash(name) in _RESERVED:
        raise QueryError(
            f"'{name}' cannot be used as a filter; search for its words without a name, or "
            f'quote the name ("{name}":…) to search scientific metadata',
            field=name,
        )


FACETS = (
    "instrument",
    "technique",
    "owner_group",
    "type",
    "keywords",
    "year",
    "license",
    "facility",
    "creation_location",
)
_FACET_INDEX = {squash(f): f for f in FACETS}
_FACET_INDEX.update(
    {squash(a): f for a, f in (("techniques", "technique"), ("keyword", "keywords"))}
)
_FACET_INDEX.update(
    {squash(a): "instrument" for a in ("instruments", "instrumentId", "instrumentIds")}
)


def facets_named(names) -> tuple[str, ...]:
    """Canonical facet names, in order, without duplicates."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple)):
        raise QueryError("facets must be a list of names", field="facets")
    out: list[str] = []
    for name in names:
        facet = _FACET_INDEX.get(squash(name)) if isinstance(name, str) else None
        if facet is None:
            raise QueryError(
                f"unknown facet {name!r}; known facets: {', '.join(FACETS)}", field="facets"
            )
        if facet not in out:
            out.append(facet)
    return tuple(out)


# "created" is the order datasets were added in (createdAt): SciCat's natural order, which
# fullquery keeps when it is asked for no order.
SORTS = ("relevance", "date", "-date", "size", "-size", "name", "-name", "created", "-created")
_SORT_FIELDS = {s: s for s in ("relevance", "date", "size", "name", "created")}
_SORT_FIELDS.update(
    {
        squash(a): s
        for a, s in (
            ("score", "relevance"),
            ("creationTime", "date"),
            ("creationDate", "date"),
            ("createdAt", "date"),
            ("datasetName", "name"),
            ("title", "name"),
        )
    }
)


def sort_named(field: str, descending: bool = False) -> str:
    """The canonical sort key for a field name and direction ("relevance" has no direction)."""
    key = _SORT_FIELDS.get(squash(field)) if isinstance(field, str) else None
    if key is None:
        raise QueryError(
            f"cannot sort by {field!r}; sort by relevance, date, size or name", field="sort"
        )
    if key == "relevance":
        return key
    return "-" + key if descending else key


RELATIONS = (
    "EQUAL_TO_STRING",
    "EQUAL_TO_NUMERIC",
    "GREATER_THAN",
    "LESS_THAN",
    "GREATER_THAN_OR_EQUAL",
    "LESS_THAN_OR_EQUAL",
    "CONTAINS_STRING",
    "RANGE",
)
STRING_RELATIONS = frozenset({"EQUAL_TO_STRING", "CONTAINS_STRING"})

Number = int | float
Scalar = str | bool


@dataclass(frozen=True)
class FieldFilter:
    """``field`` equals (op "eq") or contains, case-insensitively (op "contains"), any of
    ``values``. Array fields match when any element does. ``negate`` inverts the whole filter."""

    field: str
    values: tuple[Scalar, ...]
    op: str = "eq"
    negate: bool = False


@dataclass(frozen=True)
class RangeFilter:
    """A number or date field between ``low`` and ``high`` (None: open). ``bounds`` says which
    ends are included: "[]", "[)", "(]" or "()"; an open end is always written "[" or "]".
    Dates are timezone-aware UTC datetimes; a whole day/month/year becomes [start, next start)."""

    field: str
    low: Number | datetime | None
    high: Number | datetime | None
    bounds: str = "[]"
    negate: bool = False


@dataclass(frozen=True)
class ScientificCondition:
    """One SciCat scientific-metadata condition on the dotted ``key`` path.

    ``value`` and ``unit`` are as the user gave them (``unit`` "" for none; RANGE: a (low, high)
    tuple). With a unit, ``value_si``/``unit_si`` hold the SI conversion (catalogue.units.to_si):
    compare the stored ``valueSI`` with ``value_si`` and require ``unitSI == unit_si``. Without a
    unit, compare the raw value (SciCat semantics). ``bounds`` applies to RANGE only ("()" is
    SciCat's exclusive range; the portal's ``[a TO b]`` gives "[]")."""

    key: str
    relation: str
    value: str | Number | tuple[Number, Number]
    unit: str = ""
    value_si: Number | tuple[Number, Number] | None = None
    unit_si: str | None = None
    bounds: str = "()"
    negate: bool = False


@dataclass(frozen=True)
class AnyOf:
    """At least one of two or more conditions holds (PaNOSC "or" and "inq" on parameters)."""

    conditions: tuple[ScientificCondition, ...]


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search asks for. All parts are ANDed.

    words: each must match the dataset's text; phrases: must match as a whole; excluded: words
    or phrases that must not match. sort: one of SORTS, or None for the default (relevance when
    there is text, else newest first); ties are in pid order. offset/limit: the page
    (limit <= MAX_LIMIT, offset + limit <= MAX_WINDOW). facets: the facet counts wanted (names
    from FACETS), at most facet_limit values each (<= MAX_FACET_LIMIT)."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    filters: tuple[FieldFilter | RangeFilter, ...] = ()
    scientific: tuple[ScientificCondition | AnyOf, ...] = ()
    facets: tuple[str, ...] = ()
    sort: str | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    facet_limit: int = FACET_LIMIT

    @property
    def text(self) -> str:
        """The free-text part as one string (words, "phrases", -excluded)."""
        from .render import render_text

        return render_text(self)

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    def to_query_string(self) -> str:
        """The canonical portal query string; parse_query_string() gives this request back
        (paging and facets travel separately: see to_url_params)."""
        from .render import render_query

        return render_query(self)

    def to_url_params(self) -> dict[str, str]:
        """{"q", and "page"/"size" when not the defaults} for a shareable portal URL."""
        params = {"q": self.to_query_string()}
        if self.limit != DEFAULT_LIMIT:
            params["size"] = str(self.limit)
        if self.page != 1:
            params["page"] = str(self.page)
        return params


def check_page(offset: int, limit: int) -> None:
    if limit < 1 or limit > MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise QueryError("skip must not be negative", field="skip")
    if offset + limit > MAX_WINDOW:
        raise QueryError(
            f"only the first {MAX_WINDOW} results can be paged through; narrow the search",
            field="skip",
        )
