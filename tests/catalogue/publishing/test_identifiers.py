"""The identifier checks of the publication form (ORCID, ROR, funder ids, SPDX, related)."""

import pytest
from django.core.exceptions import ValidationError

from catalogue.publishing.forms.identifiers import (
    clean_funder_identifier,
    clean_licence,
    clean_orcid,
    clean_related,
    clean_ror,
)


@pytest.mark.parametrize(
    "typed",
    [
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "orcid.org/0000000218250097",
        " 0000-0002-1825-0097 ",
    ],
)
def test_orcid_ids_are_accepted_in_their_usual_spellings(typed):
    assert clean_orcid(typed) == "0000-0002-1825-0097"


def test_orcid_check_digit_x_is_accepted():
    assert clean_orcid("0000-0002-9079-593x") == "0000-0002-9079-593X"


@pytest.mark.parametrize("typed", ["0000-0002-1825-0098", "0000-0002-9079-5931"])
def test_orcid_ids_with_a_wrong_check_digit_are_refused(typed):
    with pytest.raises(ValidationError, match="wrong check digit"):
        clean_orcid(typed)


@pytest.mark.parametrize("typed", ["03eh3y714", "https://ror.org/03eh3y714", "03EH3Y714"])
def test_ror_ids_are_accepted_and_lower_cased(typed):
    assert clean_ror(typed) == "03eh3y714"


@pytest.mark.parametrize(
    ("typed", "message"),
    [("03eh3y715", "should end in 14"), ("13eh3y714", "is not a ROR id"), ("03eh3", "not a ROR")],
)
def test_bad_ror_ids_are_refused(typed, message):
    with pytest.raises(ValidationError, match=message):
        clean_ror(typed)


def test_funders_are_ror_ids_or_crossref_funder_ids():
    assert clean_funder_identifier("00k4n6c32") == ("https://ror.org/00k4n6c32", "ROR")
    assert clean_funder_identifier("https://doi.org/10.13039/501100000780") == (
        "https://doi.org/10.13039/501100000780",
        "Crossref Funder ID",
    )
    with pytest.raises(ValidationError, match="should end in"):
        clean_funder_identifier("00k4n6c33")


def test_licences_are_spdx_ids_spelt_as_spdx_spells_them():
    assert clean_licence("cc0-1.0") == "CC0-1.0"
    assert clean_licence("") == ""
    with pytest.raises(ValidationError, match="not an SPDX licence id"):
        clean_licence("CC-BY")
    with pytest.raises(ValidationError, match="deprecated"):
        clean_licence("GPL-2.0")


def test_related_identifiers_are_typed_and_checked():
    assert clean_related("https://doi.org/10.1000/xyz", "") == ("10.1000/xyz", "DOI")
    assert clean_related("https://example.org/paper", "") == ("https://example.org/paper", "URL")
    assert clean_related("PMC123", "PMID") == ("PMC123", "PMID")
    with pytest.raises(ValidationError, match="is not a DOI"):
        clean_related("https://example.org", "DOI")
    with pytest.raises(ValidationError, match="Cannot tell"):
        clean_related("something", "")
