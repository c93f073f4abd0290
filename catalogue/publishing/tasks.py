"""Celery tasks of the DOI lifecycle: thin, they take a DOI and own the retry policy.

`doi_sync` registers or updates one DOI (catalogue/services/published/lifecycle.py). Retries
only for what may pass (network errors, timeouts, 409, 429, 5xx: outcome `retry`, and `busy`
while another task holds the record), honouring Retry-After, else exponential backoff with
jitter; a 4xx ends the record in `failed` inside the service and is never retried. A task that
runs out of retries, or dies with its worker, leaves the sync request in place for `doi_sweep`
(beat) to pick up. acks_late + reject_on_worker_lost: a message whose worker process died is
delivered again; the repetition is harmless (PUT upsert, claim lease).
"""

from __future__ import annotations

import logging
import random

from celery import shared_task

log = logging.getLogger(__name__)

MAX_RETRIES = 8
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 600.0


def backoff(retries: int) -> float:
    """5 s, 10 s, 20 s, ... at most 10 minutes, each with up to half of it as jitter."""
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**retries)
    return delay * random.uniform(0.5, 1.0)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    rate_limit="60/m",  # DataCite allows 3,000 per 5 minutes and IP; stay well below
)
def doi_sync(self, doi: str) -> str:
    from catalogue.services.published import published_data_sync

    outcome = published_data_sync(doi=doi)
    if outcome.kind in ("retry", "busy"):
        if self.request.retries >= self.max_retries:
            log.warning("DOI %s: giving up for now (%s); the sweep retries", doi, outcome.message)
            return outcome.kind
        wait = outcome.retry_after
        if wait is None:
            wait = backoff(self.request.retries)
        countdown = min(wait, BACKOFF_MAX_SECONDS)
        raise self.retry(countdown=countdown)
    return outcome.kind


@shared_task
def doi_sweep() -> int:
    """Re-sends DOIs whose registration or update was left behind (beat, every few minutes)."""
    from catalogue.services.published import published_data_sweep

    return published_data_sweep()
