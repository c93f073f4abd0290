"""Celery tasks of the search: thin, they call search.indexing.

apply_outbox retries on any error (the index locked by another writer, an engine that is down)
with backoff; the outbox rows stay until a run succeeds, so nothing is lost by giving up.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
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
