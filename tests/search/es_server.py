"""An OpenSearch-compatible server for the Elasticsearch backend's tests: osmem-server (PyPI),
in memory, on a free loopback port, one process for the whole test session.

Test modules import the fixtures (``from .es_server import es_url``). Without osmem-server the
tests that need it are skipped, saying so. Each test uses its own index prefix (``es_prefix``),
and its indices are deleted afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

STARTUP_SECONDS = 30


class OsmemProcess:
    """``osmem-server --addr 127.0.0.1:0`` as a child process; it prints its URL once ready
    and exits when its standard input closes or this process goes away."""

    def __init__(self, binary: str):
        # its messages, shown if it fails to start
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            [binary, "--addr", "127.0.0.1:0", "--no-ja", "--parent-pid", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.url = self._announced_url()
        self._wait_until_it_answers()

    def _announced_url(self) -> str:
        found: list[str] = []

        def read():
            for line in self.process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict) and "url" in message:
                    found.append(message["url"])
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(STARTUP_SECONDS)
        if not found:
            messages = self.messages()
            self.stop()
            raise RuntimeError(f"osmem-server did not start: {messages}")
        return found[0]

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    messages = self.messages()
                    self.stop()
                    raise RuntimeError(f"osmem-server does not answer: {messages}") from None
            time.sleep(0.05)

    def messages(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # osmem-server exits when its input closes
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.log.close()


def osmem_binary() -> str | None:
    try:
        from osmem_server import OsmemError, resolve_binary
    except ImportError:
        return None
    try:
        return resolve_binary()
    except OsmemError:
        return None


_server: list[OsmemProcess] = []


@pytest.fixture(scope="session")
def es_url(request) -> str:
    """The URL of the session's osmem-server (started on first use, stopped at the end)."""
    if not _server:
        binary = osmem_binary()
        if binary is None:
            pytest.skip("osmem-server is not installed (pip install osmem-server)")
        _server.append(OsmemProcess(binary))
        request.config.add_cleanup(_stop)
    return _server[0].url


def _stop() -> None:
    while _server:
        _server.pop().stop()


def new_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def delete_indices(url: str, prefix: str) -> None:
    """Deletes the alias's indices (``<prefix>-*``)."""
    request = urllib.request.Request(f"{url}/{prefix}-*", method="DELETE")
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture
def es_prefix(es_url):
    """An index prefix of this test's own, its indices deleted afterwards."""
    prefix = new_prefix()
    yield prefix
    delete_indices(es_url, prefix)
