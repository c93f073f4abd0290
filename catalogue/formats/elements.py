"""The pieces a Record is made of (names, titles, dates, relations, rights, ...).

Field names follow DataCite's properties in snake case; values are plain text, checked against
the controlled lists only by the format that needs them (catalogue/formats/datacite.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NameIdentifier:
    value: str
    scheme: str
    scheme_uri: str = ""


@dataclass(frozen=True)
class Affiliation:
    name: str
    identifier: str = ""
    scheme: str = ""
    scheme_uri: str = ""


@dataclass(frozen=True)
class Person:
    """A creator or contributor (person or organisation)."""

    name: str
    name_type: str = ""
    given_name: str = ""
    family_name: str = ""
    identifiers: tuple[NameIdentifier, ...] = ()
    affiliations: tuple[Affiliation, ...] = ()
    contributor_type: str = ""

    @property
    def orcid(self) -> str:
        return next((i.value for i in self.identifiers if i.scheme == "ORCID"), "")

    def split_name(self) -> tuple[str, str]:
        """(family, given) when known or written "Family, Given"; else ("", "")."""
        if self.family_name:
            return self.family_name, self.given_name
        if self.name_type != "Organizational" and "," in self.name:
            family, given = self.name.split(",", 1)
            return family.strip(), given.strip()
        return "", ""


@dataclass(frozen=True)
class Publisher:
    name: str
    identifier: str = ""
    scheme: str = ""
    scheme_uri: str = ""


@dataclass(frozen=True)
class Title:
    text: str
    type: str = ""
    lang: str = ""


@dataclass(frozen=True)
class Subject:
    text: str
    scheme: str = ""
    scheme_uri: str = ""
    value_uri: str = ""


@dataclass(frozen=True)
class DateEntry:
    value: str
    type: str
    information: str = ""


@dataclass(frozen=True)
class Description:
    text: str
    type: str = "Abstract"
    lang: str = ""


@dataclass(frozen=True)
class Related:
    identifier: str
    identifier_type: str
    relation_type: str
    resource_type_general: str = ""


@dataclass(frozen=True)
class Rights:
    statement: str
    uri: str = ""
    identifier: str = ""
    identifier_scheme: str = ""
    scheme_uri: str = ""


@dataclass(frozen=True)
class Funding:
    funder_name: str
    funder_identifier: str = ""
    funder_identifier_type: str = ""
    award_number: str = ""
    award_uri: str = ""
    award_title: str = ""


@dataclass(frozen=True)
class Instrument:
    pid: str
    name: str
    facility: str = ""


@dataclass(frozen=True)
class Part:
    """A public dataset of a publication, as the landing page lists it."""

    pid: str
    title: str
    url: str
