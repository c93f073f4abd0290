"""Writes of the harvest: a source's dataset with its files, preview and links, in one transaction.

``harvest_source_save`` creates or updates the dataset of one source (a file, an openPMD series
or a directory) from its draft: the proposal, sample, instrument and techniques the files name
are linked, and created when missing, under stable ids so they are never duplicated; the
dataset's file block is replaced; the preview attachment too. The source's HarvestRecord,
unique by source, is written in the same transaction: a killed harvest leaves whole datasets
with their records, or nothing, and the next run finds them. Everything runs as SYSTEM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.errors import Conflict, InvalidInput
from catalogue.models import (
    Attachment,
    DataFile,
    Dataset,
    HarvestRecord,
    HarvestRun,
    HarvestState,
    Instrument,
    OrigDatablock,
    Proposal,
    Sample,
)

from .attachments import attachment_add, attachment_delete, attachment_update
from .datablocks import origdatablock_add, origdatablock_delete, origdatablock_update
from .datasets import dataset_create, dataset_update
from .entities import (
    instrument_create,
    proposal_create,
    proposal_update,
    sample_create,
    technique_ensure,
)

if TYPE_CHECKING:  # numpy and h5py stay out of processes that only serve pages
    from catalogue.harvest.draft import DatasetDraft
    from catalogue.harvest.mapping import Placement

PREVIEW_CAPTION = "Preview (harvest)"
UNKNOWN_CONTACT = "unknown"
# Stable ids for what the harvest creates, so two runs (or two workers) agree on them.
_NAMESPACE = uuid.UUID("0c6f6a55-3f7e-4b7e-8d7e-5b1f2f0a9c41")
# The dataset fields a harvest owns: on an update, one the files no longer give is cleared.
HARVESTED_FIELDS = (
    "type", "data_format", "dataset_name", "description", "creation_time", "start_time",
    "end_time", "owner", "owner_email", "contact_email", "principal_investigators",
    "creation_location", "source_folder", "source_folder_host", "run_number", "proposal_ids",
    "sample_ids", "instrument_ids", "keywords", "techniques", "used_software",
    "scientific_metadata", "owner_group", "access_groups",
)  # fmt: skip


def source_key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class SourceWrite:
    """Everything the parent knows about one extracted source, ready to be stored."""

    source: str
    kind: str
    folder: str  # local
    fingerprints: dict
    placement: Placement
    draft: DatasetDraft
    preview: bytes | None = None
    previews: bool = True  # False: leave the existing preview alone
    chk_alg: str = ""
    warnings: list[str] = field(default_factory=list)


# --- runs ----------------------------------------------------------------------------------


@transaction.atomic
def harvest_run_create(*, user, paths: list[str], options: dict) -> HarvestRun:
    from .common import actor_name

    return HarvestRun.objects.create(
        paths=list(paths), options=dict(options), created_by=actor_name(user)
    )


def harvest_run_start(*, user, paths: list[str], options: dict) -> HarvestRun:
    """A run done by a Celery worker, scheduled once the run row is committed."""
    from catalogue.tasks_harvest import harvest_run

    with transaction.atomic():
        run = harvest_run_create(user=user, paths=paths, options=options)
        harvest_run.delay_on_commit(run.pk)
    return run


def harvest_run_update(*, run: HarvestRun, **fields) -> HarvestRun:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))
    return run


# --- one source ----------------------------------------------------------------------------


def _record_for_update(source: str) -> tuple[HarvestRecord, bool]:
    """The source's record, locked; created (unsaved state) when the source is new."""
    record, created = HarvestRecord.objects.select_for_update().get_or_create(
        key=source_key(source), defaults={"source": source, "state": HarvestState.NEW}
    )
    return record, created


@transaction.atomic
def harvest_source_save(*, run: HarvestRun, write: SourceWrite) -> HarvestRecord:
    """Creates or updates the source's dataset, block, preview and links; records the outcome."""
    record, _ = _record_for_update(write.source)
    draft, placement = write.draft, write.placement
    if not placement.owner_group:
        raise InvalidInput("no owner group: no mapping rule names one (give --owner-group)")
    notes = list(write.warnings)
    data = dataset_data(draft, placement, links_ensure(draft, placement, notes))
    dataset = Dataset.objects.filter(pk=record.dataset_id).first() if record.dataset_id else None
    if dataset is None:
        dataset = dataset_create(user=SYSTEM, data=data)
        state = HarvestState.NEW
    else:
        changes = {name: data.get(name) for name in HARVESTED_FIELDS}
        changes["datasetlifecycle"] = {**dataset.datasetlifecycle, "isOnCentralDisk": True}
        dataset = dataset_update(user=SYSTEM, dataset=dataset, changes=changes)
        state = HarvestState.UPDATED
    _files_replace(dataset, draft.files, write.chk_alg)
    if write.previews:
        _preview_replace(dataset, write.preview)
    record.source, record.kind, record.folder = write.source, write.kind, write.folder
    record.fingerprints, record.placement = write.fingerprints, placement.digest()
    record.dataset, record.run, record.state, record.reason = dataset, run, state, ""
    record.warnings = list(dict.fromkeys([*notes, *draft.warnings]))[:100]
    record.download_url = placement.download_url
    record.save()
    return record


@transaction.atomic
def harvest_source_fail(
    *,
    run: HarvestRun,
    source: str,
    kind: str,
    folder: str,
    fingerprints: dict,
    reason: str,
    state: str = HarvestState.FAILED,
) -> HarvestRecord:
    """Records why a source has no (new) dataset; an earlier dataset of it stays as it was."""
    record, _ = _record_for_update(source)
    record.kind, record.folder, record.fingerprints = kind, folder, fingerprints
    record.run, record.state, record.reason = run, state, reason[:10_000]
    record.save()
    return record


def harvest_sources_mark(*, run: HarvestRun, record_ids: Iterable[int], state: str) -> int:
    """Marks records as seen by `run` without work (unchanged, skipped), in one UPDATE."""
    return HarvestRecord.objects.filter(pk__in=list(record_ids)).update(
        run=run, state=state, updated_at=timezone.now()
    )


@transaction.atomic
def harvest_source_remove(
    *, run: HarvestRun, record_id: int, reason: str = "", off_disk: bool = True
) -> HarvestRecord:
    """The source is gone: the record says "removed", the dataset is kept, and when its files
    are gone (`off_disk`) flagged ``datasetlifecycle.isOnCentralDisk = false`` (set back to
    true if they return). A source whose files now form another source keeps its flag."""
    record = HarvestRecord.objects.select_for_update().get(pk=record_id)
    dataset = record.dataset
    flagged = dataset is not None and dataset.datasetlifecycle.get("isOnCentralDisk") is False
    if dataset is not None and off_disk and not flagged:
        lifecycle = {**dataset.datasetlifecycle, "isOnCentralDisk": False}
        dataset_update(user=SYSTEM, dataset=dataset, changes={"datasetlifecycle": lifecycle})
    record.run, record.state = run, HarvestState.REMOVED
    record.reason = reason or "the files are no longer there"
    record.save(update_fields=["run", "state", "reason", "updated_at"])
    return record


# --- checksums -----------------------------------------------------------------------------


@transaction.atomic
def harvest_checksums_save(*, checksums: list[tuple[int, str]], chk_alg: str) -> int:
    """Stores file checksums (DataFile id, hex) and names the algorithm on their blocks.

    A block moving to another algorithm loses its old checksums first, so it never holds
    checksums under the wrong name; the checksum stage then finds its other files unhashed.
    """
    if not checksums:
        return 0
    touched = DataFile.objects.filter(pk__in=[i for i, _ in checksums]).values("origdatablock")
    moving = list(
        OrigDatablock.objects.filter(pk__in=touched)
        .exclude(chk_alg=chk_alg)
        .values_list("pk", flat=True)
    )
    if moving:
        DataFile.objects.filter(origdatablock__in=moving).update(chk="")
        OrigDatablock.objects.filter(pk__in=moving).update(chk_alg=chk_alg)
    for file_id, chk in checksums:
        DataFile.objects.filter(pk=file_id).update(chk=chk)
    return len(checksums)


# --- the dataset and its links -------------------------------------------------------------


def dataset_data(draft: DatasetDraft, placement: Placement, links: dict) -> dict:
    """dataset_create data from a draft, the mapping's placement and the linked entity ids."""
    data = draft.to_dataset_data()
    contact = _email(draft.contact_email, draft.owner_email, placement.contact_email)
    data.update(
        owner_group=placement.owner_group,
        access_groups=list(placement.access_groups),
        owner=draft.owner or placement.owner_group,
        contact_email=contact or placement.contact_email or UNKNOWN_CONTACT,
        source_folder=placement.source_folder or draft.source_folder,
        **links,
    )
    if placement.source_folder_host:
        data["source_folder_host"] = placement.source_folder_host
    return {name: value for name, value in data.items() if value not in ("", None, [], {})}


def links_ensure(draft: DatasetDraft, placement: Placement, notes: list[str]) -> dict:
    """Techniques, instrument, proposal and sample the files name: found, or created once.

    Returns the dataset's id lists; what could not be done is appended to `notes`.
    """
    for technique in draft.techniques:
        technique_ensure(pid=technique["pid"], name=technique["name"])
    links = {"proposal_ids": [], "sample_ids": [], "instrument_ids": []}
    instrument = _instrument_ensure(draft)
    if instrument is not None:
        links["instrument_ids"] = [instrument.pid]
    proposal_id = placement.proposal_id or draft.proposal_id
    if proposal_id:
        if note := _proposal_ensure(proposal_id, draft, placement, instrument):
            notes.append(note)
        links["proposal_ids"] = [proposal_id]
    sample = _sample_ensure(draft, placement, proposal_id)
    if sample is not None:
        links["sample_ids"] = [sample.sample_id]
    return links


def _instrument_ensure(draft: DatasetDraft) -> Instrument | None:
    data = draft.to_instrument_data()
    if not data:
        return None
    found = Instrument.objects.filter(unique_name=data["unique_name"]).first()
    if found:
        return found
    data["pid"] = f"{settings.PID_PREFIX}/{uuid.uuid5(_NAMESPACE, data['unique_name'])}"
    try:
        return instrument_create(user=SYSTEM, data=_jsonable(data))
    except Conflict:  # another harvest made it meanwhile
        return Instrument.objects.get(unique_name=data["unique_name"])


def _proposal_ensure(proposal_id: str, draft, placement: Placement, instrument) -> str:
    """Links the proposal, creating it when missing; "" or why it could not be created."""
    found = Proposal.objects.filter(pk=proposal_id).first()
    if found is None:
        email = _email(draft.contact_email, draft.owner_email, placement.contact_email)
        if not email:  # a proposal needs one; the dataset still names the proposal id
            return f"proposal {proposal_id} not created: no contact e-mail (see docs/harvest.md)"
        data = {
            "proposal_id": proposal_id,
            "title": f"Proposal {proposal_id}",
            "email": email,
            "owner_group": placement.owner_group,
            "access_groups": list(placement.access_groups),
            "instrument_ids": [instrument.pid] if instrument else [],
            "metadata": {"source": "harvest"},
        }
        try:
            proposal_create(user=SYSTEM, data=data)
            return ""
        except Conflict:
            found = Proposal.objects.get(pk=proposal_id)
    if instrument and instrument.pid not in (found.instrument_ids or []):
        changes = {"instrument_ids": [*(found.instrument_ids or []), instrument.pid]}
        proposal_update(user=SYSTEM, proposal=found, changes=changes)
    return ""


def _email(*candidates: str) -> str:
    for candidate in candidates:
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


def _sample_ensure(draft: DatasetDraft, placement: Placement, proposal_id: str) -> Sample | None:
    """A sample per (proposal or owner group, sample name); unnamed ones by their description."""
    data = draft.to_sample_data()
    if not data:
        return None
    identity = draft.sample.get("name") or json.dumps(data, sort_keys=True, default=str)
    scope = proposal_id or placement.owner_group
    sample_id = str(uuid.uuid5(_NAMESPACE, f"{scope}\n{identity}"))
    found = Sample.objects.filter(pk=sample_id).first()
    if found:
        return found
    data = {
        **_jsonable(data),
        "sample_id": sample_id,
        "owner_group": placement.owner_group,
        "access_groups": list(placement.access_groups),
        "proposal_id": proposal_id,
        "owner": draft.owner[:255],
    }
    try:
        return sample_create(user=SYSTEM, data=data)
    except Conflict:
        return Sample.objects.get(pk=sample_id)


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


# --- files and previews --------------------------------------------------------------------


def _files_replace(dataset: Dataset, infos: list[dict], chk_alg: str) -> None:
    """The dataset's file list becomes `infos`: the first block is rewritten, others dropped.

    Checksums of the chosen algorithm are kept for files whose size and mtime did not change.
    """
    blocks = list(dataset.origdatablocks.order_by("created_at", "id"))
    carried = {}
    if blocks and chk_alg:
        rows = DataFile.objects.filter(dataset=dataset, origdatablock__chk_alg=chk_alg)
        rows = rows.exclude(chk="").values_list("path", "size", "time", "chk")
        carried = {path: (size, moment, chk) for path, size, moment, chk in rows}
    files = [_with_checksum(info, carried) for info in infos]
    for block in blocks[1:]:
        origdatablock_delete(user=SYSTEM, block=block)
    if not files:
        if blocks:
            origdatablock_delete(user=SYSTEM, block=blocks[0])
    elif blocks:
        changes = {"files": files, "chk_alg": chk_alg}
        origdatablock_update(user=SYSTEM, block=blocks[0], changes=changes)
    else:
        origdatablock_add(user=SYSTEM, dataset=dataset, files=files, chk_alg=chk_alg)


def _with_checksum(info: dict, carried: dict) -> dict:
    entry = {"path": info["path"], "size": info["size"], "time": info["time"]}
    old = carried.get(info["path"])
    if old and old[0] == info["size"] and old[1] == _moment(info["time"]):
        entry["chk"] = old[2]
    return entry


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def _preview_replace(dataset: Dataset, png: bytes | None) -> None:
    """The harvest's preview of the dataset becomes `png` (none: the old one goes)."""
    old = list(Attachment.objects.filter(dataset=dataset, caption=PREVIEW_CAPTION))
    if png:
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        if old:
            attachment_update(user=SYSTEM, attachment=old.pop(0), changes={"thumbnail": uri})
        else:
            attachment_add(user=SYSTEM, dataset=dataset, thumbnail=uri, caption=PREVIEW_CAPTION)
    for attachment in old:
        attachment_delete(user=SYSTEM, attachment=attachment)
