"""Small PaNOSC providers on loopback ports, for the partner behaviours a real site will not
show on demand: slow, dead, invalid JSON, script tags, oversized, killed mid-answer.

``FakePartner`` runs in a thread of the test process; ``python -m tests.search.federation.fakes
'<json config>'`` runs one as a process of its own (to be killed), printing its port first.

A fake answers like a provider: ``/Datasets`` with a ``query`` keeps the records with every
word in their title and ranks them by their ``score``, without one orders them newest first;
skip and limit apply; ``/Datasets/count`` counts them. It records every request (path,
parameters, headers).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[3]


def dataset(pid: str, title: str, score: float = 0.5, date: str = "2024-01-01T00:00:00.000Z"):
    return {"pid": pid, "title": title, "isPublic": True, "creationDate": date, "score": score}


def answer(config: dict, path: str, params: dict) -> tuple[int, bytes, dict]:
    """(status, body, headers) for one request."""
    mode = config.get("mode", "ok")
    if mode == "invalid-json":
        return 200, b'[{"pid": "x", "title": "broken', {}
    if mode == "error500":
        return 500, b'{"error": {"statusCode": 500}}', {}
    if mode == "status":
        return config["status"], b'{"error": {"statusCode": 400}}', {}
    if mode == "redirect":
        return 302, b"", {"Location": config.get("location", "http://10.0.0.1/")}
    if mode == "huge":
        filler = "x" * 1000
        items = [{"pid": f"huge-{i}", "title": filler} for i in range(config.get("huge", 200))]
        return 200, json.dumps(items).encode(), {}
    items = list(config.get("items", []))
    if path.lower().endswith("/count"):
        return 200, json.dumps({"count": config.get("count", len(items))}).encode(), {}
    flt = json.loads(params.get("filter", ["{}"])[0])
    if flt.get("query"):
        words = flt["query"].lower().split()
        items = [i for i in items if all(w in i.get("title", "").lower() for w in words)]
        items.sort(key=lambda item: -(item.get("score") or 0))
    else:
        items.sort(key=lambda item: item.get("pid", ""))
        items.sort(key=lambda item: item.get("creationDate", ""), reverse=True)
    skip, limit = flt.get("skip") or 0, flt.get("limit") or len(items)
    return 200, json.dumps(items[skip : skip + limit]).encode(), {}


def make_handler(config: dict, requests: list):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            parts = urlsplit(self.path)
            params = parse_qs(parts.query)
            requests.append({"path": parts.path, "params": params, "headers": dict(self.headers)})
            time.sleep(config.get("delay", 0))
            # the client may have given up waiting (a timeout under test)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.reply(*answer(config, parts.path, params), parts.path)

        def reply(self, status: int, body: bytes, headers: dict, path: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if config.get("mode") == "die-midway" and not path.endswith("/count"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


class FakePartner:
    def __init__(self, items=(), **config):
        self.config = {"items": list(items), **config}
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), make_handler(self.config, self.requests)
        )
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def lists(self) -> list[dict]:
        """The list requests received (not the counts)."""
        return [r for r in self.requests if not r["path"].endswith("/count")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakePartnerProcess:
    """A fake in a process of its own, so that it can be killed."""

    def __init__(self, items=(), **config):
        config = {"items": list(items), **config}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.search.federation.fakes", json.dumps(config)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.process.stdout.readline())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def main() -> None:
    config = json.loads(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(config, []))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
