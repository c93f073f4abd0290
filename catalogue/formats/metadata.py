"""Lenient readers of the DataCite-like `metadata` JSON that published data carry.

SciCat v4 stores DataCite REST shapes (creators with nameIdentifiers and affiliation lists,
publisher as an object, types, ...); the v3 API stores flatter ones (creators `[{"name"}]`, a
top-level `affiliation` string, `resourceType` as a string). Each reader accepts both, keeps
what it cannot judge for the format modules to report, and never raises on odd input.
"""

from __future__ import annotations

import re

from . import vocabularies as vocab
from .elements import (
    Affiliation,
    DateEntry,
    Description,
    Funding,
    NameIdentifier,
    Person,
    Publisher,
    Related,
    Rights,
    Subject,
    Title,
)

ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
ROR_RE = re.compile(r"^(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})$", re.I)
DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.I)
HANDLE_RE = re.compile(r"^\d+(?:\.\d+)*/\S+$")


def text(value) -> str:
    """A scalar as stripped text; "" for None, lists and objects."""
    if value is None or isinstance(value, dict | list | tuple | bool):
        return ""
    return str(value).strip()


def items(value) -> list:
    """A list value as a list; a single value as a one-element list; None as []."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def identifier_type(value: str) -> str:
    """DataCite relatedIdentifierType guessed from the shape of `value` ("" if unknown)."""
    if DOI_RE.match(value):
        return "DOI"
    if value.lower().startswith(("http://", "https://")):
        return "URL"
    if value.lower().startswith("arxiv:"):
        return "arXiv"
    if value.lower().startswith("urn:"):
        return "URN"
    if HANDLE_RE.match(value):
        return "Handle"
    return ""


def bare_doi(value: str) -> str:
    match = DOI_RE.match(value.strip())
    return match.group(1) if match else value.strip()


def name_identifier(raw) -> NameIdentifier | None:
    if isinstance(raw, str):
        raw = {
            "nameIdentifier": raw,
            "nameIdentifierScheme": "ORCID" if ORCID_RE.match(raw) else "",
        }
    if not isinstance(raw, dict):
        return None
    value = text(raw.get("nameIdentifier"))
    scheme = text(raw.get("nameIdentifierScheme"))
    scheme_uri = text(raw.get("schemeUri") or raw.get("schemeURI"))
    if not value:
        return None
    orcid = ORCID_RE.match(value)
    if orcid and scheme.upper() in {"", "ORCID"}:
        return NameIdentifier(
            f"https://orcid.org/{orcid.group(1).upper()}", "ORCID", "https://orcid.org"
        )
    return NameIdentifier(value, scheme or "Other", scheme_uri)


def affiliation(raw) -> Affiliation | None:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not text(raw.get("name")):
        return None
    value = text(raw.get("affiliationIdentifier"))
    scheme = text(raw.get("affiliationIdentifierScheme"))
    scheme_uri = text(raw.get("schemeUri") or raw.get("schemeURI"))
    ror = ROR_RE.match(value)
    if ror and scheme.upper() in {"", "ROR"}:
        value, scheme, scheme_uri = (
            f"https://ror.org/{ror.group(1).lower()}",
            "ROR",
            "https://ror.org",
        )
    return Affiliation(
        text(raw["name"]), value, scheme if value else "", scheme_uri if value else ""
    )


def person(raw, *, default_affiliation=None, contributor: bool = False) -> Person | None:
    """A creator or contributor; a plain string is a name."""
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict):
        return None
    given, family = text(raw.get("givenName")), text(raw.get("familyName"))
    name = text(raw.get("name")) or (f"{family}, {given}" if family and given else family or given)
    if not name:
        return None
    identifiers = [name_identifier(i) for i in items(raw.get("nameIdentifiers"))]
    if text(raw.get("orcid")):
        identifiers.append(name_identifier(text(raw["orcid"])))
    affiliations = [
        affiliation(a) for a in items(raw.get("affiliation") or raw.get("affiliations"))
    ]
    if not any(affiliations) and default_affiliation:
        affiliations = [affiliation(default_affiliation)]
    name_type = text(raw.get("nameType"))
    contributor_type = ""
    if contributor:
        raw_type = text(raw.get("contributorType"))
        contributor_type = vocab.canonical(raw_type, vocab.CONTRIBUTOR_TYPES) or raw_type or "Other"
    return Person(
        name=name,
        name_type=vocab.canonical(name_type, vocab.NAME_TYPES) or name_type,
        given_name=given,
        family_name=family,
        identifiers=tuple(dict.fromkeys(i for i in identifiers if i)),
        affiliations=tuple(dict.fromkeys(a for a in affiliations if a)),
        contributor_type=contributor_type,
    )


def people(value, **options) -> tuple[Person, ...]:
    found = (person(raw, **options) for raw in items(value))
    return tuple(p for p in found if p)


def publisher(raw) -> Publisher | None:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, dict) or not text(raw.get("name")):
        return None
    return Publisher(
        text(raw["name"]),
        text(raw.get("publisherIdentifier")),
        text(raw.get("publisherIdentifierScheme")),
        text(raw.get("schemeUri") or raw.get("schemeURI")),
    )


def titles(value) -> list[Title]:
    found = []
    for raw in items(value):
        raw = {"title": raw} if isinstance(raw, str) else raw
        if isinstance(raw, dict) and text(raw.get("title")):
            kind = text(raw.get("titleType"))
            kind = vocab.canonical(kind, vocab.TITLE_TYPES) or kind
            found.append(Title(text(raw["title"]), kind, text(raw.get("lang"))))
    return found


def subjects(value) -> list[Subject]:
    found = []
    for raw in items(value):
        raw = {"subject": raw} if isinstance(raw, str) else raw
        if isinstance(raw, dict) and text(raw.get("subject")):
            found.append(
                Subject(
                    text(raw["subject"]),
                    text(raw.get("subjectScheme")),
                    text(raw.get("schemeUri") or raw.get("schemeURI")),
                    text(raw.get("valueUri") or raw.get("valueURI")),
                )
            )
    return found


def dates(value) -> list[DateEntry]:
    found = []
    for raw in items(value):
        if isinstance(raw, dict) and text(raw.get("date")):
            kind = text(raw.get("dateType"))
            kind = vocab.canonical(kind, vocab.DATE_TYPES) or kind
            found.append(DateEntry(text(raw["date"]), kind, text(raw.get("dateInformation"))))
    return found


def descriptions(value) -> list[Description]:
    found = []
    for raw in items(value):
        raw = {"description": raw} if isinstance(raw, str) else raw
        if isinstance(raw, dict) and text(raw.get("description")):
            kind = text(raw.get("descriptionType")) or "Other"
            kind = vocab.canonical(kind, vocab.DESCRIPTION_TYPES) or kind
            found.append(Description(text(raw["description"]), kind, text(raw.get("lang"))))
    return found


def related(value, *, default_relation: str = "IsSupplementTo") -> list[Related]:
    """relatedIdentifiers; a bare value is a publication the data supplement (SciCat v3)."""
    found = []
    for raw in items(value):
        raw = {"relatedIdentifier": raw} if isinstance(raw, str) else raw
        if not isinstance(raw, dict) or not text(raw.get("relatedIdentifier")):
            continue
        identifier = text(raw["relatedIdentifier"])
        kind = text(raw.get("relatedIdentifierType")) or identifier_type(identifier)
        kind = vocab.canonical(kind, vocab.RELATED_IDENTIFIER_TYPES) or kind
        if kind == "DOI":
            identifier = bare_doi(identifier)
        relation = text(raw.get("relationType")) or default_relation
        relation = vocab.canonical(relation, vocab.RELATION_TYPES) or relation
        general = text(raw.get("resourceTypeGeneral"))
        general = vocab.canonical(general, vocab.RESOURCE_TYPES_GENERAL) or general
        found.append(Related(identifier, kind, relation, general))
    return found


def rights(value) -> list[Rights]:
    """rightsList entries; a string is an SPDX id, a URL or a free statement."""
    found = []
    for raw in items(value):
        if isinstance(raw, str):
            found.extend(licence(raw))
        elif isinstance(raw, dict) and (text(raw.get("rights")) or text(raw.get("rightsUri"))):
            known = vocab.spdx_license(text(raw.get("rightsIdentifier")))
            if known and not text(raw.get("rights")):
                found.extend(licence(known[0]))
                continue
            found.append(
                Rights(
                    text(raw.get("rights")) or text(raw.get("rightsUri")),
                    text(raw.get("rightsUri") or raw.get("rightsURI")),
                    text(raw.get("rightsIdentifier")),
                    text(raw.get("rightsIdentifierScheme")),
                    text(raw.get("schemeUri") or raw.get("schemeURI")),
                )
            )
    return found


def licence(value: str) -> list[Rights]:
    """The Rights of a licence field (SPDX id, URL or text); [] for an empty one."""
    value = (value or "").strip()
    if not value:
        return []
    known = vocab.spdx_license(value)
    if known:
        spdx, name, url = known
        return [Rights(name, url, spdx.lower(), "SPDX", vocab.SPDX_SCHEME_URI)]
    if value.lower().startswith(("http://", "https://")):
        return [Rights(value, value)]
    return [Rights(value)]


def funding(value) -> list[Funding]:
    found = []
    for raw in items(value):
        if not isinstance(raw, dict) or not text(raw.get("funderName")):
            continue
        award = raw.get("awardNumber")
        award_uri = text(raw.get("awardUri") or raw.get("awardURI"))
        if isinstance(award, dict):
            award_uri = award_uri or text(award.get("awardUri") or award.get("awardURI"))
            award = award.get("awardNumber")
        funder_id = text(raw.get("funderIdentifier"))
        funder_type = text(raw.get("funderIdentifierType"))
        if funder_id and not funder_type:
            funder_type = "ROR" if ROR_RE.match(funder_id) else "Other"
        funder_type = vocab.canonical(funder_type, vocab.FUNDER_IDENTIFIER_TYPES) or funder_type
        found.append(
            Funding(
                text(raw["funderName"]),
                funder_id,
                funder_type if funder_id else "",
                text(award),
                award_uri,
                text(raw.get("awardTitle")),
            )
        )
    return found
