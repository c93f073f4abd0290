"""v3 dataset bodies -> the field values the services take (snake_case).

Strict where SciCat clients rely on it: an unknown property is refused with upstream's words
("property X should not exist"), `history` included; raw and derived datasets need their v3
required sets. Lenient where scicat-api.md §5 says: PATCH ignores `type`, `pid` and `version`
(pyscicat sends its whole model), `version` is ignored everywhere, naive and space-separated
times are accepted (the service reads them in SERVER_TIME_ZONE), e-mail fields are not
format-checked, and the v4 plural arrays are accepted next to v3's singular names.

PUT replaces every writable field (absent ones get their defaults) but keeps the pid, the audit
fields, `datasetlifecycle` and the size/file counters the server maintains, unless sent.

Errors are a list of messages, as Nest's ValidationPipe answers them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from catalogue.api.camel import iso, snake_to_camel
from catalogue.errors import InvalidInput
from catalogue.models import Dataset
from catalogue.services.common import clean_value
from catalogue.services.common import parse_timestamp as _timestamp
from catalogue.services.datasets import (
    OBJECT_LISTS,
    STRING_LISTS,
    default_dataset_name,
    lifecycle_defaults,
)

# Written by the server only (or fedcat's own policy machinery); never from a v3 body.
NOT_WRITABLE = frozenset(
    {
        "id",
        "created_by",
        "updated_by",
        "created_at",
        "updated_at",
        "unit_issues",
        "scientific_metadata_valid",
        "version",
        "embargo_end",
    }
)
FIELDS = {
    snake_to_camel(field.name): field
    for field in Dataset._meta.concrete_fields
    if field.name not in NOT_WRITABLE
}
# v3 singular names -> the v4 arrays they fill.
LEGACY = {
    "proposalId": "proposal_ids",
    "sampleId": "sample_ids",
    "instrumentId": "instrument_ids",
    "principalInvestigator": "principal_investigators",
    "investigator": "principal_investigators",
}
IGNORED = frozenset({"version"})
IGNORED_ON_UPDATE = frozenset({"version", "type", "pid"})
COMMON_REQUIRED = ("ownerGroup", "owner", "contactEmail", "sourceFolder", "creationTime", "type")
REQUIRED = {
    "raw": (*COMMON_REQUIRED, "principalInvestigator", "creationLocation"),
    "derived": (*COMMON_REQUIRED, "investigator", "inputDatasets", "usedSoftware"),
}
# Kept by PUT when the body leaves them out: the server's bookkeeping, not the client's data.
KEPT_ON_PUT = frozenset(
    {"datasetlifecycle", "size", "packed_size", "number_of_files", "number_of_files_archived"}
)

LIFECYCLE_BOOLS = (
    "archivable",
    "retrievable",
    "publishable",
    "isOnCentralDisk",
    "retrieveIntegrityCheck",
)
LIFECYCLE_DATES = ("dateOfDiskPurging", "archiveRetentionTime", "dateOfPublishing", "publishedOn")
LIFECYCLE_TEXTS = ("archiveStatusMessage", "retrieveStatusMessage", "exportedTo", "storageLocation")
LIFECYCLE_ANY = ("archiveReturnMessage", "retrieveReturnMessage")
LIFECYCLE_FIELDS = frozenset((*LIFECYCLE_BOOLS, *LIFECYCLE_DATES, *LIFECYCLE_TEXTS, *LIFECYCLE_ANY))
# Arrays that appendToArrayField may extend, by their v3 and v4 names.
ARRAY_FIELDS = {snake_to_camel(name): name for name in (*STRING_LISTS, *OBJECT_LISTS)} | {
    name: field for name, field in LEGACY.items()
}


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidInput(["the body must be a JSON object"])
    return dict(body)


def _clean(body: dict, ignored: frozenset) -> tuple[dict, list[str]]:
    """Checks each property; returns the model values and the problems found."""
    values, problems = {}, []
    for name, value in body.items():
        if name in ignored:
            continue
        if name in LEGACY:
            if value is not None and not isinstance(value, str):
                problems.append(f"{name} must be a string")
            continue
        field = FIELDS.get(name)
        if field is None:
            problems.append(f"property {name} should not exist")
            continue
        try:
            values[field.name] = _clean_field(field, value, name)
        except InvalidInput as exc:
            problems.append(exc.message)
    for name, field in LEGACY.items():
        # The v4 array wins when a client sends both spellings.
        if name in body and field not in values and body[name] is None:
            values[field] = []
        elif isinstance(body.get(name), str) and field not in values:
            values[field] = [body[name]]
    return values, problems


def _clean_field(field: models.Field, value, name: str):
    try:
        value = clean_value(field, value)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace(field.name, name, 1)) from None
    if field.name in STRING_LISTS and not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"each value in {name} must be a string")
    if field.name in OBJECT_LISTS and not all(isinstance(item, dict) for item in value):
        raise InvalidInput(f"each value in {name} must be an object")
    if field.name == "type" and value not in settings.DATASET_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(settings.DATASET_TYPES)}")
    return value


def _missing(values: dict, dataset_type: str) -> list[str]:
    required = REQUIRED.get(dataset_type, COMMON_REQUIRED)
    problems = []
    for name in required:
        field = LEGACY.get(name) or FIELDS[name].name
        if values.get(field) in (None, "", [], {}):
            problems.append(f"{name} should not be empty")
    return problems


def create_problems(body) -> list[str]:
    """What is wrong with a body for POST /Datasets (empty: it would be accepted)."""
    try:
        body = _body(body)
    except InvalidInput as exc:
        return list(exc.message)
    values, problems = _clean(body, IGNORED)
    if "type" in values:
        problems += _missing(values, values["type"])
    elif "type" not in body:
        problems.append("type should not be empty")
    return problems


def create_values(body) -> dict:
    """The service fields for POST /Datasets, or InvalidInput listing every problem."""
    problems = create_problems(body)
    if problems:
        raise InvalidInput(problems)
    values, _ = _clean(_body(body), IGNORED)
    return values


def patch_values(body) -> dict:
    """PATCH: the top-level fields to replace."""
    values, problems = _clean(_body(body), IGNORED_ON_UPDATE)
    if problems:
        raise InvalidInput(problems)
    return values


def put_values(body, dataset: Dataset) -> dict:
    """PUT: every writable field, from the body or its default; pid and audit fields stay."""
    body = _body(body)
    values, problems = _clean(body, IGNORED | {"pid"})
    problems += _missing(values, values.get("type", dataset.type))
    if problems:
        raise InvalidInput(problems)
    replaced = {
        field.name: field.get_default()
        for field in FIELDS.values()
        if field.name not in ("pid", "type") and field.name not in KEPT_ON_PUT
    }
    replaced.update(values)
    if not replaced.get("dataset_name"):
        replaced["dataset_name"] = default_dataset_name(replaced["source_folder"])
    return replaced


def lifecycle_values(body, current: dict) -> dict:
    """PATCH .../datasetlifecycle: `current` merged with the body; null resets a property."""
    body = _body(body)
    if not body:
        raise InvalidInput("dataset lifecycle DTO must not be empty")
    merged, problems = dict(current or {}), []
    for name, value in body.items():
        if name not in LIFECYCLE_FIELDS:
            problems.append(f"property {name} should not exist")
        elif value is None:  # back to a new dataset's value, or removed if it has none
            merged.pop(name, None)
            if name in (defaults := lifecycle_defaults()):
                merged[name] = defaults[name]
        else:
            try:
                merged[name] = _lifecycle_value(name, value)
            except InvalidInput as exc:
                problems.append(exc.message)
    if problems:
        raise InvalidInput(problems)
    return merged


def _lifecycle_value(name: str, value):
    if name in LIFECYCLE_BOOLS:
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be a boolean value")
        return value
    if name in LIFECYCLE_DATES:
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be a valid ISO 8601 date string")
        return iso(_timestamp(value, name))
    if name in LIFECYCLE_TEXTS:
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string")
        return value
    return value  # archiveReturnMessage, retrieveReturnMessage: anything


def appended_values(field_name, data, dataset: Dataset) -> dict:
    """appendToArrayField: the array with the new items added once each ($addToSet)."""
    field = ARRAY_FIELDS.get(field_name)
    if field is None:
        raise InvalidInput(f"fieldName must name an array field of a dataset, got {field_name!r}")
    if not isinstance(data, list):
        raise InvalidInput("data must be a JSON array")
    merged = list(getattr(dataset, field) or [])
    for item in data:
        if item not in merged:
            merged.append(item)
    return {field: _clean_field(Dataset._meta.get_field(field), merged, field_name)}
