"""OrigDatablocks: the files of a dataset as found.

Each write is one transaction: a bad file anywhere and nothing is written. The dataset's size and
numberOfFiles move by F() expressions, so concurrent writes do not lose each other's updates,
and each move leaves an "update" entry in the dataset's history.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from catalogue.access import SYSTEM, Action
from catalogue.errors import InvalidInput, NotFound
from catalogue.models import DataFile, Dataset, OrigDatablock
from search import outbox

from ..common import actor_name, as_int
from ..history import history_record
from .blocks import (
    add_files,
    block_delete,
    block_for_update,
    block_save,
    blocks_delete_all,
    replace_files,
)
from .bookkeeping import ownership, require
from .files import chk_alg_text, file_problems

UPDATABLE = frozenset({"size", "chk_alg", "files"})
_RECORDED = ["size", "chk_alg", "number_of_files"]
COUNTERS = {"size": "size", "number_of_files": "number_of_files"}


def _declared_size(value) -> int | None:
    return None if value is None else as_int(value, "size", minimum=0)


@transaction.atomic
def origdatablock_add(
    *,
    user,
    dataset: Dataset,
    files: Iterable[dict],
    size: int | None = None,
    chk_alg: str | int = "",
) -> OrigDatablock:
    """Adds a block of files to a dataset; the dataset's size and numberOfFiles grow with it.

    The block's size is `size` when given (SciCat trusts the client's figure), else the sum of
    the file sizes.
    """
    require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    declared = _declared_size(size)
    actor = actor_name(user)
    block = OrigDatablock.objects.create(
        dataset=dataset,
        chk_alg=chk_alg_text(chk_alg),
        created_by=actor,
        updated_by=actor,
        **ownership(dataset),
    )
    add_files(
        user=user, block=block, dataset=dataset, files=files, declared=declared, counters=COUNTERS
    )
    return block


def origdatablock_check(
    *, user, dataset: Dataset, files, size=None, chk_alg: str | int = ""
) -> list[str]:
    """What origdatablock_add would refuse in these values ([] if nothing); writes nothing.

    Asks for the same permission as the add, as SciCat's isValid does.
    """
    require(user, Action.UPDATE, dataset, "Unauthorized to update this dataset")
    problems = []
    for check, value in ((_declared_size, size), (chk_alg_text, chk_alg)):
        try:
            check(value)
        except InvalidInput as exc:
            problems.append(exc.message)
    return problems + file_problems(files)


@transaction.atomic
def origdatablock_update(*, user, block: OrigDatablock, changes: dict) -> OrigDatablock:
    """Changes a block's size, chkAlg and/or replaces its files; the dataset follows.

    `changes` may hold `size`, `chk_alg` and `files` (the new dataFileList, which replaces the
    old one whole). New files without a new size make the size the sum of the new files.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"unknown origdatablock fields: {', '.join(sorted(unknown))}")
    locked, dataset, before = block_for_update(
        user=user, model=OrigDatablock, block=block, fields=_RECORDED
    )
    declared = _declared_size(changes.get("size"))
    if "chk_alg" in changes:
        locked.chk_alg = chk_alg_text(changes["chk_alg"])
    replace_files(block=locked, dataset=dataset, changes=changes, declared=declared)
    block_save(
        user=user, block=locked, dataset=dataset, before=before, fields=_RECORDED, counters=COUNTERS
    )
    return locked


@transaction.atomic
def origdatablock_delete(*, user, block: OrigDatablock) -> dict:
    """Deletes a block and its files, shrinking the dataset; returns the block's last state."""
    return block_delete(user=user, model=OrigDatablock, block=block, counters=COUNTERS)


@transaction.atomic
def origdatablocks_delete_all(*, user, dataset: Dataset) -> int:
    """Deletes every origdatablock of a dataset (DELETE_GROUPS only); returns how many."""
    return blocks_delete_all(user=user, model=OrigDatablock, dataset=dataset, counters=COUNTERS)


@transaction.atomic
def dataset_recount(*, dataset_id: int) -> Dataset:
    """Recomputes a dataset's size and numberOfFiles from its origdatablocks' files.

    A repair tool (run by a task, as the system). The row is locked first, so an add that
    commits meanwhile either is counted here or applies its delta on top of our total.
    """
    dataset = Dataset.objects.select_for_update().filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFound(f"dataset: {dataset_id} not found")
    totals = DataFile.objects.filter(dataset_id=dataset_id, origdatablock__isnull=False).aggregate(
        size=Sum("size"), number_of_files=Count("id")
    )
    after = {"size": totals["size"] or 0, "number_of_files": totals["number_of_files"]}
    before = {name: getattr(dataset, name) for name in after}
    if after != before:
        Dataset.objects.filter(pk=dataset_id).update(
            **after, updated_by=SYSTEM.username, updated_at=timezone.now()
        )
        for name, value in after.items():
            setattr(dataset, name, value)
        history_record(
            user=SYSTEM, instance=dataset, operation="update", before=before, after=after
        )
        outbox.record(dataset, "upsert")
    return dataset
