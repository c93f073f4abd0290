"""A throwaway fedcat site for the benches that drive one over HTTP (load.py, fuzz.py).

The three steps every such bench repeats: migrate and load the demo into a new database, wait
until a started server answers, and stop its whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_load(env: dict) -> float:
    """`migrate` and `load_demo --force` with `env`; returns the seconds they took."""
    started = time.monotonic()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "load_demo", "--force"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.monotonic() - started


def wait_until_answers(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Returns once GET `url` answers 200; exits with the log's tail if `process` ends first or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[-1]} exited with {process.returncode}\n{_tail(log)}")
        with (
            contextlib.suppress(OSError, urllib.error.HTTPError),
            urllib.request.urlopen(url, timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    sys.exit(f"{url} did not answer 200 within {timeout:g} s\n{_tail(log)}")


def process_group_stop(process: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM to the process group `process` leads (started with start_new_session=True), then
    SIGKILL to what is left after `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
