"""One source at a time: its dataset created or updated, its files and preview replaced."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from catalogue.access import SYSTEM
from catalogue.errors import InvalidInput
from catalogue.models import Attachment, DataFile, Dataset, HarvestRecord, HarvestRun, HarvestState

from ..attachments import attachment_add, attachment_delete, attachment_update
from ..datablocks import origdatablock_add, origdatablock_delete, origdatablock_update
from ..datasets import dataset_create, dataset_update

if TYPE_CHECKING:  # numpy and h5py stay out of processes that only serve pages
    from catalogue.harvest.draft import DatasetDraft
    from catalogue.harvest.mapping import Placement

PREVIEW_CAPTION = "Preview (harvest)"
UNKNOWN_CONTACT = "unknown"
NO_OWNER_GROUP = "no owner group: no mapping rule names one (give --owner-group)"
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


def _record_for_update(source: str) -> tuple[HarvestRecord, bool]:
    """The source's record, locked; created (unsaved state) when the source is new."""
    record, created = HarvestRecord.objects.select_for_update().get_or_create(
        key=source_key(source), defaults={"source": source, "state": HarvestState.NEW}
    )
    return record, created


@transaction.atomic
def harvest_source_save(*, run: HarvestRun, write: SourceWrite) -> HarvestRecord:
    """Creates or updates the source's dataset, block, preview and links; records the outcome."""
    from .links import links_ensure

    record, _ = _record_for_update(write.source)
    draft, placement = write.draft, write.placement
    if not placement.owner_group:
        raise InvalidInput(NO_OWNER_GROUP)
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
    record_fill(record, write, dataset, run, state, notes)
    record.save()
    return record


def record_fill(record: HarvestRecord, write: SourceWrite, dataset, run, state, notes) -> None:
    """Sets what a saved source's record says (the caller saves it)."""
    record.source, record.kind, record.folder = write.source, write.kind, write.folder
    record.fingerprints, record.placement = write.fingerprints, write.placement.digest()
    record.dataset, record.run, record.state, record.reason = dataset, run, state, ""
    record.warnings = list(dict.fromkeys([*notes, *write.draft.warnings]))[:100]
    record.download_url = write.placement.download_url


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


# --- the dataset ---------------------------------------------------------------------------


def dataset_data(draft: DatasetDraft, placement: Placement, links: dict) -> dict:
    """dataset_create data from a draft, the mapping's placement and the linked entity ids."""
    data = draft.to_dataset_data()
    contact = email_of(draft.contact_email, draft.owner_email, placement.contact_email)
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


def email_of(*candidates: str) -> str:
    """The first valid e-mail address among `candidates`, else ""."""
    for candidate in candidates:
        if _valid_email(candidate):
            return candidate
    return ""


@lru_cache(maxsize=4096)
def _valid_email(candidate: str) -> bool:
    # Cached: a harvest checks the same few addresses for every file, and the check is regexes.
    try:
        validate_email(candidate)
    except ValidationError:
        return False
    return True


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
    files = [file_entry(info, carried) for info in infos]
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


def file_entry(info: dict, carried: dict) -> dict:
    """A dataFileList entry for a draft's file; its checksum carried over if it is unchanged."""
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


def preview_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _preview_replace(dataset: Dataset, png: bytes | None) -> None:
    """The harvest's preview of the dataset becomes `png` (none: the old one goes)."""
    old = list(Attachment.objects.filter(dataset=dataset, caption=PREVIEW_CAPTION))
    if png:
        uri = preview_uri(png)
        if old:
            attachment_update(user=SYSTEM, attachment=old.pop(0), changes={"thumbnail": uri})
        else:
            attachment_add(user=SYSTEM, dataset=dataset, thumbnail=uri, caption=PREVIEW_CAPTION)
    for attachment in old:
        attachment_delete(user=SYSTEM, attachment=attachment)
