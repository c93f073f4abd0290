"""Metadata formats: one module per format, all written from one neutral Record (record.py).

`FORMATS` lists those offered by content negotiation and export URLs, keyed by the URL
extension, with the media types DataCite's content negotiation uses. OAI-PMH uses
`dublincore` (oai_dc) and `datacite` (oai_datacite) directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import bibtex, csljson, datacite, ris, schemaorg
from .datacite import IncompleteMetadata
from .record import Record, dataset_record, publication_record, publication_records


@dataclass(frozen=True)
class Format:
    key: str  # the export URL's extension
    media_type: str
    label: str
    render: Callable[[Record], bytes]
    charset: bool = True  # text formats say charset=utf-8

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


FORMATS = {
    f.key: f
    for f in (
        Format(
            "datacite.xml",
            "application/vnd.datacite.datacite+xml",
            "DataCite XML",
            datacite.to_xml,
            charset=False,
        ),
        Format(
            "datacite.json",
            "application/vnd.datacite.datacite+json",
            "DataCite JSON",
            datacite.to_json_bytes,
        ),
        Format(
            "jsonld",
            "application/vnd.schemaorg.ld+json",
            "schema.org JSON-LD",
            schemaorg.to_json_bytes,
        ),
        Format(
            "csl.json",
            "application/vnd.citationstyles.csl+json",
            "CSL JSON",
            csljson.to_json_bytes,
        ),
        Format("bib", "application/x-bibtex", "BibTeX", lambda r: bibtex.to_bibtex(r).encode()),
        Format(
            "ris",
            "application/x-research-info-systems",
            "RIS",
            lambda r: ris.to_ris(r).encode(),
        ),
    )
}
# Other names clients use for the same formats.
MEDIA_TYPE_ALIASES = {"application/ld+json": "jsonld"}
BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS.values()} | {
    alias: FORMATS[key] for alias, key in MEDIA_TYPE_ALIASES.items()
}

__all__ = [
    "BY_MEDIA_TYPE",
    "FORMATS",
    "Format",
    "IncompleteMetadata",
    "Record",
    "dataset_record",
    "publication_record",
    "publication_records",
]
