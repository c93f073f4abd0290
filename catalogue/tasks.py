"""Celery tasks of the catalogue: thin wrappers that take ids and call services.

Services schedule these with `delay_on_commit`, so nothing runs on data that was rolled back.
Only the e-mail task talks to the network, so only it retries: any other failure is a bug to
see in the log.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

HEARTBEAT_FILE = "worker-heartbeat"


@shared_task
def dataset_recount(dataset_id: int) -> None:
    """Recomputes a dataset's size and number of files from its datablocks."""
    from catalogue.services import dataset_recount as recount

    recount(dataset_id=dataset_id)


@shared_task
def worker_heartbeat() -> str:
    """Records that a worker is alive: the current UTC time in FEDCAT_DATA_DIR/worker-heartbeat.

    The file is replaced atomically, so a reader (the readiness check) never sees half a line.
    """
    now = datetime.now(UTC).isoformat()
    target = heartbeat_path()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{HEARTBEAT_FILE}-")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes it 0600; the web process may be another user
        with os.fdopen(handle, "w") as stream:
            stream.write(now + "\n")
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return now


def heartbeat_path() -> Path:
    """Where the worker's heartbeat is written (readiness checks read it)."""
    return settings.DATA_DIR / HEARTBEAT_FILE


# --- Data policies (docs/policies.md) -------------------------------------------------------------


@shared_task
def embargo_release_due() -> dict:
    """Beat job: publishes datasets whose embargo ended, then tells owners of those ending soon.
    Idempotent; a failed notice run leaves no trace and is tried again on the next beat."""
    from catalogue.services.embargo import embargo_notices_send
    from catalogue.services.embargo import embargo_release_due as release

    return {"released": release(), "announced": embargo_notices_send()}


@shared_task
def access_grants_expire() -> int:
    """Beat job: ends the access grants whose expiry has passed."""
    from catalogue.services.access_requests import access_grants_expire as expire

    return expire()


@shared_task
def embargo_recompute(owner_group: str | None = None, proposal_id: str | None = None) -> int:
    """Moves the embargoes that follow a policy or proposal whose embargo period changed."""
    from catalogue.services.policies import embargo_recompute as recompute

    return recompute(owner_group=owner_group, proposal_id=proposal_id)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def access_request_notify(request_id: int, event: str) -> int:
    """E-mails the people an access-request event concerns; retried while the mail server
    is unreachable."""
    from catalogue.policies.mail import access_request_mail

    return access_request_mail(request_id, event)


# Celery autodiscovers only tasks.py; the harvest and DOI tasks live beside their packages.
from catalogue.publishing.tasks import doi_sweep, doi_sync  # noqa: E402, F401
from catalogue.tasks_harvest import harvest_run  # noqa: E402, F401
