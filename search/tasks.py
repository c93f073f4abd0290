"""Celery tasks of the search: thin, they call search.indexing.

apply_outbox retries on any error (the index locked by another writer, an engine that is down)
with backoff; the outbox rows stay until a run succeeds, so nothing is lost by giving up.
reject_on_worker_lost: a run whose process died (OOM killer) is delivered again at once rather
than waiting for beat's next sweep; applying rows twice is harmless (upserts by pid).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def apply_outbox() -> int:
    """Applies the pending outbox rows to the index; returns how many."""
    from search.indexing import outbox_apply

    return outbox_apply()
