"""Fuzzing in the suite: bench/fuzz.py with a small budget against a live site of its own.

bench/fuzz.py starts gunicorn with production settings on a throwaway database holding the demo
catalogue and runs schemathesis against the SciCat and the PaNOSC OpenAPI documents, anonymous
and with an admin token. Here it generates a few examples per operation (about 500 requests);
`make fuzz` runs the full budget (over 5,000). Under a PostgreSQL DATABASE_URL the site gets a
database of its own on that server, created and dropped by the script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

ROOT = Path(__file__).resolve().parents[2]


def test_fuzzing_both_apis_finds_no_server_error_and_no_schema_violation(tmp_path):
    summary_file = tmp_path / "summary.json"
    command = [
        sys.executable, "bench/fuzz.py", "--examples", "2", "--phases", "fuzzing",
        "--json", str(summary_file), "--report-dir", str(tmp_path / "reports"),
    ]  # fmt: skip
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        server = database_url.rsplit("/", 1)[0]
        command += ["--database-url", f"{server}/fedcat_fuzz_{uuid.uuid4().hex[:8]}"]

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)

    output = done.stdout[-3000:] + done.stderr[-3000:]
    assert summary_file.exists(), output
    summary = json.loads(summary_file.read_text())
    assert set(summary["runs"]) == {
        "scicat-anonymous",
        "scicat-admin",
        "panosc-anonymous",
        "panosc-admin",
    }
    assert summary["requests"] >= 300, output
    assert summary["server_errors"] == 0, output
    assert summary["failures"] == {}, output  # every answer as its schema says
    assert summary["errors"] == {}, output
    assert done.returncode == 0, output
