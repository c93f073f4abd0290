"""Writes of datasets: create (one or in bulk), update, delete, with history and side effects.

Callers pass model field names (snake_case); the SciCat API translates its camelCase first.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from catalogue.access import Action, can, can_create_dataset, principal_for
from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.models import Dataset, DatasetTerm, HistoryEntry, Proposal, TermKind
from catalogue.units import annotate_quantities
from search import outbox

from .audit import access_snapshot, audit_dataset_changes
from .common import actor_name, check_pid_format, clean_value, in_batches, new_pid, snapshot
from .history import history_record, record_update
from .policies import (
    embargo_change_check,
    embargo_end_for,
    embargo_pin,
    policies_ensure,
    proposal_embargo_periods,
)
from .rows import insert_objects, insert_rows

DATASET_FIELDS = frozenset(
    f.name
    for f in Dataset._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at"}
)
# Set by the server only; a client value is ignored.
SYSTEM_FIELDS = frozenset(
    {"created_by", "updated_by", "unit_issues", "scientific_metadata_valid", "version"}
)
REQUIRED_FIELDS = (
    "owner_group",
    "owner",
    "contact_email",
    "source_folder",
    "creation_time",
    "type",
)
LIFECYCLE_ONLY = frozenset({"datasetlifecycle"})
TERM_SOURCES = {
    TermKind.ACCESS_GROUP: "access_groups",
    TermKind.SHARED_WITH: "shared_with",
    TermKind.PROPOSAL: "proposal_ids",
    TermKind.SAMPLE: "sample_ids",
    TermKind.INSTRUMENT: "instrument_ids",
    TermKind.KEYWORD: "keywords",
}
STRING_LISTS = frozenset(
    {*TERM_SOURCES.values(), "principal_investigators", "input_datasets", "used_software"}
)
OBJECT_LISTS = frozenset({"techniques", "relationships"})
# Copied onto blocks and attachments, as SciCat does; kept in step on every change.
OWNERSHIP_FIELDS = frozenset({"owner_group", "access_groups", "instrument_group", "is_published"})


def _clean(data: dict, *, partial: bool) -> dict:
    """Checks field names and values; returns the fields to store."""
    if not isinstance(data, dict):
        raise InvalidInput("a dataset must be an object")
    unknown = set(data) - DATASET_FIELDS
    if unknown:
        raise InvalidInput(f"unknown dataset fields: {', '.join(sorted(unknown))}")
    values = {name: value for name, value in data.items() if name not in SYSTEM_FIELDS}
    if not partial:
        missing = [name for name in REQUIRED_FIELDS if values.get(name) in (None, "", [])]
        if missing:
            raise InvalidInput(f"missing required dataset fields: {', '.join(missing)}")
    for name, value in values.items():
        values[name] = clean_value(Dataset._meta.get_field(name), value)
    for name in STRING_LISTS & set(values):
        if not all(isinstance(item, str) for item in values[name]):
            raise InvalidInput(f"{name} must be a list of strings")
    for name in {"access_groups", "shared_with"} & set(values):
        # Stored as the access rules compare them: trimmed, and without blanks.
        values[name] = [item.strip() for item in values[name] if item.strip()]
    for name in OBJECT_LISTS & set(values):
        if not all(isinstance(item, dict) for item in values[name]):
            raise InvalidInput(f"{name} must be a list of objects")
    if "type" in values and values["type"] not in settings.DATASET_TYPES:
        allowed = ", ".join(settings.DATASET_TYPES)
        raise InvalidInput(f"type must be one of {allowed}, got {values['type']!r}")
    if "source_folder" in values:
        folder = str(values["source_folder"] or "").strip()
        if not folder:
            raise InvalidInput("sourceFolder must not be empty")
        values["source_folder"] = folder.rstrip("/") or "/"
    if "scientific_metadata" in values:
        values["scientific_metadata"], issues = annotate_quantities(values["scientific_metadata"])
        values["unit_issues"] = [asdict(issue) for issue in issues]
    return values


def _clean_draft(draft: dict, index: int) -> dict:
    try:
        return _clean(draft, partial=False)
    except InvalidInput as exc:
        raise InvalidInput(f"draft {index}: {exc.message}") from exc


def lifecycle_defaults() -> dict:
    """A new dataset's datasetlifecycle as SciCat starts it (a new dict on each call)."""
    return {
        "archivable": True,
        "retrievable": False,
        "publishable": False,
        "isOnCentralDisk": True,
        "archiveStatusMessage": "datasetCreated",
        "retrieveStatusMessage": "",
        "archiveReturnMessage": {},
        "retrieveReturnMessage": {},
        "retrieveIntegrityCheck": False,
    }


def default_dataset_name(source_folder: str) -> str:
    """The name of a dataset sent without one: the last two parts of its folder."""
    parts = [part for part in source_folder.split("/") if part]
    return "/".join(parts[-2:]) or source_folder


def _defaults(values: dict) -> dict:
    if not values.get("dataset_name"):
        values["dataset_name"] = default_dataset_name(values["source_folder"])
    values["datasetlifecycle"] = {**lifecycle_defaults(), **(values.get("datasetlifecycle") or {})}
    values.setdefault("license", settings.DEFAULT_LICENSE)
    return values


def _term_pairs(dataset: Dataset) -> list[tuple[str, str]]:
    """The (kind, value) index rows of a dataset's array fields."""
    terms = set()
    for kind, field in TERM_SOURCES.items():
        for value in getattr(dataset, field) or []:
            text = str(value).strip()
            if kind is TermKind.SHARED_WITH:
                text = text.lower()
            if text:
                terms.add((kind.value, text[:255]))
    for technique in dataset.techniques or []:
        if isinstance(technique, dict) and technique.get("pid"):
            terms.add((TermKind.TECHNIQUE.value, str(technique["pid"])[:255]))
    return sorted(terms)


def _terms_for(dataset: Dataset) -> list[DatasetTerm]:
    return [DatasetTerm(dataset=dataset, kind=k, value=v) for k, v in _term_pairs(dataset)]


def _terms_sync(dataset: Dataset) -> None:
    DatasetTerm.objects.filter(dataset=dataset).delete()
    DatasetTerm.objects.bulk_create(_terms_for(dataset))


def _count_proposal_datasets(proposal_ids, delta: int) -> None:
    # Never below 0: a proposal registered after its datasets was never counted up, and the
    # column is unsigned (PostgreSQL would refuse the delete).
    if proposal_ids:
        Proposal.objects.filter(proposal_id__in=list(proposal_ids)).update(
            number_of_datasets=Greatest(F("number_of_datasets") + delta, 0)
        )


def _authorize_create(user, values: dict, with_pid: bool) -> None:
    decision = can_create_dataset(
        user, owner_group=values.get("owner_group", ""), with_pid=with_pid
    )
    if not decision:
        raise PermissionDenied(decision.reason)


@transaction.atomic
def dataset_create(*, user, data: dict, api_version: str = "3") -> Dataset:
    """Creates one dataset. A client pid needs the right group; a duplicate pid is a Conflict."""
    values = _clean(data, partial=False)
    pid = values.pop("pid", None)
    _authorize_create(user, values, with_pid=bool(pid))
    if pid:
        check_pid_format(pid)
        if Dataset.objects.filter(pid=pid).exists():
            raise Conflict(f"A dataset with pid {pid} already exists!")
    values = _defaults(values)
    policy = policies_ensure(owner_groups=[values["owner_group"]])[values["owner_group"]]
    if "embargo_end" not in values:
        values["embargo_end"] = embargo_end_for(values, policy)
    actor = actor_name(user)
    dataset = Dataset(
        pid=pid or new_pid(), created_by=actor, updated_by=actor, version=api_version, **values
    )
    try:
        with transaction.atomic():
            dataset.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(f"A dataset with pid {dataset.pid} already exists!") from exc
    _terms_sync(dataset)
    _count_proposal_datasets(dataset.proposal_ids, +1)
    history_record(user=user, instance=dataset, operation="create", after=snapshot(dataset))
    outbox.record(dataset, "upsert")
    return dataset


def _blocks_follow_ownership(dataset: Dataset) -> None:
    copy = {name: getattr(dataset, name) for name in OWNERSHIP_FIELDS}
    for related in (dataset.origdatablocks, dataset.datablocks, dataset.attachments):
        related.update(**copy)


@transaction.atomic
def dataset_update(*, user, dataset: Dataset, changes: dict, note: str = "") -> Dataset:
    """Replaces the given top-level fields (SciCat PATCH semantics), recording the history.

    Changes of access (groups, sharing, embargo, publication) also go to the access audit, with
    `note` saying why when the caller knows (services/audit.py). A later embargo end needs
    Action.EXTEND_EMBARGO; any embargo end set here is pinned against policy changes.
    """
    changes = {name: value for name, value in changes.items() if name not in {"pid", "version"}}
    values = _clean(changes, partial=True)
    action = Action.UPDATE_LIFECYCLE if set(values) <= LIFECYCLE_ONLY else Action.UPDATE
    # Decide on the locked, current row: the caller's copy may predate an ownerGroup change.
    pid, dataset = dataset.pid, Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    if dataset is None:
        raise NotFound(f"dataset: {pid} not found")
    if not can(user, action, dataset):
        raise PermissionDenied("Unauthorized to update this dataset")
    if "embargo_end" in values:
        embargo_change_check(user=user, dataset=dataset, new_end=values["embargo_end"])
    old_proposals = set(dataset.proposal_ids or [])
    access_before = access_snapshot(dataset)
    changed = record_update(user=user, instance=dataset, values=values)
    audit_dataset_changes(user=user, dataset=dataset, before=access_before, note=note)
    if "embargo_end" in changed:
        embargo_pin(user=user, dataset=dataset)
    outbox.record(dataset, "upsert")
    if any(field in changed for field in TERM_SOURCES.values()) or "techniques" in changed:
        _terms_sync(dataset)
    if OWNERSHIP_FIELDS & set(changed):
        _blocks_follow_ownership(dataset)
    new_proposals = set(dataset.proposal_ids or [])
    _count_proposal_datasets(new_proposals - old_proposals, +1)
    _count_proposal_datasets(old_proposals - new_proposals, -1)
    return dataset


@transaction.atomic
def dataset_delete(*, user, dataset: Dataset) -> dict:
    """Deletes a dataset and everything under it; returns its last state (SciCat answers it)."""
    if not can(user, Action.DELETE, dataset):
        raise PermissionDenied("Forbidden resource")
    pid, dataset = dataset.pid, Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    if dataset is None:
        raise NotFound(f"dataset: {pid} not found")
    last_state = snapshot(dataset)
    _count_proposal_datasets(dataset.proposal_ids, -1)
    history_record(user=user, instance=dataset, operation="delete", before=last_state)
    outbox.record(dataset, "delete")
    dataset.delete()
    return last_state


def dataset_bulk_create(*, user, drafts: Iterable[dict], batch_size: int = 2000) -> int:
    """Creates many datasets fast (harvests, benchmarks): one transaction and INSERT per batch.

    Same checks and side effects as dataset_create, with server-made pids only.
    """
    principal = principal_for(user)
    actor = principal.username
    created = 0
    # Millions of short-lived dicts make the cyclic GC run constantly; nothing here forms cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for batch in in_batches(drafts, batch_size):
            created += _bulk_create_batch(principal, actor, batch, created)
    finally:
        if gc_was_enabled:
            gc.enable()
    return created


def _bulk_create_batch(principal, actor: str, batch: list[dict], done: int) -> int:
    """One batch of dataset_bulk_create, in one transaction."""
    rows = [_defaults(_clean_draft(draft, done + index)) for index, draft in enumerate(batch)]
    return len(_bulk_insert(principal, actor, rows, snapshots=False))


def dataset_bulk_clean(draft: dict) -> dict:
    """A draft checked and completed as dataset_create does: the row dataset_bulk_insert takes.
    InvalidInput says what is wrong with it."""
    return _defaults(_clean(draft, partial=False))


@transaction.atomic
def dataset_bulk_insert(*, user, rows: list[dict]) -> list[Dataset]:
    """Inserts rows made by dataset_bulk_clean, with dataset_create's side effects (terms,
    history with the created snapshot, policies, embargo, proposal counts, search outbox), in
    one INSERT per table. For the harvest, which checks each source's draft on its own first.
    """
    principal = principal_for(user)
    return _bulk_insert(principal, principal.username, rows, snapshots=True)


def _bulk_insert(principal, actor: str, rows: list[dict], *, snapshots: bool) -> list[Dataset]:
    for values in rows:
        if values.pop("pid", None):
            raise InvalidInput("dataset_bulk_create makes its own pids")
    for group in {values["owner_group"] for values in rows}:
        _authorize_create(principal, {"owner_group": group}, with_pid=False)
    with transaction.atomic():
        policies = policies_ensure(owner_groups={values["owner_group"] for values in rows})
        periods = proposal_embargo_periods(
            values["proposal_ids"][0] for values in rows if values.get("proposal_ids")
        )
        datasets = []
        for values in rows:
            if "embargo_end" not in values:
                values["embargo_end"] = embargo_end_for(
                    values, policies[values["owner_group"]], periods
                )
            datasets.append(Dataset(pid=new_pid(), created_by=actor, updated_by=actor, **values))
        encoded = _insert_datasets(datasets)
        _bulk_insert_terms_and_history(datasets, encoded if snapshots else None, actor)
        outbox.record_many([dataset.pid for dataset in datasets], "upsert")
        per_proposal = Counter(p for d in datasets for p in set(d.proposal_ids or []))
        existing = Proposal.objects.filter(proposal_id__in=list(per_proposal))
        for proposal_id in existing.values_list("proposal_id", flat=True):
            _count_proposal_datasets([proposal_id], per_proposal[proposal_id])
    return datasets


def _insert_datasets(datasets: list[Dataset]) -> list[dict[str, str]]:
    """The rows in one go, then their ids in one SELECT by pid (rows.py: bulk_create spent more
    on building its SQL, value by value, than the database on writing the rows).

    Returns each dataset's JSON fields as the text written, which its history snapshot reuses:
    the scientific metadata is most of a dataset, and is encoded once."""
    encoded: list[dict[str, str]] = []
    insert_objects(datasets, key="pid", texts=encoded)
    return encoded


def _bulk_insert_terms_and_history(datasets: list[Dataset], encoded, actor: str) -> None:
    """Plain rows: building model instances for these rows cost more than the INSERTs.
    With the datasets' `encoded` JSON fields, each create entry holds the dataset as created
    (as dataset_create's); without, it is empty."""
    now = timezone.now()
    terms = [
        (dataset.pk, kind, value) for dataset in datasets for kind, value in _term_pairs(dataset)
    ]
    history = [
        (
            "Dataset",
            d.pid,
            "create",
            "{}",
            _snapshot_text(d, encoded[n]) if encoded else "{}",
            actor,
            now,
        )
        for n, d in enumerate(datasets)
    ]
    insert_rows(DatasetTerm._meta.db_table, ("dataset_id", "kind", "value"), terms)
    columns = ("subsystem", "document_id", "operation", "before", "after", "user", "timestamp")
    insert_rows(HistoryEntry._meta.db_table, columns, history)


# '"name": ' of each field of a dataset's snapshot, in its order.
_SNAPSHOT_KEYS = [(f.attname, json.dumps(f.attname) + ": ") for f in Dataset._meta.concrete_fields]
_ENCODER = DjangoJSONEncoder()


def _snapshot_text(dataset: Dataset, encoded: dict[str, str]) -> str:
    """json.dumps(snapshot(dataset)), the same text, built from the JSON fields as the INSERT
    encoded them and the other fields one by one, without decoding and encoding it again."""
    parts = []
    for name, key in _SNAPSHOT_KEYS:
        text = encoded.get(name)
        if text is None:
            text = _json_scalar(getattr(dataset, name))
        parts.append(key + text)
    return "{" + ", ".join(parts) + "}"


def _json_scalar(value) -> str:
    """_ENCODER.encode(value), the common cases without its per-call setup."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return encode_basestring_ascii(_ENCODER.default(value))
    return _ENCODER.encode(value)
