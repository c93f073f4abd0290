"""A bad number in the environment stops start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    """Imports the settings in a fresh interpreter with `env` added."""
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=REPO,
        env={**os.environ, "FEDCAT_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("many", "SEARCH_FACET_CACHE must be a whole number, got 'many'"),
        ("-1", "SEARCH_FACET_CACHE must be at least 0, got -1"),
    ],
)
def test_a_bad_number_names_the_variable(tmp_path, value, message):
    done = start(tmp_path, SEARCH_FACET_CACHE=value)

    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_good_numbers_and_blanks_start(tmp_path):
    assert start(tmp_path, SEARCH_FACET_CACHE="0").returncode == 0
    assert start(tmp_path, SEARCH_FACET_CACHE=" ").returncode == 0
