"""A gunicorn site serving one dataset's files, for tests/portal/test_download_gunicorn.py.

``python -m tests.portal.download_server <folder>`` (with FEDCAT_DATA_DIR, DATABASE_URL and
DOWNLOAD_ROOTS set) migrates the site's database, catalogues the folder's files (FILES, in
that order) as a published dataset, gives a user an API token and has them accept the
dataset's licence, and prints {"pid", "token", "ids": [file ids]} as one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from bench.sites import wait_until_answers

REPO = Path(__file__).resolve().parents[2]
NAME = "Gunicorn run"  # the zip's folder: gunicorn-run/
FILES = ["big.bin", "sub/edge.bin", "notes.txt"]


def prepare(folder: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command

    from catalogue.access import SYSTEM
    from catalogue.services import origdatablock_add, token_issue
    from portal.downloads.records import licence_accept
    from tests.factories import make_dataset, make_user

    call_command("migrate", interactive=False, verbosity=0)
    dataset = make_dataset(
        dataset_name=NAME, source_folder=folder, is_published=True, license="CC-BY-4.0"
    )
    sizes = [os.path.getsize(os.path.join(folder, path)) for path in FILES]
    block = origdatablock_add(
        user=SYSTEM,
        dataset=dataset,
        files=[{"path": path, "size": size} for path, size in zip(FILES, sizes, strict=True)],
    )
    user = make_user("dora", "p-downloads")
    licence_accept(user=user, session={}, dataset=dataset, ip=None)
    ids = list(block.files.order_by("id").values_list("id", flat=True))
    print(json.dumps({"pid": dataset.pid, "token": token_issue(user=user)[0], "ids": ids}))


# --- in the test process ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_env(data_dir: Path, root: Path) -> dict:
    return {
        **os.environ,
        "FEDCAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'fedcat.sqlite3'}",
        "DOWNLOAD_ROOTS": str(root),
        "DOWNLOAD_X_ACCEL_PREFIX": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }


def prepare_site(data_dir: Path, root: Path, folder: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.portal.download_server", str(folder)],
        cwd=REPO,
        env=site_env(data_dir, root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"preparing the site failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Gunicorn:
    """gunicorn with the site's gunicorn.conf.py, one worker of `worker_class` ("sync", or
    gthread, which keeps connections alive) with `threads` threads; `env` adds settings."""

    def __init__(
        self, data_dir: Path, root: Path, threads: int, worker_class: str = "gthread", **env
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / f"gunicorn-{worker_class}-{threads}-{self.port}.log"
        env = {**site_env(data_dir, root), **env}
        env.update(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_WORKERS="1",
            GUNICORN_THREADS=str(threads),
            GUNICORN_WORKER_CLASS=worker_class,
        )
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, seconds: float = 60) -> None:
        wait_until_answers(self.url + "/-/live", self.process, self.log, seconds)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


if __name__ == "__main__":
    prepare(sys.argv[1])
