"""DataCite metadata: kernel-4 XML (validated by the tests against the official 4.7 XSD) and
DataCite JSON (the official 4.3 JSON Schema shape).

`problems(record)` lists what DataCite would refuse: missing mandatory properties (identifier,
creators, titles, publisher, publicationYear, resourceType) and values outside the controlled
lists. `to_xml` and `to_json` raise `IncompleteMetadata` listing them instead of writing a record
DataCite would answer with 422. `rest_attributes` is the JSON:API attribute set for
`PUT /dois/{doi}`: the XML travels base64-encoded in `xml`, so DataCite stores exactly the
document validated here.
"""

from __future__ import annotations

import base64
import json
import re

from lxml import etree

from . import vocabularies as vocab
from .record import Record
from .xml import XSI_NAMESPACE, sub, to_bytes

MANDATORY = ("identifier", "creators", "titles", "publisher", "publicationYear", "resourceType")
JSON_SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
TYPE_MAPS = {"schemaOrg": "Dataset", "citeproc": "dataset", "bibtex": "misc", "ris": "DATA"}


class IncompleteMetadata(ValueError):
    """The record lacks properties DataCite requires, or carries values it does not accept."""

    def __init__(self, missing: list[str], invalid: list[str]):
        self.missing, self.invalid = missing, invalid
        parts = []
        if missing:
            parts.append("missing mandatory DataCite properties: " + ", ".join(missing))
        parts += invalid
        super().__init__("; ".join(parts))


def missing_properties(record: Record) -> list[str]:
    present = {
        "identifier": record.identifier,
        "creators": record.creators,
        "titles": record.title,
        "publisher": record.publisher and record.publisher.name,
        "publicationYear": record.publication_year,
        "resourceType": record.resource_type_general,
    }
    return [name for name in MANDATORY if not present[name]]


def _check(invalid: list, where: str, value: str, allowed) -> None:
    if value and value not in allowed:
        invalid.append(f"{where}: {value!r} is not in the DataCite list")


def invalid_values(record: Record) -> list[str]:
    invalid = []
    if record.publication_year and not re.fullmatch(r"\d{4}", record.publication_year):
        invalid.append(f"publicationYear: {record.publication_year!r} is not a four-digit year")
    _check(
        invalid, "resourceTypeGeneral", record.resource_type_general, vocab.RESOURCE_TYPES_GENERAL
    )
    for title in record.titles:
        _check(invalid, "titleType", title.type, vocab.TITLE_TYPES)
    for person in (*record.creators, *record.contributors):
        _check(invalid, "nameType", person.name_type, vocab.NAME_TYPES)
    for person in record.contributors:
        _check(invalid, "contributorType", person.contributor_type, vocab.CONTRIBUTOR_TYPES)
    for date in record.dates:
        _check(invalid, "dateType", date.type, vocab.DATE_TYPES)
    for description in record.descriptions:
        _check(invalid, "descriptionType", description.type, vocab.DESCRIPTION_TYPES)
    for related in record.related:
        if not related.identifier_type:
            invalid.append(f"relatedIdentifier {related.identifier!r}: unknown identifier type")
        _check(
            invalid,
            "relatedIdentifierType",
            related.identifier_type,
            vocab.RELATED_IDENTIFIER_TYPES,
        )
        _check(invalid, "relationType", related.relation_type, vocab.RELATION_TYPES)
        general = related.resource_type_general
        _check(invalid, "resourceTypeGeneral", general, vocab.RESOURCE_TYPES_GENERAL)
    for funding in record.funding:
        kind = funding.funder_identifier_type
        _check(invalid, "funderIdentifierType", kind, vocab.FUNDER_IDENTIFIER_TYPES)
    return invalid


def problems(record: Record) -> list[str]:
    """Everything DataCite would refuse, as readable lines; [] when the record is fine."""
    missing = missing_properties(record)
    invalid = invalid_values(record)
    return (
        ["missing mandatory DataCite properties: " + ", ".join(missing)] if missing else []
    ) + invalid


def check(record: Record) -> None:
    missing, invalid = missing_properties(record), invalid_values(record)
    if missing or invalid:
        raise IncompleteMetadata(missing, invalid)


# DataCite JSON key -> Record element attribute, per repeated property. The XML writes the same
# names (URI in capitals: schemeURI), the first key as the element and its text.
_NAME_ID = {"nameIdentifier": "value", "nameIdentifierScheme": "scheme", "schemeUri": "scheme_uri"}
_AFFILIATION = {
    "name": "name",
    "affiliationIdentifier": "identifier",
    "affiliationIdentifierScheme": "scheme",
    "schemeUri": "scheme_uri",
}
_TITLE = {"title": "text", "titleType": "type", "lang": "lang"}
_PUBLISHER = {  # in XML only: DataCite JSON 4.3 has the publisher's name alone
    "publisher": "name",
    "publisherIdentifier": "identifier",
    "publisherIdentifierScheme": "scheme",
    "schemeUri": "scheme_uri",
}
_SUBJECT = {"subject": "text", "subjectScheme": "scheme", "schemeUri": "scheme_uri"}
_SUBJECT |= {"valueUri": "value_uri"}
_DATE = {"date": "value", "dateType": "type", "dateInformation": "information"}
_ALTERNATE = {"alternateIdentifier": "value", "alternateIdentifierType": "scheme"}
_RELATED = {
    "relatedIdentifier": "identifier",
    "relatedIdentifierType": "identifier_type",
    "relationType": "relation_type",
    "resourceTypeGeneral": "resource_type_general",
}
_RIGHTS = {
    "rights": "statement",
    "rightsUri": "uri",
    "rightsIdentifier": "identifier",
    "rightsIdentifierScheme": "identifier_scheme",
    "schemeUri": "scheme_uri",
}
_DESCRIPTION = {"description": "text", "descriptionType": "type", "lang": "lang"}
_FUNDING = {
    "funderName": "funder_name",
    "funderIdentifier": "funder_identifier",
    "funderIdentifierType": "funder_identifier_type",
    "awardNumber": "award_number",
    "awardUri": "award_uri",
    "awardTitle": "award_title",
}


# --- XML -----------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{vocab.DATACITE_NAMESPACE}}}{tag}"


def _written(keys: dict, tag: str = ""):
    """The XML writer of one repeated property from its JSON table: the first key names the
    element (unless `tag` does) and gives its text, the others are its attributes."""
    (text_key, text_attribute), *attributes = keys.items()

    def write(parent, entry) -> None:
        values = {key.replace("Uri", "URI"): getattr(entry, name) for key, name in attributes}
        sub(parent, _q(tag or text_key), getattr(entry, text_attribute), **values)

    return write


def _person(parent, person, tag: str) -> None:
    attributes = {"contributorType": person.contributor_type} if tag == "contributor" else {}
    element = sub(parent, _q(tag), **attributes)
    sub(element, _q(f"{tag}Name"), person.name, nameType=person.name_type)
    if person.given_name:
        sub(element, _q("givenName"), person.given_name)
    if person.family_name:
        sub(element, _q("familyName"), person.family_name)
    for identifier in person.identifiers:
        _written(_NAME_ID)(element, identifier)
    for affiliation in person.affiliations:
        _written(_AFFILIATION, "affiliation")(element, affiliation)


def _wrapped(root, wrapper: str, entries, write) -> None:
    if entries:
        element = sub(root, _q(wrapper))
        for entry in entries:
            write(element, entry)


def resource(record: Record) -> etree._Element:
    """The kernel-4 <resource> element (also the payload of oai_datacite)."""
    check(record)
    root = etree.Element(
        _q("resource"), nsmap={None: vocab.DATACITE_NAMESPACE, "xsi": XSI_NAMESPACE}
    )
    root.set(
        f"{{{XSI_NAMESPACE}}}schemaLocation",
        f"{vocab.DATACITE_NAMESPACE} {vocab.DATACITE_SCHEMA_LOCATION}",
    )
    sub(root, _q("identifier"), record.identifier, identifierType=record.identifier_type)
    _wrapped(root, "creators", record.creators, lambda e, p: _person(e, p, "creator"))
    _wrapped(root, "titles", record.titles, _written(_TITLE))
    _written(_PUBLISHER)(root, record.publisher)
    sub(root, _q("publicationYear"), record.publication_year)
    sub(
        root,
        _q("resourceType"),
        record.resource_type,
        resourceTypeGeneral=record.resource_type_general,
    )
    _wrapped(root, "subjects", record.subjects, _written(_SUBJECT))
    _wrapped(root, "contributors", record.contributors, lambda e, p: _person(e, p, "contributor"))
    _wrapped(root, "dates", record.dates, _written(_DATE))
    if record.language:
        sub(root, _q("language"), record.language)
    _wrapped(root, "alternateIdentifiers", record.alternate_identifiers, _written(_ALTERNATE))
    _wrapped(root, "relatedIdentifiers", record.related, _written(_RELATED))
    _wrapped(root, "sizes", record.sizes, lambda e, s: sub(e, _q("size"), s))
    _wrapped(root, "formats", record.formats, lambda e, f: sub(e, _q("format"), f))
    if record.version:
        sub(root, _q("version"), record.version)
    _wrapped(root, "rightsList", record.rights, _written(_RIGHTS))
    _wrapped(root, "descriptions", record.descriptions, _written(_DESCRIPTION))
    _wrapped(root, "fundingReferences", record.funding, _funding)
    return root


def _funding(parent, funding) -> None:
    element = sub(parent, _q("fundingReference"))
    sub(element, _q("funderName"), funding.funder_name)
    if funding.funder_identifier:
        sub(
            element,
            _q("funderIdentifier"),
            funding.funder_identifier,
            funderIdentifierType=funding.funder_identifier_type,
        )
    if funding.award_number or funding.award_uri:
        sub(element, _q("awardNumber"), funding.award_number, awardURI=funding.award_uri)
    if funding.award_title:
        sub(element, _q("awardTitle"), funding.award_title)


def to_xml(record: Record) -> bytes:
    return to_bytes(resource(record))


# --- JSON ----------------------------------------------------------------------------------------


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in ("", None, [], {})}


def _each(entries, keys: dict) -> list[dict]:
    return [_compact({key: getattr(e, attr) for key, attr in keys.items()}) for e in entries]


def _person_json(person, contributor: bool = False) -> dict:
    return _compact(
        {
            "name": person.name,
            "nameType": person.name_type,
            "givenName": person.given_name,
            "familyName": person.family_name,
            "contributorType": person.contributor_type if contributor else "",
            "nameIdentifiers": _each(person.identifiers, _NAME_ID),
            "affiliation": _each(person.affiliations, _AFFILIATION),
        }
    )


def to_json(record: Record) -> dict:
    """DataCite JSON as the official kernel-4.3 JSON Schema describes it."""
    check(record)
    identifier = {"identifier": record.identifier, "identifierType": record.identifier_type}
    types = {
        "resourceTypeGeneral": record.resource_type_general,
        "resourceType": record.resource_type or record.resource_type_general,
    }
    return _compact(
        {
            "identifiers": [identifier],
            "types": types | TYPE_MAPS,
            "creators": [_person_json(p) for p in record.creators],
            "titles": _each(record.titles, _TITLE),
            "publisher": record.publisher.name,
            "publicationYear": record.publication_year,
            "subjects": _each(record.subjects, _SUBJECT),
            "contributors": [_person_json(p, contributor=True) for p in record.contributors],
            "dates": _each(record.dates, _DATE),
            "language": record.language,
            "alternateIdentifiers": _each(record.alternate_identifiers, _ALTERNATE),
            "relatedIdentifiers": _each(record.related, _RELATED),
            "sizes": list(record.sizes),
            "formats": list(record.formats),
            "version": record.version,
            "rightsList": _each(record.rights, _RIGHTS),
            "descriptions": _each(record.descriptions, _DESCRIPTION),
            "fundingReferences": _each(record.funding, _FUNDING),
            "schemaVersion": JSON_SCHEMA_VERSION,
        }
    )


def to_json_bytes(record: Record) -> bytes:
    return json.dumps(to_json(record), ensure_ascii=False, indent=2).encode()


def rest_attributes(record: Record, *, event: str | None = None) -> dict:
    """Attributes for DataCite's `PUT /dois/{doi}`: doi, url, the XML in base64, the event."""
    attributes = {
        "doi": record.doi,
        "url": record.url,
        "xml": base64.b64encode(to_xml(record)).decode("ascii"),
    }
    if event:
        attributes["event"] = event
    return attributes
