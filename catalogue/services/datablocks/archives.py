"""Datablocks: the archive packages of a dataset.

The dataset's packedSize and numberOfFilesArchived follow them; its size and numberOfFiles
(the original files, counted by the origdatablocks) stay as they are. Upstream adds archived
files to numberOfFiles too, which counts each file twice (frontend#2214).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction

from catalogue.access import Action
from catalogue.errors import Conflict, InvalidInput
from catalogue.models import Datablock, Dataset

from ..common import actor_name, as_int
from .blocks import (
    add_files,
    block_delete,
    block_for_update,
    block_save,
    blocks_delete_all,
    replace_files,
)
from .bookkeeping import ownership, require
from .files import chk_alg_text, required_text

UPDATABLE = frozenset({"archive_id", "version", "size", "packed_size", "chk_alg", "files"})
_RECORDED = ["archive_id", "version", "size", "packed_size", "chk_alg", "number_of_files"]
COUNTERS = {"packed_size": "packed_size", "number_of_files_archived": "number_of_files"}


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
    add_files(
        user=user, block=block, dataset=dataset, files=files, declared=declared, counters=COUNTERS
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
    locked, dataset, before = block_for_update(
        user=user, model=Datablock, block=block, fields=_RECORDED
    )
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
    replace_files(block=locked, dataset=dataset, changes=changes, declared=declared)
    block_save(
        user=user,
        block=locked,
        dataset=dataset,
        before=before,
        fields=_RECORDED,
        counters=COUNTERS,
        save=partial(_save_unique, locked),
    )
    return locked


@transaction.atomic
def datablock_delete(*, user, block: Datablock) -> dict:
    """Deletes an archive package and its files; returns the block's last state."""
    return block_delete(user=user, model=Datablock, block=block, counters=COUNTERS)


@transaction.atomic
def datablocks_delete_all(*, user, dataset: Dataset) -> int:
    """Deletes every datablock of a dataset (DELETE_GROUPS only); returns how many."""
    return blocks_delete_all(user=user, model=Datablock, dataset=dataset, counters=COUNTERS)
