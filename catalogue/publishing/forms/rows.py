"""The repeatable parts of the publication form: creators, related identifiers, funding.

Each is a Django formset (one form per row, "Remove" checkboxes, a blank row to fill in; "Add
another" buttons post the form back with one more row, so nothing needs JavaScript). Each row
converts to and from the DataCite-like JSON kept in `PublishedData.metadata`.
"""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from catalogue.formats import metadata as md
from catalogue.formats import vocabularies as vocab

from .identifiers import clean_funder_identifier, clean_orcid, clean_related, clean_ror

# Values new in kernel 4.7 that production DataCite may not accept yet (pids.md §1.7).
NEWEST_ONLY = {"Poster", "Presentation", "RAiD", "SWHID", "Other"}
RELATION_CHOICES = [(v, v) for v in vocab.RELATION_TYPES if v not in NEWEST_ONLY]
IDENTIFIER_TYPE_CHOICES = [("", "detect from the value")] + [
    (v, v) for v in vocab.RELATED_IDENTIFIER_TYPES if v not in NEWEST_ONLY
]
ORCID_URL, ROR_URL = "https://orcid.org", "https://ror.org"


class RowForm(forms.Form):
    """A row left entirely blank is no row at all."""

    def has_content(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return any(value for name, value in data.items() if name not in ("DELETE", *self.defaults))

    defaults: tuple[str, ...] = ()


class CreatorForm(RowForm):
    defaults = ("name_type",)
    name_type = forms.ChoiceField(
        label="Kind",
        choices=[("Personal", "person"), ("Organizational", "organisation")],
        initial="Personal",
    )
    family_name = forms.CharField(
        label="Family name, or the organisation's name", required=False, max_length=300
    )
    given_name = forms.CharField(label="Given names", required=False, max_length=300)
    orcid = forms.CharField(
        label="ORCID iD",
        required=False,
        max_length=100,
        help_text="e.g. 0000-0002-1825-0097",
    )
    affiliation = forms.CharField(label="Affiliation", required=False, max_length=500)
    affiliation_ror = forms.CharField(
        label="Affiliation's ROR id", required=False, max_length=100, help_text="e.g. 03eh3y714"
    )

    def clean_orcid(self):
        return clean_orcid(self.cleaned_data.get("orcid", ""))

    def clean_affiliation_ror(self):
        return clean_ror(self.cleaned_data.get("affiliation_ror", ""))

    def clean(self):
        data = super().clean()
        if not self.has_content():
            return data
        if not data.get("family_name"):
            self.add_error("family_name", "Give the family name, or the organisation's name.")
        if data.get("name_type") == "Organizational":
            if data.get("given_name"):
                self.add_error("given_name", "An organisation has no given names.")
            if data.get("orcid"):
                self.add_error("orcid", "ORCID iDs identify people, not organisations.")
        if data.get("affiliation_ror") and not data.get("affiliation"):
            self.add_error("affiliation", "Give the affiliation's name with its ROR id.")
        return data

    def to_json(self) -> dict:
        data = self.cleaned_data
        family, given = data["family_name"].strip(), data.get("given_name", "").strip()
        if data["name_type"] == "Organizational":
            person = {"name": family, "nameType": "Organizational"}
        else:
            person = {
                "name": f"{family}, {given}" if given else family,
                "nameType": "Personal",
                "familyName": family,
            }
            if given:
                person["givenName"] = given
            if data.get("orcid"):
                person["nameIdentifiers"] = [
                    {
                        "nameIdentifier": f"{ORCID_URL}/{data['orcid']}",
                        "nameIdentifierScheme": "ORCID",
                        "schemeUri": ORCID_URL,
                    }
                ]
        if data.get("affiliation"):
            affiliation = {"name": data["affiliation"].strip()}
            if data.get("affiliation_ror"):
                affiliation.update(
                    affiliationIdentifier=f"{ROR_URL}/{data['affiliation_ror']}",
                    affiliationIdentifierScheme="ROR",
                    schemeUri=ROR_URL,
                )
            person["affiliation"] = [affiliation]
        return person


def creator_initial(person) -> dict:
    """A form row from a formats.elements.Person (read leniently from stored metadata)."""
    organisation = person.name_type == "Organizational"
    family, given = ("", "") if organisation else person.split_name()
    first = person.affiliations[0] if person.affiliations else None
    ror = first.identifier if first and first.scheme == "ROR" else ""
    return {
        "name_type": "Organizational" if organisation else "Personal",
        "family_name": family or person.name,
        "given_name": given,
        "orcid": person.orcid.rsplit("/", 1)[-1],
        "affiliation": first.name if first else "",
        "affiliation_ror": ror.rsplit("/", 1)[-1],
    }


class RelatedForm(RowForm):
    defaults = ("relation_type",)
    identifier = forms.CharField(label="Identifier", required=False, max_length=1000)
    identifier_type = forms.ChoiceField(
        label="Type", choices=IDENTIFIER_TYPE_CHOICES, required=False
    )
    relation_type = forms.ChoiceField(
        label="How the data relate to it", choices=RELATION_CHOICES, initial="IsSupplementTo"
    )

    def clean(self):
        data = super().clean()
        if data.get("identifier"):
            try:
                data["identifier"], data["identifier_type"] = clean_related(
                    data["identifier"], data.get("identifier_type", "")
                )
            except forms.ValidationError as exc:
                self.add_error("identifier", exc)
        return data

    def to_json(self) -> dict:
        data = self.cleaned_data
        return {
            "relatedIdentifier": data["identifier"],
            "relatedIdentifierType": data["identifier_type"],
            "relationType": data["relation_type"],
        }


def related_initial(item) -> dict:
    return {
        "identifier": item.identifier,
        "identifier_type": item.identifier_type,
        "relation_type": item.relation_type,
    }


class FundingForm(RowForm):
    funder_name = forms.CharField(label="Funder", required=False, max_length=500)
    funder_identifier = forms.CharField(
        label="Funder's ROR id or Crossref Funder ID",
        required=False,
        max_length=200,
        help_text="e.g. 00k4n6c32 or 10.13039/501100000780",
    )
    award_number = forms.CharField(label="Grant number", required=False, max_length=200)
    award_title = forms.CharField(label="Grant title", required=False, max_length=500)
    award_uri = forms.URLField(
        label="Grant web page", required=False, max_length=1000, assume_scheme="https"
    )

    def clean(self):
        data = super().clean()
        if not self.has_content():
            return data
        if not data.get("funder_name"):
            self.add_error("funder_name", "Name the funder.")
        if data.get("funder_identifier"):
            try:
                data["funder_identifier"], data["funder_identifier_type"] = clean_funder_identifier(
                    data["funder_identifier"]
                )
            except forms.ValidationError as exc:
                self.add_error("funder_identifier", exc)
        return data

    def to_json(self) -> dict:
        data = self.cleaned_data
        entry = {"funderName": data["funder_name"].strip()}
        if data.get("funder_identifier"):
            entry["funderIdentifier"] = data["funder_identifier"]
            entry["funderIdentifierType"] = data["funder_identifier_type"]
        if data.get("award_number") or data.get("award_uri"):
            award = {"awardNumber": data.get("award_number", "").strip()}
            if data.get("award_uri"):
                award["awardUri"] = data["award_uri"]
            entry["awardNumber"] = award
        if data.get("award_title"):
            entry["awardTitle"] = data["award_title"].strip()
        return entry


def funding_initial(item) -> dict:
    identifier = item.funder_identifier
    if item.funder_identifier_type == "ROR":
        identifier = identifier.rsplit("/", 1)[-1]
    elif identifier.lower().startswith("https://doi.org/"):
        identifier = identifier[len("https://doi.org/") :]
    return {
        "funder_name": item.funder_name,
        "funder_identifier": identifier,
        "award_number": item.award_number,
        "award_title": item.award_title,
        "award_uri": item.award_uri,
    }


CreatorFormSet = formset_factory(CreatorForm, extra=1, can_delete=True, max_num=200)
RelatedFormSet = formset_factory(RelatedForm, extra=1, can_delete=True, max_num=200)
FundingFormSet = formset_factory(FundingForm, extra=1, can_delete=True, max_num=50)
FORMSETS = {"creators": CreatorFormSet, "related": RelatedFormSet, "funding": FundingFormSet}


def rows(formset) -> list:
    """The filled-in, not removed rows of a valid formset."""
    return [
        form for form in formset.forms if form.has_content() and not form.cleaned_data.get("DELETE")
    ]


def initial_rows(metadata: dict) -> dict[str, list[dict]]:
    """Initial rows of each formset from stored metadata (any SciCat/DataCite shape)."""
    meta = metadata if isinstance(metadata, dict) else {}
    people = md.people(meta.get("creators"), default_affiliation=meta.get("affiliation"))
    return {
        "creators": [creator_initial(p) for p in people],
        "related": [related_initial(r) for r in md.related(meta.get("relatedIdentifiers"))],
        "funding": [funding_initial(f) for f in md.funding(meta.get("fundingReferences"))],
    }
