"""Simple Dublin Core as OAI-PMH's mandatory `oai_dc` format (validated against oai_dc.xsd).

All fifteen elements are optional and repeatable; DataCite properties map as DataCite's own OAI
provider maps them: creators and contributors by name, the DOI as an https://doi.org URL in
dc:identifier, related identifiers in dc:relation, the licence in dc:rights.
"""

from __future__ import annotations

from lxml import etree

from .record import Record
from .xml import XSI_NAMESPACE, sub, to_bytes

OAI_DC_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"


def _dc(parent, name: str, value) -> None:
    if value:
        sub(parent, f"{{{DC_NAMESPACE}}}{name}", value)


def _relation(related) -> str:
    if related.identifier_type == "DOI":
        return f"https://doi.org/{related.identifier}"
    if related.identifier_type == "URL":
        return related.identifier
    return f"{related.identifier_type.lower()}:{related.identifier}"


def element(record: Record) -> etree._Element:
    root = etree.Element(
        f"{{{OAI_DC_NAMESPACE}}}dc",
        nsmap={"oai_dc": OAI_DC_NAMESPACE, "dc": DC_NAMESPACE, "xsi": XSI_NAMESPACE},
    )
    root.set(f"{{{XSI_NAMESPACE}}}schemaLocation", f"{OAI_DC_NAMESPACE} {OAI_DC_SCHEMA}")
    for title in record.titles:
        _dc(root, "title", title.text)
    for person in record.creators:
        _dc(root, "creator", person.name)
    for subject in record.subjects:
        _dc(root, "subject", subject.text)
    for description in record.descriptions:
        _dc(root, "description", description.text)
    _dc(root, "publisher", record.publisher.name if record.publisher else "")
    for person in record.contributors:
        _dc(root, "contributor", person.name)
    _dc(root, "date", record.issued)
    _dc(root, "type", record.resource_type_general)
    if record.resource_type and record.resource_type != record.resource_type_general:
        _dc(root, "type", record.resource_type)
    for value in (*record.formats, *record.sizes):
        _dc(root, "format", value)
    _dc(root, "identifier", record.citation_url)
    if record.doi:
        _dc(root, "identifier", record.url)
    _dc(root, "language", record.language)
    for related in record.related:
        _dc(root, "relation", _relation(related))
    for rights in record.rights:
        _dc(root, "rights", rights.statement)
        if rights.uri and rights.uri != rights.statement:
            _dc(root, "rights", rights.uri)
    access = "openAccess" if record.data_open else "embargoedAccess"
    _dc(root, "rights", f"info:eu-repo/semantics/{access}")
    return root


def to_xml(record: Record) -> bytes:
    return to_bytes(element(record))
