"""End to end on real processes: Celery beat sends the policy jobs, a Celery worker runs them,
both on Redis, against the test database. The worker's clock runs six years ahead (its
`timezone.now` is shifted, tests/policies/celery_clock.py), so an embargo that ends in five
years ends for the jobs now, and nobody sleeps until then. The test process keeps the real
time: what it sees public was made public by the job, not by the clock."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from catalogue.models import AccessEvent, AccessRequest, Dataset, EmbargoNotice
from catalogue.services.access_requests import access_request_create, access_request_grant
from search.backends import get_backend, reset_backends
from search.indexing import index_datasets
from tests.factories import make_dataset, make_user
from tests.worker import wait_for, worker_database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CLOCK_DAYS = 6 * 365
TIMEOUT = 60.0


def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/0"


def redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"no Redis at {url}: {exc}")


@contextmanager
def celery_processes(log_dir: Path, mail_dir: Path):
    """A worker (clock shifted) and a beat, on one fresh queue of the Redis broker."""
    url = redis_url()
    redis_or_skip(url)
    queue = f"fedcat-policies-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "FEDCAT_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
        "FEDCAT_TEST_QUEUE": queue,
        "FEDCAT_TEST_MAIL_DIR": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    entry = [sys.executable, "-m", "tests.policies.celery_clock"]
    commands = {
        "worker": [*entry, "worker", "--pool", "solo", "--queues", queue, "--loglevel", "info",
                   "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"],
        "beat": [*entry, "beat", "--loglevel", "info",
                 "--schedule", str(log_dir / "beat-schedule")],
    }  # fmt: skip
    clocks = {"worker": str(CLOCK_DAYS), "beat": "0"}
    processes, logs = {}, {}
    try:
        for name, command in commands.items():
            logs[name] = log_dir / f"{name}.log"
            with open(logs[name], "wb") as out:
                processes[name] = subprocess.Popen(
                    command,
                    cwd=settings.BASE_DIR,
                    env={**env, "FEDCAT_TEST_CLOCK_DAYS": clocks[name]},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        yield lambda: "\n".join(
            f"--- {name} ---\n{path.read_text(errors='replace')[-6000:]}"
            for name, path in logs.items()
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        _discard(url, queue)


def _discard(url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.delete(queue)
    for key in client.scan_iter(f"_kombu.binding.{queue}*"):
        client.delete(key)


def anonymous_get(client: Client, pid: str) -> int:
    return client.get(f"/api/v3/datasets/{quote(pid, safe='')}").status_code


def anonymous_search(client: Client, words: str) -> set[str]:
    get_backend().refresh()
    body = client.get("/api/search/", {"q": words}).json()
    return {hit["pid"] for hit in body.get("hits", [])}


def test_beat_and_worker_release_an_embargo_and_end_an_access_grant(tmp_path, settings):
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    reset_backends()
    now = timezone.now()
    owner = make_user("e2e-olivia", "p-owner")
    reader = make_user("e2e-rita", "elsewhere")
    due = make_dataset(dataset_name="Sapphire lattice", embargo_end=now + timedelta(days=5 * 365))
    soon = make_dataset(
        dataset_name="Ruby lattice",
        embargo_end=now + timedelta(days=CLOCK_DAYS + 10),
        contact_email="ruby@example.org",
    )
    closed = make_dataset(dataset_name="Garnet lattice", embargo_end=None)
    grant = access_request_create(user=reader, dataset=closed)
    access_request_grant(user=owner, request=grant, expires_at=now + timedelta(days=30))
    index_datasets([due.pid, soon.pid, closed.pid])
    client = Client()
    assert anonymous_get(client, due.pid) == 403
    assert anonymous_search(client, "sapphire") == set()
    assert "e2e-rita@example.org" in Dataset.objects.get(pk=closed.pk).shared_with
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()

    with celery_processes(tmp_path, mail_dir) as logs:
        released = Dataset.objects.filter(pk=due.pk, is_published=True)
        wait_for(
            released.exists, timeout=TIMEOUT, what="the beat job to release the embargo", log=logs
        )
        wait_for(
            lambda: anonymous_search(client, "sapphire") == {due.pid},
            timeout=TIMEOUT, what="the search index to show the released dataset", log=logs,
        )  # fmt: skip
        ended = AccessRequest.objects.filter(pk=grant.pk, status="ended")
        wait_for(ended.exists, timeout=TIMEOUT, what="the expired grant to end", log=logs)
        wait_for(
            lambda: EmbargoNotice.objects.filter(dataset=soon).exists(),
            timeout=TIMEOUT, what="the notice of the embargo ending soon", log=logs,
        )  # fmt: skip

    assert anonymous_get(client, due.pid) == 200
    assert anonymous_get(client, soon.pid) == 403  # announced, not released
    assert (
        AccessEvent.objects.filter(subject=due.pid, action="published", actor="system").count() == 1
    )
    assert Dataset.objects.get(pk=closed.pk).shared_with == []
    mails = "\n".join(path.read_text() for path in mail_dir.iterdir())
    assert "Ruby lattice" in mails and "ruby@example.org" in mails
    assert "Sapphire" not in mails  # released, never announced: it was due already
