"""Three fedcat sites with different data, each a gunicorn process on its own loopback port
with its own FEDCAT_DATA_DIR and SQLite database, each federating the other two.

``python -m tests.search.federation.sites prepare <root>`` migrates one template database,
then copies it for each site and fills it through the services, indexes it, and prints the API
token of each site's keeper (who may read the site's private dataset). Starting the three
sites thus costs one Django start and migration, and three gunicorn starts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SHARED = "10.5555/shared-lysozyme"
SITES: dict[str, list[tuple[str, str, str]]] = {  # name: [(pid, title, creation time)]
    "alpha": [
        ("alpha/1", "Lysozyme crystal structure at 100 K", "2025-03-10T00:00:00Z"),
        ("alpha/2", "Lysozyme lysozyme soak series", "2024-05-01T00:00:00Z"),
        ("alpha/3", "Ferritin cage", "2023-01-01T00:00:00Z"),
        (SHARED, "Shared lysozyme reference", "2022-06-01T00:00:00Z"),
    ],
    "beta": [
        ("beta/1", "Lysozyme powder diffraction", "2025-06-01T00:00:00Z"),
        ("beta/2", "Insulin crystals", "2024-02-01T00:00:00Z"),
        (SHARED, "Shared lysozyme reference", "2022-06-01T00:00:00Z"),
    ],
    "gamma": [
        ("gamma/1", "Lysozyme small-angle scattering", "2025-01-01T00:00:00Z"),
        ("gamma/2", "Lysozyme NMR lysozyme relaxation", "2023-09-01T00:00:00Z"),
        ("gamma/3", "Myoglobin", "2021-04-01T00:00:00Z"),
    ],
}
STARTUP_SECONDS = 60


def secret_pid(name: str) -> str:
    return f"{name}/secret"


# --- the preparing process -------------------------------------------------------------------
def prepare(root: Path) -> None:
    """Migrates a template database once, then for each site copies it, seeds it through the
    services and indexes it, switching the database connection and the index between sites.
    Prints {site: keeper token} as one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from search.backends import reset_backends

    template = Path(settings.DATABASES["default"]["NAME"])
    call_command("migrate", interactive=False, verbosity=0)
    tokens = {}
    for name in SITES:
        site_dir = root / name
        site_dir.mkdir(parents=True, exist_ok=True)
        connection.close()
        shutil.copy(template, site_dir / "fedcat.sqlite3")
        connection.settings_dict["NAME"] = str(site_dir / "fedcat.sqlite3")
        settings.SEARCH_INDEX_DIR = site_dir / "search-index"
        reset_backends()
        tokens[name] = _seed(name)
    connection.close()
    print(json.dumps(tokens))


def _seed(name: str) -> str:
    from catalogue.access import SYSTEM
    from catalogue.services import dataset_create, token_issue
    from search.indexing import index_datasets
    from tests.factories import dataset_data, make_user

    rows = [(pid, title, when, True) for pid, title, when in SITES[name]]
    rows.append((secret_pid(name), f"Lysozyme secret of {name}", "2026-10-01T00:00:00Z", False))
    for pid, title, when, public in rows:
        data = dataset_data(
            pid=pid,
            dataset_name=title,
            creation_time=when,
            is_published=public,
            owner_group=f"{name}-team",
            description=f"Held at {name}.",
        )
        dataset_create(user=SYSTEM, data=data)
    index_datasets(pid for pid, *_ in rows)
    keeper = make_user(f"keeper-{name}", f"{name}-team")
    return token_issue(user=keeper)[0]


# --- in the test process ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    def __init__(self, name: str, root: Path, port: int):
        self.name = name
        self.data_dir = root / name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.token = ""
        self.process: subprocess.Popen | None = None
        self.log = root / f"{name}.log"

    def env(self, partners: list[Site]) -> dict:
        entries = [{"name": p.name, "type": "fedcat", "url": p.url, "timeout": 5} for p in partners]
        return {
            **os.environ,
            "FEDCAT_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": f"sqlite:///{self.data_dir / 'fedcat.sqlite3'}",
            "SEARCH_BACKEND": "search.backends.tantivy_backend.TantivyBackend",
            "SEARCH_INDEX_DIR": str(self.data_dir / "search-index"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "FEDERATION_PARTNERS": json.dumps(entries),
            "FEDERATION_ALLOWED_HOSTS": "127.0.0.1",
            "FEDERATION_CACHE_SECONDS": "0",
            "SITE_NAME": f"{self.name.title()} catalogue",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "true",
        }

    def start(self, partners: list[Site]) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
                cwd=REPO,
                env=self.env(partners),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"site {self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/-/live", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"site {self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        if self.process:
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_sites(root: Path) -> dict[str, Site]:
    template = root / "template"
    env = {**os.environ, "FEDCAT_DATA_DIR": str(template)}
    env["DATABASE_URL"] = f"sqlite:///{template / 'fedcat.sqlite3'}"
    prepared = subprocess.run(
        [sys.executable, "-m", "tests.search.federation.sites", "prepare", str(root)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the sites failed:\n{prepared.stderr[-3000:]}")
    tokens = json.loads(prepared.stdout.strip().splitlines()[-1])
    sites = {name: Site(name, root, free_port()) for name in SITES}
    try:
        for site in sites.values():
            site.token = tokens[site.name]
            site.start([other for other in sites.values() if other is not site])
        for site in sites.values():
            site.wait_until_ready()
    except Exception:
        stop_sites(sites)
        raise
    return sites


def stop_sites(sites: dict[str, Site]) -> None:
    for site in sites.values():  # all at once, then wait
        if site.process and site.process.poll() is None:
            site.process.send_signal(signal.SIGINT)
    for site in sites.values():
        site.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        prepare(Path(sys.argv[2]))
