"""Downloads through a real gunicorn on loopback, where files go out by sendfile on its socket.

Both workers the site may run: sync (one request per connection) and gthread (connections kept
alive: the next request on a connection must find it clean after a body sent partly by
sendfile). The zips must be byte for byte the plain body's, the first time (CRCs read and
recorded) and the next (files sent whole by sendfile), and every download logged complete.
"""

import http.client
import io
import os
import socket
import sqlite3
import time
import urllib.parse
import zipfile
import zlib
from types import SimpleNamespace

import pytest

from portal.downloads.zips import DIRECT_MIN, READ_SIZE, build_zip, chunks
from tests.portal.download_server import FILES, Gunicorn, prepare_site

CONTENT = {
    # Larger than the socket buffers of both ends together, so that a slow client keeps the
    # worker sending until the last bytes (test_a_download_may_outlast_the_worker_timeout).
    "big.bin": os.urandom(12 * READ_SIZE + 7),
    "sub/edge.bin": os.urandom(DIRECT_MIN),  # the smallest file sent by sendfile
    "notes.txt": b"beam was stable\n",  # read, with the headers around it
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site's data dir, storage and dataset, and a sync and a gthread gunicorn serving
    them (the same database)."""
    base = tmp_path_factory.mktemp("gunicorn-downloads")
    root, data_dir = base / "storage", base / "data"
    folder = root / "p1" / "run1"
    for path in FILES:
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(CONTENT[path])
    data_dir.mkdir()
    prepared = prepare_site(data_dir, root, folder)
    servers = {"sync": Gunicorn(data_dir, root, 1, "sync"), "gthread": Gunicorn(data_dir, root, 4)}
    try:
        for server in servers.values():
            server.wait_until_ready()
        plain = build_zip(
            [SimpleNamespace(path=path) for path in FILES],
            folder=str(folder),
            roots=[root.resolve()],
            top="gunicorn-run",
        )
        yield SimpleNamespace(
            servers=servers,
            data_dir=data_dir,
            root=root,
            db=data_dir / "fedcat.sqlite3",
            plain_zip=b"".join(chunks(plain.archive)),
            **prepared,
        )
    finally:
        for server in servers.values():
            server.stop()


def sql(site, query: str) -> list:
    with sqlite3.connect(site.db, timeout=20) as db:
        return db.execute(query).fetchall()


def get(connection: http.client.HTTPConnection, site, path: str, **headers):
    connection.request("GET", path, headers={"Authorization": f"Bearer {site.token}", **headers})
    response = connection.getresponse()
    return response, response.read()


def zip_path(site) -> str:
    return f"/datasets/{urllib.parse.quote(site.pid, safe='/')}/download.zip"


def file_path(site, number: int) -> str:
    return f"/datasets/{urllib.parse.quote(site.pid, safe='/')}/files/{site.ids[number]}"


@pytest.mark.parametrize("worker", ["sync", "gthread"])
def test_zip_through_gunicorn_is_the_plain_zip_the_first_time_and_the_next(site, worker):
    server = site.servers[worker]
    sql(site, "DELETE FROM portal_filecrc")

    first, second = (
        get(http.client.HTTPConnection("127.0.0.1", server.port, timeout=60), site, zip_path(site))
        for _ in range(2)
    )

    for response, data in (first, second):
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(data)
        assert data == site.plain_zip
    with zipfile.ZipFile(io.BytesIO(second[1])) as archive:
        assert archive.testzip() is None
        assert archive.read("gunicorn-run/big.bin") == CONTENT["big.bin"]
    # Recorded by the first (so it ran the direct body), used by the second.
    recorded = {
        path.rsplit("/run1/", 1)[1]: crc
        for path, crc in sql(site, "SELECT path, crc32 FROM portal_filecrc")
    }
    assert recorded == {path: zlib.crc32(CONTENT[path]) for path in ("big.bin", "sub/edge.bin")}


def test_gthread_keeps_the_connection_clean_after_bodies_sent_by_sendfile(site):
    connection = http.client.HTTPConnection("127.0.0.1", site.servers["gthread"].port, timeout=60)
    get(connection, site, zip_path(site))  # the CRCs recorded: the next zip uses sendfile
    sock = connection.sock

    answers = [
        get(connection, site, zip_path(site)),
        get(connection, site, file_path(site, 0)),
        get(connection, site, file_path(site, 0), Range=f"bytes=5-{DIRECT_MIN + 5}"),
        get(connection, site, file_path(site, 2)),
    ]

    assert [data for _, data in answers] == [
        site.plain_zip,
        CONTENT["big.bin"],
        CONTENT["big.bin"][5 : DIRECT_MIN + 6],
        CONTENT["notes.txt"],
    ]
    assert [response.status for response, _ in answers] == [200, 200, 206, 200]
    assert connection.sock is sock  # one connection for all: none was closed


def test_every_download_through_gunicorn_is_logged_complete(site):
    connection = http.client.HTTPConnection("127.0.0.1", site.servers["sync"].port, timeout=60)
    get(connection, site, file_path(site, 0))

    logs = sql(site, "SELECT size, bytes_sent, completed FROM portal_downloadlog")

    assert logs and all(size == sent and done for size, sent, done in logs)


def slow_read(server, site, path: str, seconds: float) -> bytes:
    """GET `path` through a small receive buffer, read a little at a time over about
    `seconds`: what a download over a slow link looks like to the server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
    connection.request("GET", path, headers={"Authorization": f"Bearer {site.token}"})
    response = connection.getresponse()
    size = int(response.headers["Content-Length"])
    pause = seconds / (size / (64 * 1024))
    data = bytearray()
    try:
        while piece := response.read(64 * 1024):
            data += piece
            time.sleep(pause)
    except http.client.IncompleteRead as cut:
        data += cut.partial
    finally:
        connection.close()
    return bytes(data)


@pytest.mark.slow
def test_a_download_may_outlast_the_worker_timeout(site):
    """gunicorn.conf.py's gthread worker keeps beating while it sends; the sync worker, beside
    it for contrast, is killed by the arbiter once the download outlasts GUNICORN_TIMEOUT."""
    servers = {
        kind: Gunicorn(site.data_dir, site.root, 1, kind, GUNICORN_TIMEOUT="1")
        for kind in ("gthread", "sync")
    }
    try:
        for server in servers.values():
            server.wait_until_ready()
        received = {
            kind: slow_read(server, site, file_path(site, 0), seconds=4)
            for kind, server in servers.items()
        }
    finally:
        for server in servers.values():
            server.stop()

    assert received["gthread"] == CONTENT["big.bin"]
    assert len(received["sync"]) < len(CONTENT["big.bin"])
