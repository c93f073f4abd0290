"""Writes of published data (SciCat's PublishedData): a DOI over a set of datasets.

Stored like SciCat v4: title, abstract, dataset_pids, counts, status and the DataCite-like
`metadata` (creators, publisher, publicationYear, resourceType, ...). The v3 API maps its flat
fields onto these (catalogue/api/published.py).

Rules: any signed-in user may create, update and register (SciCat v3); only DELETE_GROUPS delete,
and never a registered record. fedcat tightens one thing: a dataset may only be put in
dataset_pids by someone who may publish it (`Action.PUBLISH`: its owners and admins), and it must
exist. Registration here marks the record registered, makes its datasets public with
`datasetlifecycle.publishedOn` and reserves the DOI, all in one transaction; a Celery task
registers it at DataCite after commit (lifecycle.py). Changes to a registered record, its
withdrawal and its restoration are sent to DataCite the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from catalogue.access import SYSTEM, Action, can, principal_for
from catalogue.access_entities import REGISTERED_STATUSES, may_delete, may_write_published_data
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import Dataset, PublishedData, PublishedDataStatus
from catalogue.models.publishing import DoiState

from ..common import actor_name, as_int, clean_text, snapshot
from ..datasets import dataset_update
from ..history import history_record, record_update
from .lifecycle import (
    check_mintable,
    may_manage_publication,
    minting_problems,
    request_sync,
    reserve,
)

FIELDS = frozenset(
    {
        "doi",
        "title",
        "abstract",
        "dataset_pids",
        "number_of_files",
        "size_of_archive",
        "metadata",
        "status",
    }
)
# Fields DataCite's copy is made from, and the DOI states in which DataCite holds one.
SENT_FIELDS = frozenset({"title", "abstract", "dataset_pids", "metadata"})
SENT_STATES = frozenset(
    {DoiState.RESERVED, DoiState.REGISTERED, DoiState.FINDABLE, DoiState.HIDDEN}
)
# Statuses a client may set; registered and amended come only from published_data_register.
CLIENT_STATUSES = frozenset({PublishedDataStatus.PRIVATE, PublishedDataStatus.PUBLIC})


def new_doi() -> str:
    prefix = getattr(settings, "DOI_PREFIX", "10.xxxx/")
    return f"{prefix.rstrip('/')}/{uuid.uuid4()}"


def _require_writer(user) -> None:
    if not may_write_published_data(user):
        raise PermissionDenied("Forbidden resource")


def _clean(data: dict) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("published data must be an object")
    unknown = set(data) - FIELDS
    if unknown:
        raise InvalidInput(f"unknown published data fields: {', '.join(sorted(unknown))}")
    values = dict(data)
    for name in ("doi", "title", "abstract"):
        if name in values:
            values[name] = clean_text(values[name], name, max_length=255 if name == "doi" else None)
    for name in ("number_of_files", "size_of_archive"):
        if name in values:
            values[name] = as_int(values[name], name, minimum=0)
    if "dataset_pids" in values:
        pids = values["dataset_pids"]
        if not isinstance(pids, list) or not all(isinstance(p, str) and p for p in pids):
            raise InvalidInput("pidArray must be a list of dataset pids")
        values["dataset_pids"] = list(dict.fromkeys(pids))
    if "metadata" in values and not isinstance(values["metadata"], dict):
        raise InvalidInput("metadata must be an object")
    if "status" in values and values["status"] not in CLIENT_STATUSES:
        raise InvalidInput(
            "status can only become registered through POST /PublishedData/{doi}/register"
        )
    return values


def _check_publishable(user, pids) -> list[Dataset]:
    """The datasets of `pids`; each must exist and be publishable by `user`."""
    datasets = {d.pid: d for d in Dataset.objects.filter(pid__in=list(pids)).order_by()}
    missing = [pid for pid in pids if pid not in datasets]
    if missing:
        raise InvalidInput(f"datasets not found: {', '.join(missing[:10])}")
    refused = [pid for pid in pids if not can(user, Action.PUBLISH, datasets[pid])]
    if refused:
        raise PermissionDenied(f"Unauthorized to publish datasets: {', '.join(refused[:10])}")
    return list(datasets.values())


@transaction.atomic
def published_data_create(*, user, data: dict) -> PublishedData:
    """A new record (status private, v3 "pending_registration") with a new DOI unless given."""
    _require_writer(user)
    values = _clean(data)
    if not values.get("title"):
        raise InvalidInput("missing required published data fields: title")
    pids = values.get("dataset_pids") or []
    if not pids:
        raise InvalidInput("missing required published data fields: pidArray")
    datasets = _check_publishable(user, pids)
    if "number_of_files" not in values or "size_of_archive" not in values:
        totals = Dataset.objects.filter(pk__in=[d.pk for d in datasets]).aggregate(
            files=Sum("number_of_files"), size=Sum("size")
        )
        values.setdefault("number_of_files", totals["files"] or 0)
        values.setdefault("size_of_archive", totals["size"] or 0)
    values["doi"] = (values.get("doi") or "").strip() or new_doi()
    actor = actor_name(user)
    record = PublishedData(created_by=actor, updated_by=actor, **values)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(f"Published data with doi {record.doi} already exists") from exc
    history_record(user=user, instance=record, operation="create", after=snapshot(record))
    return record


@transaction.atomic
def published_data_update(*, user, record: PublishedData, changes: dict) -> PublishedData:
    """Replaces the given fields; `metadata` replaces the whole object (the API merges first).

    Datasets added to dataset_pids must be publishable by `user`. The DOI never changes.
    """
    _require_writer(user)
    # The row is re-read under a lock: the DOI task writes its state fields meanwhile.
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    changes = dict(changes)
    if changes.pop("doi", record.doi) != record.doi:
        raise InvalidInput("the doi of published data cannot be changed")
    values = _clean(changes)
    if "status" in values and values["status"] != record.status:
        raise InvalidInput("the status of published data changes only through register")
    if "dataset_pids" in values:
        if not values["dataset_pids"]:
            raise InvalidInput("pidArray must not be empty")
        added = [pid for pid in values["dataset_pids"] if pid not in set(record.dataset_pids)]
        _check_publishable(user, added)
    if "title" in values and not values["title"]:
        raise InvalidInput("title must not be empty")
    changed = record_update(user=user, instance=record, values=values)
    if set(changed) & SENT_FIELDS and record.state in SENT_STATES:
        request_sync(record)  # DataCite gets the new metadata after commit
    return record


@transaction.atomic
def published_data_delete(*, user, record: PublishedData) -> dict:
    """DELETE_GROUPS only; a registered (or amended) record stays."""
    if not may_delete(user):
        raise PermissionDenied("Forbidden resource")
    if record.status in REGISTERED_STATUSES:
        raise InvalidInput(
            f"Published data with id {record.doi} is already registered or amended. "
            "It cannot be removed."
        )
    last_state = snapshot(record)
    history_record(user=user, instance=record, operation="delete", before=last_state)
    record.delete()
    return last_state


@transaction.atomic
def published_data_register(*, user, record: PublishedData) -> PublishedData:
    """Marks the record registered and publishes its datasets, in one transaction.

    Each dataset gets isPublished and datasetlifecycle.publishedOn through dataset_update (so
    the history and the copies on blocks follow). The right to publish them was checked when they
    were put in dataset_pids, so the update acts with full rights, recorded under the caller's
    name. Datasets deleted since are skipped. Registering again keeps the first registeredTime.

    The DOI is reserved here (draft or failed -> reserved) and registered at DataCite by a task
    after commit. With DataCite configured, a record lacking what DataCite requires (creators,
    publisher, ...) is refused before anything is written. Registering a failed record again is
    how it is resubmitted after a fix.
    """
    _require_writer(user)
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    now = record.registered_time or timezone.now()
    acting = replace(SYSTEM, username=principal_for(user).username)
    published_on = now.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    for dataset in Dataset.objects.filter(pid__in=record.dataset_pids).order_by("pk"):
        lifecycle = {**(dataset.datasetlifecycle or {}), "publishedOn": published_on}
        dataset_update(
            user=acting,
            dataset=dataset,
            changes={"is_published": True, "datasetlifecycle": lifecycle},
        )
    before = snapshot(record, ["status", "registered_time", "state"])
    if record.status not in REGISTERED_STATUSES:
        record.status = PublishedDataStatus.REGISTERED
        record.registered_time = now
    check_mintable(record)
    reserve(record)
    record.updated_by = actor_name(user)
    record.save()
    after = snapshot(record, ["status", "registered_time", "state"])
    if before != after:
        history_record(user=user, instance=record, operation="update", before=before, after=after)
    return record


@transaction.atomic
def published_data_submit(*, user, record: PublishedData) -> PublishedData:
    """The portal's "submit": a draft (or a failed record, after a fix) is registered and its
    DOI reserved. Only its maker and admins; refused with DataCite's missing or invalid
    properties listed, whether or not DataCite is configured here."""
    if not may_manage_publication(user, record):
        raise PermissionDenied("Only the person who made this publication may submit it")
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    if record.state not in (DoiState.DRAFT, DoiState.FAILED):
        raise InvalidInput(f"{record.doi} was submitted already (its DOI is {record.state})")
    if not record.dataset_pids:
        raise InvalidInput("choose at least one dataset to publish")
    _check_publishable(user, record.dataset_pids)
    problems = minting_problems(record)
    if problems:
        raise InvalidInput([f"DataCite would refuse this record: {p}" for p in problems])
    return published_data_register(user=user, record=record)


@transaction.atomic
def published_data_withdraw(*, user, record: PublishedData, reason: str) -> PublishedData:
    """Takes a registered DOI down: its landing page becomes a tombstone (410) and OAI-PMH
    reports it deleted. The DOI itself stays (DOIs are never deleted): DataCite hides it after
    commit (findable -> registered). Admins only."""
    if not principal_for(user).is_admin:
        raise PermissionDenied("Forbidden resource")
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    if record.status not in REGISTERED_STATUSES:
        raise InvalidInput(f"Published data {record.doi} is not registered: delete it instead")
    reason = clean_text(reason or "", "reason").strip()
    if not reason:
        raise InvalidInput("a withdrawal needs a reason, shown on the tombstone page")
    record_update(
        user=user,
        instance=record,
        values={"withdrawn_at": timezone.now(), "withdrawal_reason": reason},
    )
    if record.state in SENT_STATES:
        request_sync(record)  # DataCite event hide after commit
    return record


@transaction.atomic
def published_data_restore(*, user, record: PublishedData) -> PublishedData:
    """Undoes a withdrawal (DataCite event publish after commit). Admins only."""
    if not principal_for(user).is_admin:
        raise PermissionDenied("Forbidden resource")
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    changed = record_update(
        user=user, instance=record, values={"withdrawn_at": None, "withdrawal_reason": ""}
    )
    if changed and record.state in SENT_STATES:
        request_sync(record)
    return record
