"""Datablocks: the archive packages of a dataset.

The dataset's packedSize and numberOfFilesArchived follow them; its size and numberOfFiles
(the original files, counted by the origdatablocks) stay as they are. Upstream adds archived
files to numberOfFiles too, which counts each file twice (frontend#2214).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from catalogue.access import Action
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.models import Datablock, DataFile, Dataset

from ..common import actor_name, as_int, snapshot
from ..history import history_record
from .bookkeeping import move_counters, ownership, record_block_update, require
from .files import chk_alg_text, insert_files, required_text

UPDATABLE = frozenset({"archive_id", "version", "size", "packed_size", "chk_alg", "files"})
_RECORDED = ["archive_id", "version", "size", "packed_size", "chk_alg", "number_of_files"]


def _conflict(archive_id: str) -> Conflict:
    return Conflict(f"A datablock with archiveId {archive_id} already exists!")


def _save_unique(block: Datablock, **options) -> None:
    try:
        with transaction.atomic():
            block.save(**options)
    except IntegrityError as exc:  # a concurrent write of the same archiveId won the race
        raise _conflict(block.archive_id) from exc


@transaction.atomic
def datablock_add(
    *,
    user,
    dataset: Dataset,
    archive_id: str,
    version: str,
    files: Iterable[dict],
    size: int | None = None,
    packed_size: int = 0,
    chk_alg: str | int = "",
) -> Datablock:
    """Adds an archive package. The dataset's packedSize and numberOfFilesArchived grow; its
    size and numberOfFiles (the original files) stay as they are."""
    require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    archive_id = required_text(archive_id, "archiveId", Datablock, "archive_id")
    version = required_text(version, "version", Datablock, "version")
    declared = None if size is None else as_int(size, "size", minimum=0)
    packed = as_int(packed_size, "packedSize", minimum=0)
    if Datablock.objects.filter(archive_id=archive_id).exists():
        raise _conflict(archive_id)
    actor = actor_name(user)
    block = Datablock(
        dataset=dataset,
        archive_id=archive_id,
        version=version,
        packed_size=packed,
        chk_alg=chk_alg_text(chk_alg),
        created_by=actor,
        updated_by=actor,
        **ownership(dataset),
    )
    _save_unique(block, force_insert=True)
    count, total = insert_files(files, dataset=dataset, block=block)
    block.size = total if declared is None else declared
    block.number_of_files = count
    block.save(update_fields=["size", "number_of_files"])
    move_counters(
        user=user,
        dataset=dataset,
        deltas={"packed_size": packed, "number_of_files_archived": count},
    )
    return block


@transaction.atomic
def datablock_update(*, user, block: Datablock, changes: dict) -> Datablock:
    """Changes an archive package; `files` replaces its file list whole.

    `changes` may hold archive_id (unique: 409 if taken), version, size, packed_size, chk_alg
    and files. New files without a new size make the size the sum of the new files.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"unknown datablock fields: {', '.join(sorted(unknown))}")
    locked = (
        Datablock.objects.select_for_update().select_related("dataset").filter(pk=block.pk).first()
    )
    if locked is None:
        raise NotFound(f"datablock: {block.pk} not found")
    dataset = locked.dataset
    require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    before = snapshot(locked, _RECORDED)
    if "archive_id" in changes:
        archive_id = changes["archive_id"]
        locked.archive_id = required_text(archive_id, "archiveId", Datablock, "archive_id")
        if Datablock.objects.filter(archive_id=locked.archive_id).exclude(pk=locked.pk).exists():
            raise _conflict(locked.archive_id)
    if "version" in changes:
        locked.version = required_text(changes["version"], "version", Datablock, "version")
    if changes.get("packed_size") is not None:
        locked.packed_size = as_int(changes["packed_size"], "packedSize", minimum=0)
    if "chk_alg" in changes:
        locked.chk_alg = chk_alg_text(changes["chk_alg"])
    declared = None if changes.get("size") is None else as_int(changes["size"], "size", minimum=0)
    if "files" in changes:
        DataFile.objects.filter(datablock_id=locked.pk).delete()
        count, total = insert_files(changes["files"], dataset=dataset, block=locked)
        locked.number_of_files = count
        locked.size = total if declared is None else declared
    elif declared is not None:
        locked.size = declared
    locked.updated_by = actor_name(user)
    _save_unique(locked, update_fields=[*_RECORDED, "updated_by", "updated_at"])
    record_block_update(user=user, block=locked, before=before, fields=_RECORDED)
    move_counters(
        user=user,
        dataset=dataset,
        deltas={
            "packed_size": locked.packed_size - before["packed_size"],
            "number_of_files_archived": locked.number_of_files - before["number_of_files"],
        },
    )
    return locked


@transaction.atomic
def datablock_delete(*, user, block: Datablock) -> dict:
    """Deletes an archive package and its files; returns the block's last state."""
    locked = Datablock.objects.select_for_update().filter(pk=block.pk).first()
    if locked is None:
        raise NotFound(f"datablock: {block.pk} not found")
    dataset = locked.dataset
    require(user, Action.DELETE, dataset, "Forbidden resource")
    last_state = snapshot(locked)
    # Recorded first: delete() clears the instance's pk, which names the history document.
    history_record(user=user, instance=locked, operation="delete", before=last_state)
    locked.delete()
    move_counters(
        user=user,
        dataset=dataset,
        deltas={
            "packed_size": -locked.packed_size,
            "number_of_files_archived": -locked.number_of_files,
        },
    )
    return last_state


@transaction.atomic
def datablocks_delete_all(*, user, dataset: Dataset) -> int:
    """Deletes every datablock of a dataset (DELETE_GROUPS only); returns how many."""
    require(user, Action.DELETE, dataset, "Forbidden resource")
    blocks = list(Datablock.objects.select_for_update().filter(dataset_id=dataset.pk))
    for block in blocks:
        history_record(user=user, instance=block, operation="delete", before=snapshot(block))
    Datablock.objects.filter(pk__in=[block.pk for block in blocks]).delete()
    move_counters(
        user=user,
        dataset=dataset,
        deltas={
            "packed_size": -sum(block.packed_size for block in blocks),
            "number_of_files_archived": -sum(block.number_of_files for block in blocks),
        },
    )
    return len(blocks)
