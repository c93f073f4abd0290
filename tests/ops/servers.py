"""Throwaway PostgreSQL and Redis servers for the fault tests, on free loopback ports.

The machine's own PostgreSQL and Redis are shared with everyone else's tests: restarting them
would break those. These are private, in a temporary directory, and can be stopped, killed and
restarted at will. PostgreSQL refuses to run as root, so as root the cluster runs as the
`postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import pytest

from tests.ops.conftest import closed_port


def _postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


class PostgresCluster:
    """`initdb` + `pg_ctl` on a port of its own; trust authentication, fsync off."""

    def __init__(self):
        bin_dir = _postgres_bin()
        if bin_dir is None or not shutil.which("redis-server"):
            pytest.skip("needs PostgreSQL's initdb/pg_ctl and redis-server installed")
        self.bin = bin_dir
        self.port = closed_port()
        self.root = Path(tempfile.mkdtemp(prefix="fedcat-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._as = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres user to run a cluster as")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as, str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )

    def start(self) -> None:
        options = ["-l", str(self.log), "-o", self._options()]
        self._run("pg_ctl", "-D", str(self.data), *options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        options = ["-l", str(self.log), "-m", "fast", "-o", self._options()]
        self._run("pg_ctl", "-D", str(self.data), *options, "-w", "restart")

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """redis-server with an append-only file, as in production, so a restart keeps the queue."""

    def __init__(self):
        self.port = closed_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fedcat-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.dir), "--appendonly", "yes", "--save", "",
            "--appendfsync", "always", "--logfile", str(self.dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise AssertionError(f"redis-server on {self.port} did not start")

    def stop(self) -> None:
        """SIGTERM: redis-server flushes the append-only file and exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def destroy(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
