"""The harvest run: scan, identify, plan, extract (in workers), write, mark removed, checksums.

``harvest(paths, **options)`` makes a HarvestRun and executes it here (stages.py); the task
``harvest_run(run_id)`` executes a stored run. Workers only read files (ingest.py, checksums.py);
this process does every database write, through catalogue.services.harvest, committing
``batch_size`` sources per transaction, a failure costing one source only. See
docs/harvest.md for the options, the mapping and what each outcome means.
"""

from __future__ import annotations

import os
import socket

from django.conf import settings
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.models import HarvestRun, HarvestRunStatus

from . import checksums
from .mapping import GROUP_BY, MappingError, read
from .pool import default_workers
from .stages import Harvest, HarvestError

__all__ = ["BATCH_SIZE", "HarvestError", "execute", "harvest", "run_options", "summary"]

# Sources per transaction. Each batch costs about 25 statements and 10 ms of its own (on
# PostgreSQL) whatever its size: at 50 sources that was a fifth of the writing. A kill loses at
# most the open batch, which is also committed at least every second (batches.py).
BATCH_SIZE = 200


def run_options(
    *,
    owner_group: str = "",
    mapping_file: str = "",
    group_by: str = "",
    workers: int | None = None,
    checksums_on: bool = True,
    checksum_alg: str = checksums.DEFAULT_ALGORITHM,
    previews: bool = True,
    batch_size: int = BATCH_SIZE,
) -> dict:
    """A run's options, checked; the mapping file is read now and stored with the run."""
    mapping_file = mapping_file or getattr(settings, "HARVEST_MAPPING_FILE", "") or ""
    try:
        mapping = read(mapping_file) if mapping_file else None
        alg = checksums.algorithm(checksum_alg)
    except (MappingError, ValueError) as exc:
        raise HarvestError(str(exc)) from exc
    if group_by and group_by not in GROUP_BY:
        raise HarvestError(f"group_by must be one of {', '.join(GROUP_BY)}")
    return {
        "owner_group": owner_group,
        "mapping_file": str(mapping_file),
        "mapping": mapping,
        "group_by": group_by,
        "workers": default_workers() if workers is None else max(0, int(workers)),
        "checksums": bool(checksums_on),
        "checksum_alg": alg,
        "previews": bool(previews),
        "batch_size": max(1, int(batch_size)),
    }


def harvest(paths, *, user=SYSTEM, progress: bool = False, **options) -> HarvestRun:
    """Harvests `paths` now, in this process (and its workers); returns the finished run."""
    from catalogue.services.harvest import harvest_run_create

    roots = [os.path.abspath(p) for p in paths]
    run = harvest_run_create(user=user, paths=roots, options=run_options(**options))
    return execute(run, progress=progress)


def execute(run: HarvestRun, *, progress: bool = False) -> HarvestRun:
    """Executes a stored run; a run-level problem ends it as "failed" with the reason."""
    from catalogue.services.harvest import harvest_run_update

    _mark_interrupted()
    harvest_run_update(
        run=run,
        status=HarvestRunStatus.RUNNING,
        started_at=timezone.now(),
        host=socket.gethostname()[:255],
        pid=os.getpid(),
    )
    try:
        Harvest(run, progress).go()
    except HarvestError as exc:
        harvest_run_update(
            run=run, status=HarvestRunStatus.FAILED, error=str(exc), finished_at=timezone.now()
        )
    except BaseException as exc:
        harvest_run_update(
            run=run,
            status=HarvestRunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        raise
    return run


def _mark_interrupted() -> None:
    """Runs left "running" by a process of this host that no longer exists were killed."""
    from catalogue.services.harvest import harvest_run_update

    stale = HarvestRun.objects.filter(status=HarvestRunStatus.RUNNING, host=socket.gethostname())
    for run in stale:
        if not run.pid or not _alive(run.pid):
            harvest_run_update(run=run, status=HarvestRunStatus.INTERRUPTED, error="process died")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def summary(run: HarvestRun) -> str:
    seconds = run.seconds or 0.0
    rate = run.files / seconds if seconds else 0.0
    counts = ", ".join(
        f"{getattr(run, name)} {name}"
        for name in ("new", "updated", "unchanged", "failed", "skipped", "removed")
    )
    text = f"harvest {run.pk} {run.status}: {counts}; {run.files} files in {seconds:.1f} s"
    text += f" ({rate:.0f} files/s)"
    if run.options.get("checksums"):
        text += f"; {run.checksummed} checksums ({run.options.get('checksum_alg')})"
    return text + (f"\n  error: {run.error}" if run.error else "")
