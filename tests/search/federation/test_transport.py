"""The federation's HTTP client (search.federation.http over transport.LeanTransport) against a
raw loopback server that answers exactly the bytes a test scripts."""

from __future__ import annotations

import gzip
import json
import socket
import threading

import pytest

from search.federation.http import PartnerError, transport


class RawServer:
    """Each connection gets a number; `answer(number, request_head) -> bytes | None` (None:
    close without answering). `close_after` closes a connection after that many answers."""

    def __init__(self, answer, close_after: int | None = None):
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests: list[tuple[int, bytes]] = []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn, number):
        buffer, answered = b"", 0
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                self.requests.append((number, head))
                reply = self.answer(number, head)
                if reply is None:
                    return
                conn.sendall(reply)
                answered += 1
                if self.close_after and answered >= self.close_after:
                    return

    def close(self):
        self.socket.close()


def response(body: bytes, *headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", *headers]
    if not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get(url: str, max_bytes: int = 1_000_000):
    coroutine = transport.get_json(url, {"filter": "{}"}, timeout=5, max_bytes=max_bytes)
    return transport.submit(coroutine).result(10)


@pytest.fixture
def server():
    made = []

    def make(answer, **options):
        made.append(RawServer(answer, **options))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_a_connection_is_kept_alive_between_requests(server):
    s = server(lambda n, head: response(b"[1]"))

    assert [get(s.url + "/api/Datasets") for _ in range(3)] == [[1], [1], [1]]
    assert s.connections == 1


def test_an_idle_connection_the_server_closed_is_replaced(server):
    s = server(lambda n, head: response(json.dumps(n).encode()), close_after=1)

    assert get(s.url + "/a") == 1
    assert get(s.url + "/b") == 2  # the first connection was closed by the server: a new one


def test_connection_close_is_honoured(server):
    s = server(lambda n, head: response(b"{}", "Connection: close"))

    get(s.url + "/a")
    get(s.url + "/b")

    assert s.connections == 2


def test_a_chunked_answer_is_read_whole(server):
    body = b'[{"pid": "a"}, {"pid": "b"}]'
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    s = server(lambda n, head: response(chunked, "Transfer-Encoding: chunked"))

    assert get(s.url + "/x") == [{"pid": "a"}, {"pid": "b"}]


def test_a_gzipped_answer_is_decompressed_and_its_size_counted_unpacked(server):
    small = gzip.compress(b"[" + b" " * 10 + b"1]")
    bomb = gzip.compress(b"[" + b" " * 5_000_000 + b"1]")
    s = server(
        lambda n, head: response(small if b"/small" in head else bomb, "Content-Encoding: gzip")
    )

    assert get(s.url + "/small") == [1]
    with pytest.raises(PartnerError) as caught:
        get(s.url + "/bomb", max_bytes=100_000)
    assert caught.value.message == "answer larger than 100000 bytes"
    assert len(bomb) < 100_000


def test_the_request_carries_only_what_it_should(server):
    s = server(lambda n, head: response(b"[]"))

    get(s.url + "/api/Datasets")

    head = s.requests[0][1].decode().lower()
    assert head.startswith("get /api/datasets?filter=%7b%7d http/1.1")
    assert "x-fedcat-federation: 1" in head and "user-agent: fedcat-federation/1" in head
    assert "authorization" not in head and "cookie" not in head


def test_cookies_a_partner_sets_are_not_sent_back(server):
    s = server(lambda n, head: response(b"[]", "Set-Cookie: session=abc; Path=/"))

    get(s.url + "/a")
    get(s.url + "/b")

    assert b"cookie" not in s.requests[1][1].lower()


def test_a_server_that_closes_without_answering_is_an_error(server):
    s = server(lambda n, head: None)

    with pytest.raises(PartnerError) as caught:
        get(s.url + "/x")

    assert caught.value.message == "connection closed before the answer was complete"


def test_garbage_instead_of_http_is_an_error(server):
    s = server(lambda n, head: b"SSH-2.0-OpenSSH\r\n\r\n")

    with pytest.raises(PartnerError):
        get(s.url + "/x")
