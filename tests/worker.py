"""A real Celery worker process for tests, on the test database and a queue of its own.

The worker gets the test process's FEDCAT_DATA_DIR and CELERY_BROKER_URL (so the filesystem
broker's folders or the Redis server are shared) and a DATABASE_URL naming the *test* database,
which is why SQLite tests use a database file rather than :memory:. Each session gets its own
queue name, so stray messages of other runs or of a developer's worker never reach it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from celery.utils.nodenames import host_format
from django.conf import settings
from django.db import connection
from kombu import Exchange, Queue

READY_TIMEOUT = 30.0
TASK_TIMEOUT = 15.0


def worker_database_url() -> str:
    """A DATABASE_URL for the test database this process is using (call after db setup)."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(params['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(params.get("USER") or "", safe="")
        password = quote(params.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = params.get("HOST") or "localhost"
        port = f":{params['PORT']}" if params.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(params['NAME'], safe='')}"
    raise RuntimeError(f"no worker support for the {connection.vendor} test database")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, log=None):
    """Polls `predicate` until it returns something truthy; fails with the worker log if not."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            tail = log() if log else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{tail}")
        time.sleep(0.05)


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path, queue: str):
        self.process = process
        self.log_path = log_path
        self.queue = queue

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- worker log ({self.log_path}) ---\n{text[-8000:]}"

    def wait_for(self, predicate: Callable[[], object], what: str, timeout: float = TASK_TIMEOUT):
        return wait_for(predicate, timeout=timeout, what=what, log=self.log)


def _discard_queues(app, name: str, hostname: str) -> None:
    """Drops the worker's queue with any message left in it, and the bindings of that queue and
    of the killed worker's control queue (Redis keeps bindings as keys until deleted)."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in (
            Queue(name, Exchange(name, type="direct"), routing_key=name),
            app.control.mailbox.get_queue(hostname),
        ):
            bound = queue(channel)
            bound.declare()
            bound.purge()
            bound.delete()
    folder = (app.conf.broker_transport_options or {}).get("control_folder")
    if app.conf.broker_url.startswith("filesystem://") and folder:
        (Path(folder) / f"{name}.exchange").unlink(missing_ok=True)  # one file per exchange


@contextmanager
def celery_worker(log_dir: Path):
    """Starts `celery -A portal worker` on a fresh queue, routes this process's tasks to it,
    waits until it is ready, and stops it on exit."""
    from portal.celery import app

    queue = f"fedcat-test-{uuid.uuid4().hex[:12]}"
    hostname = host_format(f"{queue}@%h")
    log_path = log_dir / "celery-worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "FEDCAT_DATA_DIR": str(settings.DATA_DIR),
        "CELERY_BROKER_URL": app.conf.broker_url,
        "DATABASE_URL": worker_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker",
        "--pool", "solo", "--concurrency", "1", "--loglevel", "info",
        "--queues", queue, "--hostname", hostname,
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    previous_queue = app.conf.task_default_queue
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log_path, queue)
    try:
        worker.wait_for(
            lambda: process.poll() is not None or " ready." in log_path.read_text(errors="replace"),
            "the Celery worker to be ready",
            timeout=READY_TIMEOUT,
        )
        if process.poll() is not None:
            raise AssertionError(
                f"the Celery worker exited with {process.returncode}\n{worker.log()}"
            )
        app.conf.task_default_queue = queue
        yield worker
    finally:
        app.conf.task_default_queue = previous_queue
        _stop(process)
        _discard_queues(app, queue, hostname)


def _stop(process: subprocess.Popen) -> None:
    """Kills the worker. Each test waited for its own tasks, so none is in hand, and the queue
    is discarded: a warm shutdown would only add seconds (the filesystem broker's loop leaves
    its 2 s poll before it looks at the signal)."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
