"""One neutral record per published thing, from which every metadata format is written.

`publication_records` builds records from PublishedData (a DOI over datasets), `dataset_record`
from one public Dataset. Both only ever show what anonymous users may read: the datasets of a
publication are filtered through `Dataset.objects.visible_to(AnonymousUser())`, so a private or
embargoed dataset never reaches a landing page, an export or OAI-PMH. The format modules
(datacite, dublincore, schemaorg, bibtex, ris, csljson) read a Record and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from catalogue.access import is_public

from . import vocabularies as vocab
from .elements import (
    DateEntry,
    Description,
    Funding,
    Instrument,
    NameIdentifier,
    Part,
    Person,
    Publisher,
    Related,
    Rights,
    Subject,
    Title,
)


@dataclass(frozen=True)
class Record:
    kind: str  # "publication" or "dataset"
    identifier: str
    identifier_type: str  # DOI for publications; Handle, DOI or Other for datasets
    url: str  # the landing page
    titles: tuple[Title, ...] = ()
    creators: tuple[Person, ...] = ()
    publisher: Publisher | None = None
    publication_year: str = ""
    resource_type: str = ""
    resource_type_general: str = "Dataset"
    subjects: tuple[Subject, ...] = ()
    contributors: tuple[Person, ...] = ()
    dates: tuple[DateEntry, ...] = ()
    language: str = ""
    alternate_identifiers: tuple[NameIdentifier, ...] = ()
    related: tuple[Related, ...] = ()
    sizes: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    version: str = ""
    rights: tuple[Rights, ...] = ()
    descriptions: tuple[Description, ...] = ()
    funding: tuple[Funding, ...] = ()
    instruments: tuple[Instrument, ...] = ()
    parts: tuple[Part, ...] = ()
    data_open: bool = False
    updated: datetime | None = None
    registered: bool = True
    withdrawn: datetime | None = None
    withdrawal_reason: str = ""
    catalogue: tuple[str, str] = ("", "")  # (name, url) of this catalogue

    @property
    def title(self) -> str:
        return self.titles[0].text if self.titles else ""

    @property
    def abstract(self) -> str:
        return next((d.text for d in self.descriptions if d.type == "Abstract"), "")

    @property
    def doi(self) -> str:
        return self.identifier if self.identifier_type == "DOI" else ""

    @property
    def citation_url(self) -> str:
        """https://doi.org/<doi> for a DOI, else the landing page."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    @property
    def issued(self) -> str:
        found = next((d.value for d in self.dates if d.type == "Issued"), "")
        return found or self.publication_year

    @property
    def facilities(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.facility for i in self.instruments if i.facility))


# --- Site facts ----------------------------------------------------------------------------------


def site_url(request=None) -> str:
    """The site's base URL without a trailing slash: SITE_URL, else the request's host."""
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://localhost:8000"


def site_name() -> str:
    configured = getattr(settings, "SITE_NAME", "")
    facility = getattr(settings, "FACILITY", "")
    return configured or (f"{facility} data catalogue" if facility else "fedcat data catalogue")


def default_publisher() -> Publisher:
    return Publisher(getattr(settings, "FACILITY", "") or site_name())


def doi_landing_url(base_url: str, doi: str) -> str:
    return f"{base_url}/doi/{quote(doi, safe='/')}"


def dataset_page_url(base_url: str, pid: str) -> str:
    return f"{base_url}/datasets/{quote(pid, safe='/')}"


# --- Builders ------------------------------------------------------------------------------------


def _anonymous_datasets(pids):
    from catalogue.models import Dataset

    return Dataset.objects.visible_to(AnonymousUser()).filter(pid__in=list(pids)).order_by("pid")


def _instruments(datasets) -> dict[str, Instrument]:
    from catalogue.models import Instrument as InstrumentModel

    pids = {str(p) for d in datasets for p in (d.instrument_ids or [])}
    rows = InstrumentModel.objects.filter(pid__in=sorted(pids))
    return {i.pid: Instrument(i.pid, i.unique_name, i.facility) for i in rows}


def _techniques(datasets) -> list[Subject]:
    found = []
    for dataset in datasets:
        for technique in dataset.techniques or []:
            if isinstance(technique, dict) and technique.get("name"):
                pid = str(technique.get("pid") or "")
                scheme = "PaNET" if "PaNET" in pid else ""
                scheme_uri = "http://purl.org/pan-science/PaNET/PaNET.owl" if scheme else ""
                found.append(Subject(str(technique["name"]), scheme, scheme_uri, pid))
    return found


def _dedupe(values) -> tuple:
    seen, found = set(), []
    for value in values:
        key = value.text.lower() if isinstance(value, Subject) else value
        if key not in seen:
            seen.add(key)
            found.append(value)
    return tuple(found)


def _part_related(pid: str, base_url: str, relation: str) -> Related:
    from .metadata import bare_doi, identifier_type

    kind = identifier_type(pid)
    if kind in {"DOI", "Handle"}:
        return Related(bare_doi(pid) if kind == "DOI" else pid, kind, relation, "Dataset")
    return Related(dataset_page_url(base_url, pid), "URL", relation, "Dataset")


def publication_records(items, *, base_url: str) -> list[Record]:
    """Records for PublishedData rows, loading their public datasets in two queries."""
    items = list(items)
    wanted = {pid for item in items for pid in (item.dataset_pids or [])}
    datasets = {d.pid: d for d in _anonymous_datasets(wanted)} if wanted else {}
    instruments = _instruments(datasets.values())
    return [_publication(item, datasets, instruments, base_url) for item in items]


def publication_record(item, *, base_url: str) -> Record:
    return publication_records([item], base_url=base_url)[0]


def _publication(item, datasets, instruments, base_url) -> Record:
    from catalogue.access_entities import REGISTERED_STATUSES

    from . import metadata as md

    meta = item.metadata if isinstance(item.metadata, dict) else {}
    types = meta.get("types") if isinstance(meta.get("types"), dict) else {}
    public = [datasets[pid] for pid in (item.dataset_pids or []) if pid in datasets]
    when = item.registered_time or item.created_at
    year = md.text(meta.get("publicationYear")) or (str(when.year) if when else "")
    general = md.text(types.get("resourceTypeGeneral") or meta.get("resourceTypeGeneral"))
    titles = [Title(item.title)] if item.title else []
    titles += [t for t in md.titles(meta.get("titles")) if t.text != item.title]
    descriptions = [Description(item.abstract, "Abstract")] if item.abstract else []
    descriptions += [
        d for d in md.descriptions(meta.get("descriptions")) if d.text != item.abstract
    ]
    related = md.related(meta.get("relatedIdentifiers"))
    how_to_reuse = md.text(meta.get("dataDescription"))
    if how_to_reuse.lower().startswith(("http://", "https://")):
        related.append(Related(how_to_reuse, "URL", "IsDocumentedBy"))
    elif how_to_reuse:
        descriptions.append(Description(how_to_reuse, "TechnicalInfo"))
    related += [_part_related(d.pid, base_url, "HasPart") for d in public]
    dates = md.dates(meta.get("dates"))
    if item.registered_time and not any(d.type == "Issued" for d in dates):
        dates.append(DateEntry(item.registered_time.date().isoformat(), "Issued"))
    if item.withdrawn_at:
        dates.append(DateEntry(item.withdrawn_at.date().isoformat(), "Withdrawn"))
    sizes = [md.text(s) for s in md.items(meta.get("sizes")) if md.text(s)]
    if not sizes:
        sizes = [f"{item.number_of_files} files"] if item.number_of_files else []
        sizes += [f"{item.size_of_archive} bytes"] if item.size_of_archive else []
    formats = [md.text(f) for f in md.items(meta.get("formats")) if md.text(f)]
    formats = formats or [d.data_format for d in public if d.data_format]
    rights = md.rights(meta.get("rightsList")) or [r for d in public for r in md.licence(d.license)]
    subjects = md.subjects(meta.get("subjects"))
    subjects += [Subject(str(k)) for d in public for k in (d.keywords or []) if str(k).strip()]
    return Record(
        kind="publication",
        identifier=item.doi,
        identifier_type="DOI",
        url=doi_landing_url(base_url, item.doi),
        titles=tuple(titles),
        creators=md.people(meta.get("creators"), default_affiliation=meta.get("affiliation")),
        publisher=md.publisher(meta.get("publisher")) or default_publisher(),
        publication_year=year,
        resource_type=md.text(types.get("resourceType") or meta.get("resourceType")),
        resource_type_general=vocab.canonical(general or "Dataset", vocab.RESOURCE_TYPES_GENERAL)
        or general,
        subjects=_dedupe([*subjects, *_techniques(public)]),
        contributors=md.people(meta.get("contributors"), contributor=True),
        dates=tuple(dates),
        language=md.text(meta.get("language")),
        related=_dedupe(related),
        sizes=tuple(sizes),
        formats=_dedupe(formats),
        version=md.text(meta.get("version")),
        rights=_dedupe(rights),
        descriptions=tuple(descriptions),
        funding=tuple(md.funding(meta.get("fundingReferences"))),
        instruments=_dedupe(
            instruments[str(p)]
            for d in public
            for p in (d.instrument_ids or [])
            if str(p) in instruments
        ),
        parts=tuple(
            Part(d.pid, d.dataset_name or d.pid, dataset_page_url(base_url, d.pid)) for d in public
        ),
        # The records may be public during an embargo (EMBARGO_METADATA_PUBLIC); data are not.
        data_open=any(is_public(d) for d in public),
        updated=item.updated_at,
        registered=item.status in REGISTERED_STATUSES,
        withdrawn=item.withdrawn_at,
        withdrawal_reason=item.withdrawal_reason,
        catalogue=(site_name(), base_url + "/"),
    )


def dataset_record(dataset, *, base_url: str) -> Record:
    """The record of one public dataset (the caller checks that it is public)."""
    from catalogue.access_entities import json_list_has_any, published_data_visible_to

    from . import metadata as md

    names = [str(n) for n in (dataset.principal_investigators or []) if str(n).strip()]
    names = names or [dataset.owner]
    creators = []
    for name in names:
        raw = {"name": name}
        if name == dataset.owner and dataset.orcid_of_owner:
            raw["orcid"] = dataset.orcid_of_owner
        creators.append(md.person(raw))
    kind = md.identifier_type(dataset.pid)
    lifecycle = dataset.datasetlifecycle if isinstance(dataset.datasetlifecycle, dict) else {}
    published_on = md.text(lifecycle.get("publishedOn"))[:10]
    year = (published_on or dataset.creation_time.date().isoformat())[:4]
    dates = [DateEntry(dataset.creation_time.date().isoformat(), "Created")]
    if dataset.start_time and dataset.end_time:
        span = f"{dataset.start_time.date().isoformat()}/{dataset.end_time.date().isoformat()}"
        dates.append(DateEntry(span, "Collected"))
    if dataset.embargo_end:
        dates.append(DateEntry(dataset.embargo_end.date().isoformat(), "Available"))
    publications = published_data_visible_to(AnonymousUser()).filter(
        json_list_has_any("dataset_pids", [dataset.pid]), withdrawn_at__isnull=True
    )
    related = [Related(p.doi, "DOI", "IsPartOf", "Dataset") for p in publications.order_by("doi")]
    inputs = _anonymous_datasets([str(p) for p in dataset.input_datasets or []])
    related += [_part_related(d.pid, base_url, "IsDerivedFrom") for d in inputs]
    instruments = _instruments([dataset])
    sizes = [f"{dataset.number_of_files} files"] if dataset.number_of_files else []
    sizes += [f"{dataset.size} bytes"] if dataset.size else []
    subjects = [Subject(str(k)) for k in dataset.keywords or [] if str(k).strip()]
    return Record(
        kind="dataset",
        identifier=md.bare_doi(dataset.pid) if kind == "DOI" else dataset.pid,
        identifier_type=kind if kind in {"DOI", "Handle"} else "Other",
        url=dataset_page_url(base_url, dataset.pid),
        titles=(Title(dataset.dataset_name or dataset.pid),),
        creators=tuple(c for c in creators if c),
        publisher=default_publisher(),
        publication_year=year,
        resource_type=f"{dataset.type} dataset",
        resource_type_general="Dataset",
        subjects=_dedupe([*subjects, *_techniques([dataset])]),
        dates=tuple(dates),
        related=_dedupe(related),
        sizes=tuple(sizes),
        formats=(dataset.data_format,) if dataset.data_format else (),
        rights=tuple(md.licence(dataset.license)),
        descriptions=(Description(dataset.description),) if dataset.description else (),
        instruments=tuple(instruments.values()),
        data_open=is_public(dataset),
        updated=dataset.updated_at,
        catalogue=(site_name(), base_url + "/"),
    )
