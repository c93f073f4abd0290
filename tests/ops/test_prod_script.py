"""scripts/prod.sh end to end: gunicorn, a Celery worker and beat against this machine's
PostgreSQL and Redis, on a free port, with a throwaway database, Redis db and data dir.

Skipped when PostgreSQL or Redis is not running (CI starts both).
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
import uuid
from contextlib import closing, suppress
from pathlib import Path

import psycopg
import pytest
import redis

from bench.sites import process_group_stop, prod_script_start, wait_until_answers
from tests.ops.conftest import closed_port, sample

PG = "postgres://postgres@127.0.0.1:5432"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 45.0

pytestmark = pytest.mark.slow


def free_redis_db() -> int:
    """An empty Redis database number (the script's queue, results and beat state go there)."""
    for number in range(15, 0, -1):
        client = redis.Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2)
        if client.dbsize() == 0:
            return number
    pytest.skip("no empty Redis database")


@pytest.fixture
def services():
    try:
        with closing(socket.create_connection(("127.0.0.1", 5432), timeout=2)):
            pass
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"PostgreSQL and Redis are needed on 127.0.0.1: {exc}")
    database = f"fedcat_prod_smoke_{uuid.uuid4().hex[:8]}"
    redis_db = free_redis_db()
    yield f"{PG}/{database}", f"redis://127.0.0.1:6379/{redis_db}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()


def get(url: str, timeout: float = 10) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def processes_with_data_dir(data_dir: Path) -> list[int]:
    """Pids of processes whose environment names `data_dir` (prod.sh and all it started)."""
    marker = f"FEDCAT_DATA_DIR={data_dir}\0".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with suppress(OSError):
            if marker in environ.read_bytes():
                found.append(int(environ.parent.name))
    return found


def test_prod_script_serves_the_site_and_stops_everything(services, tmp_path):
    database_url, broker_url = services
    port = closed_port()
    log = tmp_path / "prod.log"
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "FEDCAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "PORT": str(port),
        "GUNICORN_WORKERS": "2",
        "WORKER_CONCURRENCY": "1",
    }
    process = prod_script_start(env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = json.loads(wait_until_answers(f"{base}/-/ready", process, log, START_TIMEOUT))
        home_status, home, home_headers = get(f"{base}/")
        metrics_status, metrics, _ = get(f"{base}/metrics")
        missing_status, missing, _ = get(f"{base}/-/no-such-page")
        assert processes_with_data_dir(data_dir)  # the check below can see them
    finally:
        # SIGTERM to prod.sh alone: it has to stop what it started by itself.
        stopped = process_group_stop(process, STOP_TIMEOUT, leader_only=True)
        assert stopped, f"prod.sh did not stop within {STOP_TIMEOUT:g} s"

    assert {name: check["status"] for name, check in ready["checks"].items()} == {
        "database": "ok",
        "broker": "ok",
        "search": "ok",
        "worker": "ok",
    }
    assert home_status == 200 and b"fedcat" in home
    assert metrics_status == 200
    # The worker's task count reaches the web's /metrics through the shared multiprocess dir.
    heartbeat = {"task": "catalogue.tasks.worker_heartbeat", "outcome": "success"}
    assert sample(metrics.decode(), "fedcat_celery_tasks_total", **heartbeat) >= 1
    # Production settings: DEBUG off, a generated key kept in the data dir, JSON access logs.
    assert missing_status == 404 and b"URLconf" not in missing
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0
    access = [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"fedcat.access"' in line
    ]
    assert home_headers["X-Request-ID"] in {line.get("request_id") for line in access}
    assert process.returncode == 143  # stopped by SIGTERM, after stopping its children
    assert processes_with_data_dir(data_dir) == []
