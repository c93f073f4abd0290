"""schema.org Dataset JSON-LD, for landing pages (Google Dataset Search) and content negotiation.

The mapping follows DataCite's (bolognese/commonmeta): @id and identifier are the DOI URL, name
the first title, description the abstract, creators with ORCID as @id and ROR affiliations,
keywords from subjects, license from the rights URI, funder from funding references, hasPart for
the public datasets. `isAccessibleForFree` says whether the data are open; there is no
`distribution` because download links belong to the portal, not to this record.
"""

from __future__ import annotations

import json

from .record import Record

CONTEXT = "https://schema.org"


def _organisation(name: str, identifier: str = "") -> dict:
    data = {"@type": "Organization", "name": name}
    if identifier:
        data["@id"] = identifier
    return data


def _person(person) -> dict:
    organisational = person.name_type == "Organizational"
    data = {"@type": "Organization" if organisational else "Person", "name": person.name}
    family, given = person.split_name()
    if not organisational and family:
        data["name"] = f"{given} {family}" if given else family
        data["familyName"] = family
        if given:
            data["givenName"] = given
    if person.orcid:
        data["@id"] = person.orcid
        data["identifier"] = person.orcid
    if person.affiliations:
        data["affiliation"] = [_organisation(a.name, a.identifier) for a in person.affiliations]
    return data


def _identifier(record: Record):
    if record.doi:
        return record.citation_url
    return {
        "@type": "PropertyValue",
        "propertyID": record.identifier_type,
        "value": record.identifier,
    }


def to_jsonld(record: Record) -> dict:
    data = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": record.citation_url,
        "identifier": _identifier(record),
        "url": record.url,
        "name": record.title,
        "description": record.abstract or next((d.text for d in record.descriptions), ""),
        "creator": [_person(p) for p in record.creators],
        "contributor": [_person(p) for p in record.contributors],
        "publisher": _organisation(record.publisher.name) if record.publisher else None,
        "datePublished": record.issued,
        "dateModified": record.updated.isoformat() if record.updated else "",
        "keywords": [s.text for s in record.subjects],
        "measurementTechnique": [
            s.value_uri or s.text for s in record.subjects if s.scheme == "PaNET"
        ],
        "license": [r.uri or r.statement for r in record.rights],
        "version": record.version,
        "inLanguage": record.language,
        "isAccessibleForFree": record.data_open,
        "funder": [_organisation(f.funder_name, f.funder_identifier) for f in record.funding],
        "hasPart": [
            {
                "@type": "Dataset",
                "@id": part.url,
                "url": part.url,
                "name": part.title,
                "identifier": part.pid,
            }
            for part in record.parts
        ],
        "citation": [
            f"https://doi.org/{r.identifier}" if r.identifier_type == "DOI" else r.identifier
            for r in record.related
            if r.relation_type in {"IsSupplementTo", "Cites", "References", "IsCitedBy"}
        ],
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": record.catalogue[0],
            "url": record.catalogue[1],
        },
    }
    if data["license"] and len(data["license"]) == 1:
        data["license"] = data["license"][0]
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def to_json_bytes(record: Record) -> bytes:
    return json.dumps(to_jsonld(record), ensure_ascii=False, indent=2).encode()
