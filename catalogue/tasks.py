"""Celery tasks of the catalogue: thin wrappers that take ids and call services.

Services schedule these with `delay_on_commit`, so nothing runs on data that was rolled back.
None of them talks to the network, so none retries: a failure is a bug to see in the log.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

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


# Celery autodiscovers only tasks.py; the harvest task lives beside its package.
from catalogue.tasks_harvest import harvest_run  # noqa: E402, F401
