"""The Celery task of the harvest: executes a stored HarvestRun (see catalogue/harvest/run.py).

Thin: the run's options were checked when it was made (services.harvest.harvest_run_start). A
redelivered task (acks_late, after a worker died) executes the run again, which is safe: the
harvest is idempotent. Finished runs are not repeated. No retries: a failed run says why.
reject_on_worker_lost: when the process running it dies (OOM killer), the message goes back to
the queue at once, so another process finishes the run (tests/ops/test_faults.py).
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def harvest_run(run_id: int) -> str:
    from catalogue.harvest.run import execute, summary
    from catalogue.models import HarvestRun, HarvestRunStatus

    run = HarvestRun.objects.get(pk=run_id)
    if run.status == HarvestRunStatus.FINISHED:
        return summary(run)
    return summary(execute(run))
