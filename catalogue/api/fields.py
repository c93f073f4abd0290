"""SciCat field names (camelCase, v3 legacy names, dotted JSON paths) → model fields."""

from __future__ import annotations

from django.db import models

from catalogue.models import Dataset, TermKind

from .where import FieldRef, FilterError, camel_to_snake

# v3 singular names that upstream rewrites to the v4 arrays.
DATASET_ALIASES = {
    "_id": "pid",
    "id": "pid",
    "proposalId": "proposal_ids",
    "sampleId": "sample_ids",
    "instrumentId": "instrument_ids",
    "investigator": "principal_investigators",
    "principalInvestigator": "principal_investigators",
}
# Array fields answered by the DatasetTerm index.
DATASET_TERMS = {
    "access_groups": TermKind.ACCESS_GROUP,
    "shared_with": TermKind.SHARED_WITH,
    "proposal_ids": TermKind.PROPOSAL,
    "sample_ids": TermKind.SAMPLE,
    "instrument_ids": TermKind.INSTRUMENT,
    "keywords": TermKind.KEYWORD,
}
HIDDEN = {"id", "unit_issues"}


def _kind_of(field: models.Field) -> str:
    if isinstance(field, models.DateTimeField):
        return "date"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return "number"
    if isinstance(field, models.JSONField):
        return "json"
    return "scalar"


def model_field_resolver(model: type[models.Model], aliases=None, terms=None):
    """A resolver for `where_to_q` over one model's fields."""
    aliases = aliases or {}
    terms = terms or {}
    fields = {f.name: f for f in model._meta.concrete_fields if f.name not in HIDDEN}

    def resolve(name: str) -> FieldRef:
        if not isinstance(name, str) or not name:
            raise FilterError("field names must be non-empty strings")
        head, _, rest = name.partition(".")
        column = aliases.get(head) or camel_to_snake(head)
        if column not in fields:
            raise FilterError(f"unknown field {name!r}")
        kind = _kind_of(fields[column])
        if rest:
            if kind != "json":
                raise FilterError(f"{head} has no nested fields")
            path = "__".join(part for part in rest.split(".") if part)
            return FieldRef(lookup=f"{column}__{path}", kind="json")
        if column in terms:
            return FieldRef(lookup=column, kind="terms", term_kind=terms[column].value)
        return FieldRef(lookup=column, kind=kind)

    return resolve


dataset_field = model_field_resolver(Dataset, DATASET_ALIASES, DATASET_TERMS)
