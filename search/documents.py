"""Dataset -> search document: the one place that decides what the index knows of a dataset.

A document is a plain dict, the same for every backend (pure data; datetimes are UTC, whole
seconds, because tantivy stores dates at second precision)::

    pid, updated_at              identity, and the version search_check compares
    access: {owner_group, access_groups, shared_with (lower-case), is_published, embargo_end}
    text: {dataset_name, keywords, description, related, metadata, other}   free text, weighted
                                 by search.backends.base.TEXT_BOOSTS
    terms:   {field: [str]}      every TERM field of search.query.FIELDS (exact values)
    flags:   {field: bool|None}  every BOOL field
    dates:   {field: datetime|None}, numbers: {field: float|None}   DATE, NUMBER and BYTES fields
    facets:  {facet: [str]}      every facet of search.query.FACETS
    metadata_numbers: {path: [float]}, metadata_strings: {path: [str]}
                                 scientific-metadata leaves by dotted path; list items share
                                 their list's path; quantities give path.value, path.unit,
                                 path.valueSI, path.unitSI
    sort_name: str               the lower-cased name, for sort:name

``dataset_document`` is pure; ``documents_for`` and ``iter_documents`` add the linked records
(instrument names and facilities, proposal titles, sample descriptions) from the database.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from search.backends.encoding import SEPARATOR, is_indexable
from search.query import FIELDS
from search.query.model import BOOL, DATE, TERM

SCHEMA_VERSION = 1  # bump when the document shape changes; indexes are then rebuilt
MAX_METADATA_LEAVES = 2000  # leaves indexed per dataset; the rest is not searchable
MAX_STRING_CHARS = 256  # metadata strings are compared on their first 256 characters
MAX_TERM_CHARS = 500
MAX_NUMBER = 1e300  # larger numbers are not indexed (nor infinities and NaN)
QUANTITY_LEAVES = frozenset({"value", "unit", "valueSI", "unitSI", "v", "u"})
UNIT_LEAVES = frozenset({"unit", "unitSI", "u"})
# Dates are kept within what every engine stores (tantivy: 1677-2262); an embargo "until 9999"
# is indexed as 2262, which means the same.
EARLIEST, LATEST = datetime(1700, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)
# Columns a document never needs (big, or not searched).
DEFERRED = ("job_log_data", "job_parameters", "relationships", "input_datasets", "used_software")


@dataclass
class Related:
    """The linked records a batch of datasets refers to."""

    # instrument pid -> (unique name, name, facility)
    instruments: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    proposals: dict[str, str] = field(default_factory=dict)  # proposal id -> title
    samples: dict[str, str] = field(default_factory=dict)  # sample id -> description


def version(moment: datetime | None) -> datetime | None:
    """A datetime as documents hold it: UTC, whole seconds, within EARLIEST..LATEST."""
    if moment is None:
        return None
    return min(max(moment.astimezone(UTC).replace(microsecond=0), EARLIEST), LATEST)


def _clean(values) -> list[str]:
    out: dict[str, None] = {}
    for value in values:
        if type(value) is str:
            text = value.strip()
        elif value is None or isinstance(value, (dict, list)):
            continue
        else:
            text = str(value).strip()
        if text:
            out[text[:MAX_TERM_CHARS]] = None
    return list(out)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _techniques(dataset) -> list[tuple[str, str]]:
    found = []
    for technique in dataset.techniques or []:
        if isinstance(technique, dict):
            found.append((str(technique.get("pid") or ""), str(technique.get("name") or "")))
    return found


def _term_sources(dataset, related: Related, lifecycle: dict) -> dict[str, list]:
    instruments = [related.instruments.get(i) for i in dataset.instrument_ids or []]
    return {
        "type": [dataset.type],
        "owner_group": [dataset.owner_group],
        "access_groups": dataset.access_groups or [],
        "shared_with": [str(e).strip().lower() for e in dataset.shared_with or []],
        "keywords": dataset.keywords or [],
        "techniques": [part for pair in _techniques(dataset) for part in pair],
        "instrument": dataset.instrument_ids or [],
        "proposal": dataset.proposal_ids or [],
        "sample": dataset.sample_ids or [],
        "license": [dataset.license],
        "creation_location": [dataset.creation_location],
        "facility": [i[2] for i in instruments if i],
        "pid": [dataset.pid],
        "dataset_name": [dataset.dataset_name],
        "owner": [dataset.owner],
        "principal_investigators": dataset.principal_investigators or [],
        "run_number": [dataset.run_number],
        "data_format": [dataset.data_format],
        "datasetlifecycle.archive_status_message": [lifecycle.get("archiveStatusMessage")],
        "datasetlifecycle.retrieve_status_message": [lifecycle.get("retrieveStatusMessage")],
    }


class _Leaves:
    """Collects the leaves of one metadata tree (a class with one recursive method: the hot
    loop of indexing, so locals and direct type checks instead of helper calls)."""

    __slots__ = ("budget", "numbers", "strings", "words")

    def __init__(self):
        self.numbers: dict[str, dict[float, None]] = {}
        self.strings: dict[str, dict[str, None]] = {}
        self.words: list[str] = []
        self.budget = MAX_METADATA_LEAVES

    def walk(self, value, path: str, leaf: str) -> None:
        """`leaf` is the last key of `path` (list items share their list's path and leaf)."""
        if self.budget <= 0:
            return
        kind = type(value)
        if kind is dict or (kind is not list and isinstance(value, dict)):
            prefix = path + "." if path else ""
            words = self.words
            for key, item in value.items():
                if type(key) is not str:
                    key = str(key)
                if SEPARATOR in key:
                    key = key.replace(SEPARATOR, " ")
                if key not in QUANTITY_LEAVES:
                    words.append(key)
                self.walk(item, prefix + key, key.rpartition(".")[2])
        elif kind is list or isinstance(value, list):
            for item in value:
                self.walk(item, path, leaf)
        elif kind is float or kind is int:
            # finite and not huge (bools are not numbers here: their type is bool)
            if -MAX_NUMBER <= value <= MAX_NUMBER:
                self.budget -= 1
                found = self.numbers.get(path)
                if found is None:
                    found = self.numbers[path] = {}
                found[float(value)] = None
        elif kind is str or isinstance(value, str):
            self.budget -= 1
            text = value[:MAX_STRING_CHARS]
            found = self.strings.get(path)
            if found is None:
                found = self.strings[path] = {}
            found[text] = None
            if leaf not in UNIT_LEAVES and not text.isspace() and text:
                self.words.append(text)


def _metadata(scientific) -> tuple[dict, dict, str]:
    leaves = _Leaves()
    leaves.walk(scientific or {}, "", "")
    numbers = {path: list(values) for path, values in leaves.numbers.items()}
    strings = {path: list(values) for path, values in leaves.strings.items()}
    return numbers, strings, " ".join(leaves.words)


_TERM_FIELDS = tuple(name for name, f in FIELDS.items() if f.kind == TERM)
# (flag, its key in datasetlifecycle or None for a column)
_FLAG_FIELDS = tuple(
    (name, _camel(name.split(".", 1)[1]) if name.startswith("datasetlifecycle.") else None)
    for name, f in FIELDS.items()
    if f.kind == BOOL
)
_DATE_FIELDS = tuple(name for name, f in FIELDS.items() if f.kind == DATE)
_NUMBER_FIELDS = tuple(name for name, f in FIELDS.items() if f.kind not in (TERM, BOOL, DATE))


def dataset_document(dataset, related: Related | None = None) -> dict:
    """The search document of one dataset (see the module docstring for the shape)."""
    related = related or Related()
    lifecycle = dataset.datasetlifecycle if isinstance(dataset.datasetlifecycle, dict) else {}
    sources = _term_sources(dataset, related, lifecycle)
    terms = {name: _clean(sources[name]) for name in _TERM_FIELDS}
    flags = {}
    for name, lifecycle_key in _FLAG_FIELDS:
        value = lifecycle.get(lifecycle_key) if lifecycle_key else getattr(dataset, name)
        flags[name] = value if isinstance(value, bool) else None
    dates = {name: version(getattr(dataset, name)) for name in _DATE_FIELDS}
    numbers = {}
    for name in _NUMBER_FIELDS:
        value = getattr(dataset, name)
        numbers[name] = float(value) if is_indexable(value) else None
    creation = dates["creation_time"]
    instruments = [related.instruments.get(i) for i in dataset.instrument_ids or []]
    techniques = _techniques(dataset)
    facets = {
        "instrument": terms["instrument"],
        "technique": _clean(name or pid for pid, name in techniques),
        "owner_group": terms["owner_group"],
        "type": terms["type"],
        "keywords": terms["keywords"],
        "year": [str(creation.year)] if creation else [],
        "license": terms["license"],
        "facility": terms["facility"],
        "creation_location": terms["creation_location"],
    }
    metadata_numbers, metadata_strings, metadata_text = _metadata(dataset.scientific_metadata)
    related_text = [name for pid, name in techniques]
    for instrument in instruments:
        if instrument:
            related_text += [instrument[0], instrument[1]]
    related_text += [related.proposals.get(p, "") for p in dataset.proposal_ids or []]
    related_text += [related.samples.get(s, "") for s in dataset.sample_ids or []]
    other = [dataset.pid, dataset.owner, *(dataset.principal_investigators or [])]
    other += [dataset.creation_location, dataset.source_folder, dataset.comment]
    other += [dataset.run_number, dataset.data_format, *(dataset.proposal_ids or [])]
    other += [*(dataset.sample_ids or []), *(dataset.instrument_ids or [])]
    return {
        "pid": dataset.pid,
        "updated_at": version(dataset.updated_at),
        "access": {
            "owner_group": dataset.owner_group,
            "access_groups": terms["access_groups"],
            "shared_with": terms["shared_with"],
            "is_published": bool(dataset.is_published),
            "embargo_end": version(dataset.embargo_end),
        },
        "text": {
            "dataset_name": dataset.dataset_name or "",
            "keywords": ", ".join(terms["keywords"]),
            "description": dataset.description or "",
            "related": " ".join(t for t in related_text if t),
            "metadata": metadata_text,
            "other": " ".join(str(t) for t in other if t),
        },
        "terms": terms,
        "flags": flags,
        "dates": dates,
        "numbers": numbers,
        "facets": facets,
        "metadata_numbers": metadata_numbers,
        "metadata_strings": metadata_strings,
        "sort_name": (dataset.dataset_name or "").lower(),
    }


def related_for(datasets: Iterable) -> Related:
    """Loads the instruments, proposals and samples a batch of datasets links to (3 queries)."""
    from catalogue.models import Instrument, Proposal, Sample

    def linked(attribute: str) -> set[str]:
        return {str(v) for d in datasets for v in getattr(d, attribute) or []}

    instruments = Instrument.objects.filter(pid__in=linked("instrument_ids"))
    proposals = Proposal.objects.filter(proposal_id__in=linked("proposal_ids"))
    samples = Sample.objects.filter(sample_id__in=linked("sample_ids"))
    return Related(
        instruments={
            pid: (unique, name, facility)
            for pid, unique, name, facility in instruments.values_list(
                "pid", "unique_name", "name", "facility"
            )
        },
        proposals=dict(proposals.values_list("proposal_id", "title")),
        samples={
            sample_id: (text or "")[:1000]
            for sample_id, text in samples.values_list("sample_id", "description")
        },
    )


def documents_for(datasets: Iterable) -> list[dict]:
    datasets = list(datasets)
    related = related_for(datasets)
    return [dataset_document(dataset, related) for dataset in datasets]


def iter_documents(
    *, batch_size: int = 500, queryset=None, workers: int = 0, prepare=None
) -> Iterator[dict]:
    """Documents of every dataset (or of `queryset`), read in primary-key pages, in pk order.

    With `workers` > 0, that many forked processes read and build the pages (this process
    only passes them on): building documents is most of the cost of a rebuild, and one
    process uses one core. Not inside a transaction (the workers could not see it), on an
    in-memory SQLite database, nor in a daemonic process (a Celery prefork worker cannot
    fork): then this process does the work. `prepare` (a backend's) is applied to each
    document in the workers."""
    from catalogue.models import Dataset

    queryset = Dataset.objects.all() if queryset is None else queryset
    if workers > 0 and _can_fork():
        yield from _parallel_documents(queryset, batch_size, workers, prepare)
        return
    for page in _pages(queryset, batch_size):
        yield from _page_documents(page)


def _pages(queryset, batch_size: int) -> Iterator:
    """`queryset` restricted to consecutive pk ranges of `batch_size` datasets."""
    last = 0
    while True:
        following = queryset.filter(pk__gt=last).order_by("pk")
        pks = list(following.values_list("pk", flat=True)[:batch_size])
        if not pks:
            return
        yield queryset.filter(pk__gte=pks[0], pk__lte=pks[-1])
        last = pks[-1]


def _page_documents(page) -> list[dict]:
    return documents_for(page.order_by("pk").defer(*DEFERRED))


def _forked_page_documents(query, prepare) -> list:
    """_page_documents in a worker process, given the page's SQL query (a QuerySet would be
    evaluated by pickling it, in the process that sends it), each document prepare()d."""
    from catalogue.models import Dataset

    page = Dataset.objects.all()
    page.query = query
    documents = _page_documents(page)
    return documents if prepare is None else [prepare(document) for document in documents]


def _can_fork() -> bool:
    import multiprocessing

    from django.db import connections

    if multiprocessing.current_process().daemon:
        return False
    for connection in connections.all():
        if connection.in_atomic_block:
            return False
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            return False  # lives in this process's memory only
    return True


def _worker_started() -> None:
    import gc

    gc.set_threshold(*BULK_GC_THRESHOLD)


def _parallel_documents(queryset, batch_size: int, workers: int, prepare) -> Iterator:
    import multiprocessing

    from django.db import connections

    connections.close_all()  # the children must not share this process's connections
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_started) as pool:
        waiting: deque = deque()  # pages being built, in order; a few per worker, no more
        for page in _pages(queryset, batch_size):
            waiting.append(pool.apply_async(_forked_page_documents, (page.query, prepare)))
            if len(waiting) >= 2 * workers:
                yield from waiting.popleft().get()
        while waiting:
            yield from waiting.popleft().get()


BULK_GC_THRESHOLD = (50_000, 20, 100)  # fewer collections while building many documents
