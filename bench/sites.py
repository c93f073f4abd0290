"""A throwaway fedcat site, for the benches that drive one over HTTP and for the ops tests.

The steps every such bench or test repeats: migrate and load the demo into a new database, start
scripts/prod.sh, wait until a started server answers (or anything else is true), and stop its
whole process group. Standard library only, so the tests import it too (`bench.sites`).
"""

from __future__ import annotations

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


def prod_script_start(env: dict, log: Path) -> subprocess.Popen:
    """scripts/prod.sh (gunicorn, a Celery worker and beat) with `env`, its output in `log`, as
    the leader of a new process group."""
    with open(log, "wb") as output:
        return subprocess.Popen(
            ["bash", "scripts/prod.sh"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until(
    check,
    process: subprocess.Popen,
    log: Path | None,
    timeout: float,
    what: str,
    *,
    errors=(OSError,),
):
    """Calls `check()` until it returns something true, and returns that; `errors` it raises
    count as "not yet". Exits with the log's tail if `process` ends first or `timeout` seconds
    pass (pytest reports that exit as the test's failure)."""
    deadline = time.monotonic() + timeout
    last = "nothing yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            command = " ".join(str(arg) for arg in process.args)
            sys.exit(f"{command} exited with {process.returncode}\n{_tail(log)}")
        try:
            result = check()
        except errors as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return result
            last = repr(result)
        time.sleep(0.3)
    sys.exit(f"timed out after {timeout:g} s waiting for {what} (last: {last})\n{_tail(log)}")


def wait_until_answers(
    url: str, process: subprocess.Popen, log: Path | None, timeout: float
) -> bytes:
    """The body of GET `url` once it answers 200 (see wait_until)."""

    def answer() -> list[bytes] | None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return [response.read()] if response.status == 200 else None
        except urllib.error.HTTPError as error:  # its body says why (/-/ready names the check)
            raise OSError(f"HTTP {error.code} {error.read()[:1000]!r}") from None

    (body,) = wait_until(answer, process, log, timeout, f"{url} to answer 200")
    return body


def process_group_stop(
    process: subprocess.Popen | None, timeout: float, *, leader_only: bool = False
) -> bool:
    """SIGTERM to the process group `process` leads (started with start_new_session=True), or
    with `leader_only` to `process` alone (prod.sh stops what it started); SIGKILL to the whole
    group if `process` has not exited after `timeout` seconds. False when it had to kill."""
    if process is None or process.poll() is not None:
        return True
    if leader_only:
        process.send_signal(signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False
    return True


def _tail(log: Path | None) -> str:
    if log is None:
        return "(its output is above)"
    return log.read_text(errors="replace")[-6000:] if log.exists() else "(no log)"
