"""Recording dataset changes for the search index, inside the caller's transaction.

The catalogue services call ``record(dataset, "upsert")`` after a create or update,
``record(dataset, "delete")`` before a delete and ``record_many(pids, "upsert")`` after a bulk
create. The row commits or rolls back with the change; one ``apply_outbox`` task is sent per
transaction, after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import IndexOperation, IndexOutbox

__all__ = ["record", "record_many"]


def record(dataset, operation: str) -> IndexOutbox:
    """Notes that `dataset` (a Dataset or a pid) changed; the index follows after the commit."""
    pid = dataset if isinstance(dataset, str) else dataset.pid
    row = IndexOutbox.objects.create(dataset_pid=pid, operation=IndexOperation(operation))
    _schedule()
    return row


def record_many(pids: Iterable[str], operation: str) -> int:
    operation = IndexOperation(operation)
    rows = [IndexOutbox(dataset_pid=pid, operation=operation) for pid in pids]
    IndexOutbox.objects.bulk_create(rows, batch_size=1000)
    if rows:
        _schedule()
    return len(rows)


def _send() -> None:
    from .tasks import apply_outbox

    apply_outbox.delay()


def _schedule() -> None:
    """apply_outbox after the commit, once per transaction. robust: a broker that is down must
    not fail a write that committed; the rows wait for the next task (or the beat job)."""
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if connection.in_atomic_block and any(entry[1] is _send for entry in pending):
        return
    transaction.on_commit(_send, robust=True)
