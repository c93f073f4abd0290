"""The publication form: the datasets to publish, then the DOI's metadata.

`PublicationBundle` holds the main form and the three row formsets (rows.py) and answers the
service's input (`service_data`). Validation happens at two levels:

- always: each value (ORCID and ROR check digits, SPDX ids, years, DOIs, URLs), and the datasets:
  each must be one the user may publish (catalogue.access, Action.PUBLISH);
- on submit: what DataCite requires and fedcat's policy adds (abstract, at least one creator,
  publisher, year, resource type, licence).

DataCite's own refusals (422 with a `source`) are shown next to the part of the form they name
(`SOURCE_FIELDS`).
"""

from __future__ import annotations

import contextlib
from datetime import date

from django import forms
from django.conf import settings

from catalogue.access import Action
from catalogue.formats import metadata as md
from catalogue.formats import vocabularies as vocab
from catalogue.formats.record import default_publisher
from catalogue.models import Dataset

from .identifiers import clean_licence
from .rows import FORMSETS, NEWEST_ONLY, initial_rows, rows

DATASET_CHOICES_SHOWN = 200
RESOURCE_TYPE_CHOICES = [(v, v) for v in vocab.RESOURCE_TYPES_GENERAL if v not in NEWEST_ONLY]
# DataCite 422 `source` (lupo's snake_case names) -> the part of the form it concerns.
SOURCE_FIELDS = {
    "creators": "creators",
    "creator": "creators",
    "name_identifier": "creators",
    "affiliation": "creators",
    "titles": "title",
    "title": "title",
    "descriptions": "abstract",
    "description": "abstract",
    "publisher": "publisher",
    "publication_year": "publication_year",
    "types": "resource_type_general",
    "resource_type": "resource_type_general",
    "rights_list": "licence",
    "rights": "licence",
    "subjects": "subjects",
    "subject": "subjects",
    "related_identifiers": "related",
    "related_identifier": "related",
    "funding_references": "funding",
    "funding_reference": "funding",
}


def publishable(user):
    return Dataset.objects.permitted(user, Action.PUBLISH)


class PublicationForm(forms.Form):
    title = forms.CharField(
        max_length=1000,
        error_messages={"required": "Give the publication a title."},
        widget=forms.TextInput(attrs={"size": 80}),
    )
    abstract = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text="What the data are and how they were made (shown on the landing page).",
    )
    datasets = forms.MultipleChoiceField(
        label="Datasets you may publish",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    more_pids = forms.CharField(
        label="More datasets, by pid",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="One pid per line, for datasets not listed above.",
    )
    publisher = forms.CharField(max_length=500, required=False)
    publication_year = forms.IntegerField(
        label="Publication year",
        required=False,
        min_value=1900,
        error_messages={"invalid": "Give the year as four digits, e.g. 2026."},
    )
    resource_type_general = forms.ChoiceField(
        label="Kind of resource", choices=RESOURCE_TYPE_CHOICES, initial="Dataset"
    )
    resource_type = forms.CharField(
        label="Description of the kind",
        required=False,
        max_length=200,
        help_text="e.g. Raw data, Processed data, Neutron imaging data.",
    )
    licence = forms.CharField(
        label="Licence (SPDX id)",
        required=False,
        max_length=100,
        help_text="e.g. CC-BY-4.0; the short id from spdx.org/licenses.",
        widget=forms.TextInput(attrs={"list": "spdx-licences", "autocomplete": "off"}),
    )
    subjects = forms.CharField(
        label="Subjects (keywords)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="One per line.",
    )

    def __init__(self, *args, user, locked_pids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.locked_pids = locked_pids
        selected = list(self.initial.get("datasets") or [])
        if self.is_bound:
            selected += self.data.getlist(self.add_prefix("datasets"))
        shown = list(
            publishable(user)
            .order_by("-creation_time")
            .values_list("pid", "dataset_name")[:DATASET_CHOICES_SHOWN]
        )
        known = {pid for pid, _ in shown}
        extra = [pid for pid in dict.fromkeys(selected) if pid not in known]
        shown += list(publishable(user).filter(pid__in=extra).values_list("pid", "dataset_name"))
        choices = [(pid, f"{name} ({pid})" if name else pid) for pid, name in shown]
        # pids the user may no longer publish stay visible (and are refused with a reason)
        listed = {pid for pid, _ in choices}
        choices += [(pid, pid) for pid in dict.fromkeys(selected) if pid not in listed]
        self.fields["datasets"].choices = choices
        if locked_pids is not None:
            self.fields["datasets"].disabled = True
            self.fields["datasets"].help_text = "Fixed once the DOI was submitted."
            self.fields["more_pids"].disabled = True

    def clean_publication_year(self):
        year = self.cleaned_data.get("publication_year")
        latest = date.today().year + 1
        if year is not None and year > latest:
            raise forms.ValidationError(f"The publication year cannot be after {latest}.")
        return year

    def clean_licence(self):
        return clean_licence(self.cleaned_data.get("licence", ""))

    def clean_subjects(self):
        lines = (self.cleaned_data.get("subjects") or "").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def clean(self):
        data = super().clean()
        if self.locked_pids is not None:
            data["dataset_pids"] = list(self.locked_pids)
            return data
        pids = list(data.get("datasets") or [])
        pids += [p.strip() for p in (data.get("more_pids") or "").splitlines() if p.strip()]
        pids = list(dict.fromkeys(pids))
        allowed = set(publishable(self.user).filter(pid__in=pids).values_list("pid", flat=True))
        refused = [pid for pid in pids if pid not in allowed]
        if refused:
            self.add_error(
                "datasets" if set(refused) & set(data.get("datasets") or []) else "more_pids",
                "You may not publish these datasets (only their owners may), or they do not "
                "exist: " + ", ".join(refused[:10]),
            )
        data["dataset_pids"] = pids
        return data


class PublicationBundle:
    """The main form and the creator, related-identifier and funding formsets, as one."""

    def __init__(self, *, user, data=None, record=None, initial=None):
        locked = None
        if record is not None and record.state not in ("draft", "failed"):
            locked = list(record.dataset_pids or [])
        if record is not None and initial is None:
            initial = initial_from_record(record)
        initial = initial or {}
        self.record = record
        self.form = PublicationForm(data, user=user, initial=initial, locked_pids=locked)
        # A posted row is judged by what it holds, never by the record's values (a row left as
        # it was is still a row; a row emptied is none).
        self.formsets = {
            name: factory(data, prefix=name, initial=None if data else initial.get(name) or None)
            for name, factory in FORMSETS.items()
        }
        self.extra_errors: dict[str, list[str]] = {}

    def is_valid(self, *, submit: bool) -> bool:
        """Every value checked; on submit also what a DOI needs, all reported at once."""
        valid = self.form.is_valid()
        valid = all([formset.is_valid() for formset in self.formsets.values()]) and valid
        if submit:
            valid = self._complete() and valid
        return valid

    def has_errors(self) -> bool:
        if self.extra_errors or (self.form.is_bound and self.form.errors):
            return True
        return any(
            formset.is_bound and (formset.total_error_count() > 0)
            for formset in self.formsets.values()
        )

    def _complete(self) -> bool:
        data = getattr(self.form, "cleaned_data", {})
        required = {
            "abstract": "Write an abstract: DataCite and search engines show it.",
            "publisher": "Name the publisher (usually the facility).",
            "publication_year": "Give the publication year.",
            "licence": "Choose a licence: data without one cannot be reused.",
        }
        for name, message in required.items():
            if not data.get(name) and name not in self.form.errors:
                self.form.add_error(name, message)
        if not data.get("dataset_pids") and "datasets" not in self.form.errors:
            self.form.add_error("datasets", "Choose at least one dataset to publish.")
        creators = [
            form
            for form in self.formsets["creators"].forms
            if form.has_content() and not form.cleaned_data.get("DELETE")
        ]
        if not creators:
            self.extra_errors.setdefault("creators", []).append(
                "Name at least one creator: the people or organisations who made the data."
            )
        return not self.form.errors and not self.extra_errors

    def add_refusal(self, errors: list[dict]) -> None:
        """Shows a DataCite 422's entries beside the parts of the form they name."""
        for entry in errors:
            place = SOURCE_FIELDS.get(str(entry.get("source") or ""), "__all__")
            text = str(entry.get("title") or "")
            if text:
                self.extra_errors.setdefault(place, []).append(f"DataCite: {text}")

    def service_data(self) -> dict:
        """title, abstract, dataset_pids and metadata for published_data_create/update."""
        data = self.form.cleaned_data
        base = dict(self.record.metadata or {}) if self.record is not None else {}
        meta = {**base}
        meta["creators"] = [row.to_json() for row in rows(self.formsets["creators"])]
        meta["publisher"] = {"name": data.get("publisher", "").strip()}
        if data.get("publication_year"):
            meta["publicationYear"] = data["publication_year"]
        else:
            meta.pop("publicationYear", None)
        meta["types"] = {"resourceTypeGeneral": data["resource_type_general"]}
        if data.get("resource_type"):
            meta["types"]["resourceType"] = data["resource_type"].strip()
        meta["resourceType"] = data.get("resource_type", "").strip()
        meta["rightsList"] = [data["licence"]] if data.get("licence") else []
        meta["subjects"] = [{"subject": s} for s in data.get("subjects") or []]
        meta["relatedIdentifiers"] = [r.to_json() for r in rows(self.formsets["related"])]
        meta["fundingReferences"] = [r.to_json() for r in rows(self.formsets["funding"])]
        values = {
            "title": data["title"].strip(),
            "abstract": data.get("abstract", "").strip(),
            "metadata": meta,
        }
        if self.form.locked_pids is None:
            values["dataset_pids"] = data["dataset_pids"]
        return values

    def errors_for(self, place: str) -> list[str]:
        return self.extra_errors.get(place, [])


def initial_from_record(record) -> dict:
    meta = record.metadata if isinstance(record.metadata, dict) else {}
    types = meta.get("types") if isinstance(meta.get("types"), dict) else {}
    general = md.text(types.get("resourceTypeGeneral") or meta.get("resourceTypeGeneral"))
    rights = md.rights(meta.get("rightsList"))
    licence = ""
    if rights:
        known = vocab.spdx_license(rights[0].identifier) if rights[0].identifier else None
        licence = known[0] if known else rights[0].identifier or rights[0].statement
    publisher = md.publisher(meta.get("publisher"))
    year = md.text(meta.get("publicationYear"))
    return {
        "title": record.title,
        "abstract": record.abstract,
        "datasets": list(record.dataset_pids or []),
        "publisher": publisher.name if publisher else "",
        "publication_year": int(year) if year.isdigit() else None,
        "resource_type_general": vocab.canonical(general, vocab.RESOURCE_TYPES_GENERAL)
        or "Dataset",
        "resource_type": md.text(types.get("resourceType") or meta.get("resourceType")),
        "licence": licence,
        "subjects": "\n".join(s.text for s in md.subjects(meta.get("subjects"))),
        **initial_rows(meta),
    }


def initial_for_dataset(user, pid: str | None) -> dict:
    """A new publication's first values, from a dataset the user may publish (else defaults)."""
    initial = {
        "publisher": default_publisher().name,
        "publication_year": date.today().year,
        "resource_type_general": "Dataset",
        "licence": getattr(settings, "DEFAULT_LICENSE", "") or "CC-BY-4.0",
    }
    dataset = publishable(user).filter(pid=pid).first() if pid else None
    if dataset is None:
        return initial
    initial.update(
        datasets=[dataset.pid],
        title=dataset.dataset_name or "",
        abstract=dataset.description or "",
        resource_type="Raw data" if dataset.type == "raw" else "Processed data",
        subjects="\n".join(str(k) for k in dataset.keywords or []),
    )
    with contextlib.suppress(forms.ValidationError):  # free text: the person chooses one
        initial["licence"] = clean_licence(dataset.license or "") or initial["licence"]
    owner = (dataset.owner or "").strip()
    if owner:
        given, _, family = owner.rpartition(" ")
        orcid = (dataset.orcid_of_owner or "").strip()
        initial["creators"] = [
            {
                "name_type": "Personal",
                "family_name": family,
                "given_name": given,
                "orcid": orcid.rsplit("/", 1)[-1] if md.ORCID_RE.match(orcid) else "",
            }
        ]
    return initial
