"""How to cite a dataset: plain text, BibTeX, RIS, and schema.org JSON-LD for the page.

Authors are the principal investigators (else the owner); the year is that of the DOI's
registration when the dataset is in registered published data, else of its creation; the
publisher is the FACILITY setting or "fedcat". When catalogue/formats/schemaorg.py exists, the
JSON-LD should come from there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from catalogue.access_entities import REGISTERED_STATUSES, json_list_has_any
from catalogue.models import PublishedData

from .common import publisher, spdx_url

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))


@dataclass
class Citation:
    authors: list[str]
    year: int | None
    title: str
    publisher: str
    pid: str
    url: str
    doi: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    licence: str = ""

    @property
    def identifier_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    def text(self) -> str:
        year = f" ({self.year})" if self.year else ""
        ident = f"https://doi.org/{self.doi}" if self.doi else f"{self.pid}, {self.url}"
        return f"{'; '.join(self.authors)}{year}. {self.title}. {self.publisher}. {ident}"


def _people(dataset) -> list[str]:
    names = []
    for item in dataset.principal_investigators or []:
        name = item.get("name", "") if isinstance(item, dict) else str(item)
        if name.strip():
            names.append(name.strip())
    return names or [dataset.owner or dataset.owner_group]


def doi_of(dataset) -> tuple[str, object]:
    """(DOI, registered time) of the first registered published data holding the dataset."""
    found = (
        PublishedData.objects.filter(status__in=REGISTERED_STATUSES)
        .filter(json_list_has_any("dataset_pids", [dataset.pid]))
        .order_by("registered_time", "doi")
        .values_list("doi", "registered_time")
        .first()
    )
    return found or ("", None)


def citation_for(dataset, *, url: str) -> Citation:
    doi, registered = doi_of(dataset)
    when = registered or dataset.creation_time
    return Citation(
        authors=_people(dataset),
        year=when.year if when else None,
        title=dataset.dataset_name or dataset.pid,
        publisher=publisher(),
        pid=dataset.pid,
        url=url,
        doi=doi,
        description=dataset.description or "",
        keywords=[str(k) for k in dataset.keywords or []],
        licence=dataset.license or "",
    )


def _bib(text: str) -> str:
    return _BIBTEX_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], " ".join(str(text).split()))


def _bib_raw(text: str) -> str:
    """For url and doi fields, which LaTeX reads verbatim: only braces must go."""
    return re.sub(r"[{}\s]", "", text)


def bibtex_key(citation: Citation) -> str:
    tail = re.sub(r"[^A-Za-z0-9]+", "", citation.pid)[-12:] or "dataset"
    return f"{citation.publisher.split()[0].lower() if citation.publisher else 'data'}_{tail}"


def bibtex(citation: Citation) -> str:
    authors = " and ".join(
        "{" + _bib(a) + "}" if "," in a or " and " in a else _bib(a) for a in citation.authors
    )
    rows = [("author", authors), ("title", "{" + _bib(citation.title) + "}")]
    if citation.year:
        rows.append(("year", str(citation.year)))
    rows.append(("publisher", _bib(citation.publisher)))
    if citation.doi:
        rows.append(("doi", _bib_raw(citation.doi)))
    rows.append(("url", _bib_raw(citation.identifier_url)))
    if citation.keywords:
        rows.append(("keywords", _bib(", ".join(citation.keywords))))
    if citation.licence:
        rows.append(("copyright", _bib(citation.licence)))
    rows.append(("note", "Dataset " + _bib(citation.pid)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in rows)
    key = re.sub(r"[^A-Za-z0-9_:-]", "", bibtex_key(citation).lower())
    return f"@misc{{{key},\n{body}\n}}\n"


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris(citation: Citation) -> str:
    lines = [_ris_line("TY", "DATA")]
    lines += [_ris_line("AU", a) for a in citation.authors]
    lines.append(_ris_line("TI", citation.title))
    if citation.year:
        lines.append(_ris_line("PY", str(citation.year)))
    lines.append(_ris_line("PB", citation.publisher))
    if citation.doi:
        lines.append(_ris_line("DO", citation.doi))
    lines.append(_ris_line("UR", citation.identifier_url))
    if citation.description:
        lines.append(_ris_line("AB", citation.description))
    lines += [_ris_line("KW", k) for k in citation.keywords]
    lines.append(_ris_line("ID", citation.pid))
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def schema_org(dataset, citation: Citation, *, techniques: list[str]) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": citation.identifier_url,
        "name": citation.title,
        "url": citation.url,
        "identifier": [citation.pid]
        + ([f"https://doi.org/{citation.doi}"] if citation.doi else []),
        "creator": [{"@type": "Person", "name": name} for name in citation.authors],
        "publisher": {"@type": "Organization", "name": citation.publisher},
        "dateCreated": dataset.creation_time.isoformat() if dataset.creation_time else None,
        "dateModified": dataset.updated_at.isoformat() if dataset.updated_at else None,
        "description": citation.description or None,
        "keywords": citation.keywords or None,
        "license": spdx_url(citation.licence) or citation.licence or None,
        "measurementTechnique": techniques or None,
        "contentSize": f"{dataset.size} B" if dataset.size else None,
        "includedInDataCatalog": {"@type": "DataCatalog", "name": citation.publisher},
    }
    return {key: value for key, value in data.items() if value is not None}


def script_json(data) -> str:
    """JSON safe inside <script>: no "<", ">" or "&" can end the element or start a comment."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
