"""A harvest killed (SIGKILL) in the middle, then run again, equals one that was never stopped."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from catalogue.harvest.run import harvest
from catalogue.models import DataFile, Dataset, HarvestRecord, HarvestRun

from .test_ingest import write_fits, write_nexus, write_series_member

REPO = Path(__file__).resolve().parents[3]
IMAGES = 60
KILL_AFTER = 3  # datasets committed before the kill


def database_url() -> str:
    """The test database, for a manage.py started by the test (SQLite's is a file)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


def make_night(root: Path) -> Path:
    for index in range(IMAGES):
        write_fits(root / f"night{index // 20}" / f"img{index:04d}.fits", name=f"field {index}")
    write_nexus(root / "scan.nxs")
    for iteration in (1, 2):
        write_series_member(root / "sim", iteration)
    return root


def harvested(root: Path) -> dict[str, tuple]:
    """{source relative to root: (dataset name, number of file rows)} of the harvested sources."""
    records = HarvestRecord.objects.filter(source__startswith=f"{root}/", dataset__isnull=False)
    return {
        os.path.relpath(r.source, root): (
            r.dataset.dataset_name,
            DataFile.objects.filter(dataset=r.dataset).count(),
        )
        for r in records.select_related("dataset")
    }


def committed() -> int:
    return HarvestRecord.objects.filter(dataset__isnull=False).count()


@pytest.mark.django_db(transaction=True)
def test_a_killed_harvest_run_again_matches_an_uninterrupted_one(tmp_path):
    killed_tree = make_night(tmp_path / "killed")
    whole_tree = tmp_path / "whole"
    shutil.copytree(killed_tree, whole_tree)
    command = [sys.executable, "manage.py", "harvest", str(killed_tree), "--owner-group", "sky"]
    command += ["--workers", "0", "--batch-size", "2", "--no-previews"]
    worker = subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while committed() < KILL_AFTER and worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read().decode()[-2000:]
    at_kill = committed()
    half_written = Dataset.objects.filter(harvest_record__isnull=True).count()

    rerun = harvest([killed_tree], owner_group="sky", workers=0, previews=False)
    harvest([whole_tree], owner_group="sky", workers=0, previews=False)

    sources = IMAGES + 2
    assert KILL_AFTER <= at_kill < sources  # the kill came in the middle of the run
    assert half_written == 0
    assert rerun.new == sources - at_kill and rerun.unchanged == at_kill
    assert harvested(killed_tree) == harvested(whole_tree)
    assert len(harvested(killed_tree)) == sources
    assert Dataset.objects.count() == 2 * sources  # no duplicates
    assert HarvestRun.objects.filter(status="interrupted").count() == 1
