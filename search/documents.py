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
        if value is None or isinstance(value, (dict, list)):
            continue
        text = str(value).strip()[:MAX_TERM_CHARS]
        if text:
            out[text] = None
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


def _flatten(value, path: str, out: dict, budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            key = str(key).replace(SEPARATOR, " ")
            if key not in QUANTITY_LEAVES:
                out["words"].append(key)
            _flatten(item, f"{path}.{key}" if path else key, out, budget)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, path, out, budget)
    elif is_indexable(value):
        budget[0] -= 1
        out["numbers"].setdefault(path, {})[float(value)] = None
    elif isinstance(value, str):
        budget[0] -= 1
        text = value[:MAX_STRING_CHARS]
        out["strings"].setdefault(path, {})[text] = None
        if path.rsplit(".", 1)[-1] not in UNIT_LEAVES and text.strip():
            out["words"].append(text)


def _metadata(scientific) -> tuple[dict, dict, str]:
    out = {"numbers": {}, "strings": {}, "words": []}
    _flatten(scientific or {}, "", out, [MAX_METADATA_LEAVES])
    numbers = {path: list(values) for path, values in out["numbers"].items()}
    strings = {path: list(values) for path, values in out["strings"].items()}
    return numbers, strings, " ".join(out["words"])


def dataset_document(dataset, related: Related | None = None) -> dict:
    """The search document of one dataset (see the module docstring for the shape)."""
    related = related or Related()
    lifecycle = dataset.datasetlifecycle if isinstance(dataset.datasetlifecycle, dict) else {}
    sources = _term_sources(dataset, related, lifecycle)
    terms = {name: _clean(sources[name]) for name, f in FIELDS.items() if f.kind == TERM}
    flags, dates, numbers = {}, {}, {}
    for name, f in FIELDS.items():
        if f.kind == BOOL:
            if name.startswith("datasetlifecycle."):
                value = lifecycle.get(_camel(name.split(".", 1)[1]))
            else:
                value = getattr(dataset, name)
            flags[name] = value if isinstance(value, bool) else None
        elif f.kind == DATE:
            dates[name] = version(getattr(dataset, name))
        elif f.kind != TERM:
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


def iter_documents(*, batch_size: int = 500, queryset=None) -> Iterator[dict]:
    """Documents of every dataset (or of `queryset`), read in primary-key pages."""
    from catalogue.models import Dataset

    queryset = Dataset.objects.all() if queryset is None else queryset
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk").defer(*DEFERRED)[:batch_size])
        if not batch:
            return
        last = batch[-1].pk
        yield from documents_for(batch)
