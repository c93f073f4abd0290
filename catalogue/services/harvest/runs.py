"""Harvest runs, and the writes that touch sources without extracting them: removals, checksums."""

from __future__ import annotations

from django.db import transaction

from catalogue.access import SYSTEM
from catalogue.models import DataFile, HarvestRecord, HarvestRun, HarvestState, OrigDatablock

from ..datasets import dataset_update


@transaction.atomic
def harvest_run_create(*, user, paths: list[str], options: dict) -> HarvestRun:
    from ..common import actor_name

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
