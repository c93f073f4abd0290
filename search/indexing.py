"""Keeping the index in line with the database: apply the outbox, rebuild, check.

Writes to the index happen here only, in the worker (apply_outbox) or in management commands.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from .backends import get_backend
from .documents import BULK_GC_THRESHOLD, DEFERRED, documents_for, iter_documents, version
from .models import IndexOutbox

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # a row failing this often is left for search_check to report
KEEP_APPLIED = timedelta(days=1)
# A rebuild re-applies rows written since it started, and this long before (a transaction that
# began earlier may commit while the rebuild already read past its dataset).
REAPPLY_MARGIN = timedelta(minutes=10)


def index_datasets(pids: Iterable[str], *, backend=None) -> tuple[int, int]:
    """Makes the index agree with the database on these pids: (indexed, deleted)."""
    from catalogue.models import Dataset

    backend = backend or get_backend()
    pids = list(dict.fromkeys(pids))
    documents = documents_for(Dataset.objects.filter(pid__in=pids).defer(*DEFERRED))
    present = {document["pid"] for document in documents}
    gone = [pid for pid in pids if pid not in present]
    if documents:
        backend.index_documents(documents)
    if gone:
        backend.delete(gone)
    return len(documents), len(gone)


@contextmanager
def bulk_gc():
    """Fewer garbage collections while millions of short-lived dicts are made (a third of the
    time of building documents goes to the collector otherwise); restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def pending_pids(*, limit: int = 500) -> list[str] | None:
    """The pids whose changes the index has not applied yet (outbox rows waiting, failed ones
    included), or None when more than `limit` rows wait: the index is catching up."""
    waiting = IndexOutbox.objects.filter(applied_at__isnull=True).order_by("id")
    pids = list(waiting.values_list("dataset_pid", flat=True)[: limit + 1])
    return None if len(pids) > limit else list(dict.fromkeys(pids))


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _apply_rows(rows: list[IndexOutbox], backend) -> int:
    """Applies rows; a failing batch is retried row by row so one bad dataset blocks no other.
    Raises when nothing could be applied (the engine is down: the task retries)."""
    try:
        index_datasets([row.dataset_pid for row in rows], backend=backend)
        done, failed = rows, []
    except Exception as exc:
        logger.warning("indexing a batch of %d failed (%s); trying one by one", len(rows), exc)
        done, failed = [], []
        for row in rows:
            try:
                index_datasets([row.dataset_pid], backend=backend)
                done.append(row)
            except Exception as row_exc:
                failed.append((row, row_exc))
    now = timezone.now()
    IndexOutbox.objects.filter(id__in=[r.id for r in done]).update(applied_at=now, last_error="")
    for row, exc in failed:
        IndexOutbox.objects.filter(id=row.id).update(
            attempts=F("attempts") + 1, last_error=_error(exc)
        )
    if failed and not done:
        raise failed[0][1]
    return len(done)


def outbox_apply(*, batch_size: int = 500, backend=None) -> int:
    """Applies every pending row once (oldest first); returns how many were applied."""
    backend = backend or get_backend()
    pending = IndexOutbox.objects.filter(applied_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    applied, cursor = 0, 0
    while True:
        rows = list(pending.filter(id__gt=cursor).order_by("id")[:batch_size])
        if not rows:
            break
        cursor = rows[-1].id
        applied += _apply_rows(rows, backend)
    IndexOutbox.objects.filter(applied_at__lt=timezone.now() - KEEP_APPLIED).delete()
    return applied


def index_rebuild(
    *,
    backend=None,
    batch_size: int = 500,
    progress: Callable | None = None,
    workers: int = 0,
) -> int:
    """Rebuilds the whole index from the database; returns the number of documents.

    Searches keep using the old index until the new one is complete (where the backend can
    swap). Changes written while the rebuild ran are applied again afterwards, since the
    worker may have applied them to the old index. `workers` processes build the documents
    (documents.iter_documents); 0: this process."""
    backend = backend or get_backend()
    started = timezone.now()

    def documents():
        prepare = backend.prepare if workers > 0 else None
        for document in iter_documents(batch_size=batch_size, workers=workers, prepare=prepare):
            if progress is not None:
                progress(1)
            yield document

    with bulk_gc():
        count = backend.rebuild(documents())
    recent = IndexOutbox.objects.filter(created_at__gte=started - REAPPLY_MARGIN)
    pids = list(dict.fromkeys(recent.order_by("id").values_list("dataset_pid", flat=True)))
    for start in range(0, len(pids), batch_size):
        index_datasets(pids[start : start + batch_size], backend=backend)
    return count


@dataclass
class IndexReport:
    in_database: int = 0
    in_index: int = 0
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    stale: list[str] = field(default_factory=list)  # indexed with another updated_at
    orphaned: list[str] = field(default_factory=list)  # in the index, not in the database
    pending: int = 0  # outbox rows waiting (their pids are in flight, not reported above)
    stuck: int = 0  # outbox rows that failed MAX_ATTEMPTS times

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.orphaned or self.stuck)


def index_check(*, backend=None) -> IndexReport:
    """Compares the index with the database by pid and updated_at."""
    from catalogue.models import Dataset

    backend = backend or get_backend()
    indexed = backend.versions()
    database = {
        pid: version(updated_at)
        for pid, updated_at in Dataset.objects.values_list("pid", "updated_at").iterator(5000)
    }
    waiting = IndexOutbox.objects.filter(applied_at__isnull=True)
    in_flight = set(waiting.values_list("dataset_pid", flat=True))
    report = IndexReport(in_database=len(database), in_index=len(indexed))
    report.pending = waiting.filter(attempts__lt=MAX_ATTEMPTS).count()
    report.stuck = waiting.filter(attempts__gte=MAX_ATTEMPTS).count()
    for pid, updated_at in database.items():
        if pid in in_flight:
            continue
        if pid not in indexed:
            report.missing.append(pid)
        elif indexed[pid] != updated_at:
            report.stale.append(pid)
    report.orphaned = [pid for pid in indexed if pid not in database and pid not in in_flight]
    for found in (report.missing, report.stale, report.orphaned):
        found.sort()
    return report
