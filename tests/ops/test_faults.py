"""Faults: the site as `scripts/prod.sh` runs it (gunicorn, a Celery worker, beat) on a private
PostgreSQL cluster and Redis server (tests/ops/servers.py), then broken on purpose.

* the worker's pool process is SIGKILLed in the middle of a harvest and of an indexing batch
  (what the kernel's OOM killer does): the task is delivered again and completes; the catalogue
  and the search index hold every record exactly once;
* Redis and PostgreSQL are restarted under the running site: /-/ready reports the outage and
  turns ready again by itself, writes made during a Redis outage reach the index, and no
  request fails once PostgreSQL is back.

The tests of this module share one site and run in order. A DOI registration killed in the
middle is tested with the publishing code (tests/catalogue/publishing).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest

from bench.sites import process_group_stop, prod_script_start, wait_until
from tests.catalogue.harvest.test_ingest import write_fits
from tests.ops.conftest import closed_port
from tests.ops.servers import PostgresCluster, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.worker]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
RECOVERY_TIMEOUT = 150.0  # beat's outbox sweep runs every 60 s
IMAGES = 40
BULK_DATASETS = 6000


class Site:
    def __init__(self, env: dict, process: subprocess.Popen, log: Path, pg, redis):
        self.env, self.process, self.log, self.pg, self.redis = env, process, log, pg, redis
        self.base = f"http://127.0.0.1:{env['PORT']}"
        self.database = f"{pg.url}/fedcat"

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        return self.request("GET", path, timeout=timeout)

    def request(self, method, path, body=None, token=None, timeout=10) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def ready(self) -> dict:
        with suppress(OSError):
            status, body = self.get("/-/ready", timeout=15)
            return {"http": status, **json.loads(body)}
        return {"http": None}

    def wait_ready(self, what: str) -> dict:
        return self.wait(lambda: (state := self.ready())["http"] == 200 and state, what)

    def wait(self, predicate, what: str, timeout: float = RECOVERY_TIMEOUT):
        """What `predicate` returns once it is true; a database down meanwhile is "not yet"."""
        errors = (psycopg.OperationalError,)
        return wait_until(predicate, self.process, self.log, timeout, what, errors=errors)

    def sql(self, query: str, *params):
        with psycopg.connect(self.database, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchone()[0]

    def manage(self, *args: str, code: str | None = None) -> str:
        command = [sys.executable, "manage.py", *args]
        if code is not None:
            command += ["-c", code]
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def manage_async(self, *args: str, code: str) -> subprocess.Popen:
        command = [sys.executable, "manage.py", *args, "-c", code]
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)

    def index_check(self) -> dict:
        code = (
            "import json; from search.indexing import index_check; r = index_check(); "
            "print(json.dumps({'database': r.in_database, 'index': r.in_index, 'ok': r.ok, "
            "'pending': r.pending, 'missing': len(r.missing), 'orphaned': len(r.orphaned)}))"
        )
        return json.loads(self.manage("shell", code=code).strip().splitlines()[-1])

    def pool_process(self) -> int:
        """The pid of the worker's pool process (the one that runs tasks)."""
        workers = [pid for pid in _children(self.process.pid) if b"worker" in _cmdline(pid)]
        main = next(pid for pid in workers if b"celery" in _cmdline(pid))
        (pool,) = _children(main)
        return pool


def _cmdline(pid: int) -> bytes:
    with suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def site():
    pg, redis = PostgresCluster(), RedisServer()
    process = None
    data_dir = Path(tempfile.mkdtemp(prefix="fedcat-faults-"))
    try:
        pg.start()
        redis.start()
        env = {
            **os.environ,
            "FEDCAT_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"{pg.url}/fedcat?connect_timeout=3",
            "CELERY_BROKER_URL": redis.url,
            "PORT": str(closed_port()),
            "GUNICORN_WORKERS": "2",
            "WORKER_CONCURRENCY": "1",
            "ACCESS_LOG": "false",
            "LOG_FORMAT": "text",
        }
        for variable in ("SEARCH_BACKEND", "SEARCH_INDEX_DIR", "CELERY_TASK_ALWAYS_EAGER"):
            env.pop(variable, None)
        log = data_dir / "prod.log"
        process = prod_script_start(env, log)
        running = Site(env, process, log, pg, redis)
        running.wait(lambda: running.ready()["http"] == 200, "the site to be ready", START_TIMEOUT)
        yield running
    finally:
        process_group_stop(process, 45, leader_only=True)
        redis.destroy()
        pg.destroy()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def admin_token(site):
    site.manage(
        "shell",
        code="from django.contrib.auth.models import User; "
        "User.objects.create_superuser('root', 'root@example.org', 'fault-pass')",
    )
    status, body = site.request(
        "POST", "/api/v3/auth/login", {"username": "root", "password": "fault-pass"}
    )
    assert status in (200, 201), body
    return json.loads(body)["id"]


def settled(site: Site) -> dict | None:
    """The index check once the index agrees with the database and nothing is pending."""
    report = site.index_check()
    return report if report["ok"] and report["pending"] == 0 else None


def kill_pool_process(site: Site) -> int:
    pool = site.pool_process()
    os.kill(pool, signal.SIGKILL)
    return pool


def test_harvest_whose_worker_process_is_killed_is_finished_once(site, tmp_path):
    for index in range(IMAGES):
        write_fits(tmp_path / f"night{index // 10}" / f"img{index:04d}.fits", name=f"f{index}")
    start = (
        "from catalogue.harvest.run import run_options; "
        "from catalogue.services.harvest import harvest_run_start; "
        "o = run_options(owner_group='sky', workers=0, batch_size=2, previews=False); "
        f"print(harvest_run_start(user=None, paths=[{str(tmp_path)!r}], options=o).pk)"
    )
    run_id = int(site.manage("shell", code=start).strip().splitlines()[-1])
    committed = "SELECT count(*) FROM catalogue_harvestrecord WHERE dataset_id IS NOT NULL"
    site.wait(lambda: site.sql(committed) >= 4, "the harvest to commit its first datasets", 60)
    killed = kill_pool_process(site)

    status = "SELECT status FROM catalogue_harvestrun WHERE id = %s"
    site.wait(lambda: site.sql(status, run_id) == "finished", "the harvest to finish")

    assert site.sql("SELECT count(*) FROM catalogue_harvestrun") == 1
    assert site.sql(committed) == IMAGES
    assert site.sql("SELECT count(DISTINCT source) FROM catalogue_harvestrecord") == IMAGES
    assert site.sql("SELECT count(*) FROM catalogue_dataset") == IMAGES  # none doubled
    assert site.pool_process() != killed  # the worker replaced its pool process
    report = site.wait(lambda: settled(site), "the index to agree with the database")
    assert report["index"] == IMAGES


def test_indexing_batch_whose_worker_process_is_killed_loses_and_doubles_nothing(site):
    before = site.sql("SELECT count(*) FROM catalogue_dataset")
    create = (
        "from catalogue.access import SYSTEM; "
        "from catalogue.services import dataset_bulk_create; "
        "drafts = ({'type': 'raw', 'owner_group': 'bulk', 'owner': 'B', "
        "'contact_email': 'b@example.org', 'source_folder': f'/bulk/{n}', "
        "'creation_time': '2026-01-01T00:00:00Z', 'principal_investigators': ['B'], "
        "'creation_location': 'here', 'description': f'bulk {n}'} "
        f"for n in range({BULK_DATASETS})); "
        f"dataset_bulk_create(user=SYSTEM, drafts=drafts, batch_size={BULK_DATASETS})"
    )
    applied = "SELECT count(*) FROM search_indexoutbox WHERE applied_at IS NOT NULL"
    already = site.sql(applied)
    # One transaction, so one apply_outbox task for all rows, which the worker applies 500 rows
    # per transaction: kill it after the first of them.
    creating = site.manage_async("shell", code=create)
    site.wait(lambda: site.sql(applied) > already, "the first indexing batch", 120)
    kill_pool_process(site)
    at_kill = site.sql(applied) - already
    assert creating.wait(timeout=60) == 0

    pending = "SELECT count(*) FROM search_indexoutbox WHERE applied_at IS NULL"
    site.wait(lambda: site.sql(pending) == 0, "the outbox to be applied")

    assert 0 < at_kill < BULK_DATASETS  # the kill came in the middle
    report = site.wait(lambda: settled(site), "an index in agreement")
    assert report["database"] == report["index"] == before + BULK_DATASETS


def test_site_recovers_from_a_redis_restart_and_indexes_what_was_written_meanwhile(
    site, admin_token
):
    site.redis.stop()
    down = site.wait(lambda: (r := site.ready())["http"] == 503 and r, "/-/ready to fail", 30)
    dataset = {
        "type": "raw",
        "ownerGroup": "ops",
        "owner": "Ops",
        "contactEmail": "ops@example.org",
        "sourceFolder": "/ops/redis-outage",
        "creationTime": "2026-11-25T10:00:00Z",
        "datasetName": "written while the broker was down",
        "principalInvestigator": "Ops",
        "creationLocation": "here",
    }
    status, body = site.request("POST", "/api/v3/Datasets", dataset, admin_token, timeout=30)
    site.redis.start()

    assert down["checks"]["broker"]["status"].startswith("error")
    assert status in (200, 201), body  # the write does not depend on the broker
    site.wait_ready("/-/ready after Redis came back")
    report = site.wait(lambda: settled(site), "an index in agreement")
    assert report["database"] == report["index"]


def test_site_recovers_from_a_postgres_restart_without_failed_requests(site, admin_token):
    count_before = site.sql("SELECT count(*) FROM catalogue_dataset")
    site.pg.restart()

    # Every gunicorn process held a connection that the restart closed.
    statuses = [site.get("/api/v3/Datasets/count")[0] for _ in range(8)]
    statuses += [site.get("/")[0] for _ in range(4)]
    assert statuses == [200] * len(statuses)
    site.wait_ready("/-/ready after PostgreSQL came back")
    assert site.get("/api/v3/Datasets/count")[0] == 200
    assert site.sql("SELECT count(*) FROM catalogue_dataset") == count_before
