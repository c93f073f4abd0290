"""What the services of both block kinds (OrigDatablock, Datablock) do the same way.

`counters` maps each dataset counter a kind moves to the block field it sums:
{"size": "size", "number_of_files": "number_of_files"} for the original files,
{"packed_size": "packed_size", "number_of_files_archived": "number_of_files"} for archives.
"""

from __future__ import annotations

from catalogue.access import Action
from catalogue.errors import NotFound

from ..common import actor_name, snapshot
from ..history import history_record, history_update
from .bookkeeping import move_counters, require
from .files import insert_files


def counted(counters: dict[str, str], block, sign: int = 1) -> dict[str, int]:
    """What `block` adds to the dataset's counters (times `sign`)."""
    return {counter: sign * getattr(block, field) for counter, field in counters.items()}


def locked_block(model, block, *related: str):
    """The row of `block`, locked until commit (404 if it is gone): a caller's copy may be stale,
    and two deletes of one block must not subtract twice."""
    rows = model.objects.select_for_update()
    if related:  # select_related() without names would join (and lock) every foreign key
        rows = rows.select_related(*related)
    found = rows.filter(pk=block.pk).first()
    if found is None:
        raise NotFound(f"{model._meta.model_name}: {block.pk} not found")
    return found


def add_files(*, user, block, dataset, files, declared: int | None, counters) -> None:
    """A new block's files; its size becomes `declared` if given, else their sum, and the
    dataset's counters grow by the block."""
    count, total = insert_files(files, dataset=dataset, block=block)
    block.size = total if declared is None else declared
    block.number_of_files = count
    block.save(update_fields=["size", "number_of_files"])
    move_counters(user=user, dataset=dataset, deltas=counted(counters, block))


def replace_files(*, block, dataset, changes: dict, declared: int | None) -> None:
    """`changes["files"]` replaces the block's files whole; its size becomes `declared` if given,
    else the sum of the new files. Without new files, a declared size is set on its own."""
    if "files" in changes:
        block.files.all().delete()
        count, total = insert_files(changes["files"], dataset=dataset, block=block)
        block.number_of_files = count
        block.size = total if declared is None else declared
    elif declared is not None:
        block.size = declared


def block_for_update(*, user, model, block, fields) -> tuple:
    """The locked block, its dataset (which `user` must be allowed to update) and the block's
    snapshot of `fields` before the change."""
    locked = locked_block(model, block, "dataset")
    require(user, Action.UPDATE, locked.dataset, "Unauthorized to update this dataset")
    return locked, locked.dataset, snapshot(locked, fields)


def block_save(*, user, block, dataset, before: dict, fields, counters, save=None) -> None:
    """Saves a changed block (with `save(update_fields=...)`, else block.save) as `user`'s, then
    records its history and moves the dataset's counters by the change. `before` is the
    block_for_update snapshot of `fields`, which include the counted fields."""
    block.updated_by = actor_name(user)
    (save or block.save)(update_fields=[*fields, "updated_by", "updated_at"])
    history_update(user=user, instance=block, before=before, fields=fields)
    deltas = {counter: getattr(block, field) - before[field] for counter, field in counters.items()}
    move_counters(user=user, dataset=dataset, deltas=deltas)


def block_delete(*, user, model, block, counters) -> dict:
    """Deletes a block and its files, shrinking the dataset; returns the block's last state."""
    locked = locked_block(model, block)
    dataset = locked.dataset
    require(user, Action.DELETE, dataset, "Forbidden resource")
    last_state = snapshot(locked)
    # Recorded first: delete() clears the instance's pk, which names the history document.
    history_record(user=user, instance=locked, operation="delete", before=last_state)
    locked.delete()
    move_counters(user=user, dataset=dataset, deltas=counted(counters, locked, -1))
    return last_state


def blocks_delete_all(*, user, model, dataset, counters) -> int:
    """Deletes every block of `model` of a dataset (DELETE_GROUPS only); returns how many."""
    require(user, Action.DELETE, dataset, "Forbidden resource")
    # Only the rows locked here: a block added meanwhile is neither deleted nor subtracted.
    blocks = list(model.objects.select_for_update().filter(dataset_id=dataset.pk))
    for block in blocks:
        history_record(user=user, instance=block, operation="delete", before=snapshot(block))
    model.objects.filter(pk__in=[block.pk for block in blocks]).delete()
    deltas = {
        counter: -sum(getattr(block, field) for block in blocks)
        for counter, field in counters.items()
    }
    move_counters(user=user, dataset=dataset, deltas=deltas)
    return len(blocks)
