"""Downloads sent with sendfile on the server's socket (portal/downloads/sendfile.py), in-process.

The server is played by `Server`: it writes every piece the view's response yields on one end
of a socket pair, as gunicorn's workers do, and the response's body sends file data on the same
socket (``environ["gunicorn.socket"]``); a thread reads the other end, as the client would.
tests/portal/test_download_gunicorn.py does the same through a real gunicorn.
"""

import io
import os
import socket
import ssl
import threading
import zipfile
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import resolve

from portal.downloads.sendfile import direct_socket
from portal.downloads.zips import DIRECT_MIN, READ_SIZE, SMALL
from portal.models import DownloadLog, FileCrc
from tests.portal.conftest import body, file_url, zip_url

pytestmark = pytest.mark.django_db

BIG = os.urandom(4 * READ_SIZE + 11)  # several reads: the CRC carried from one to the next
LARGE = os.urandom(DIRECT_MIN)  # the smallest file sent by sendfile


class Server:
    """One end of a socket pair for the response, the other read by a thread (the client),
    which stops after `read_at_most` bytes, closing its end as a client that goes away."""

    def __init__(self, read_at_most: int | None = None):
        self.sock, self.peer = socket.socketpair()
        self.received = bytearray()
        self.limit = read_at_most
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        while self.limit is None or len(self.received) < self.limit:
            data = self.peer.recv(1 << 20)
            if not data:
                break
            self.received += data
        self.peer.close()

    def serve(self, response) -> bytes:
        """Writes the pieces the response yields, as gunicorn does; what the client got."""
        try:
            for piece in response.streaming_content:
                self.sock.sendall(piece)
        finally:
            # What the server does at the end, or when a write failed; without the signal that
            # would close the test's database connection (Django's test client does the same).
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
            self.sock.close()
            self.reader.join()
        return bytes(self.received)


@pytest.fixture
def sendfile_calls(monkeypatch):
    """os.sendfile as it is, each call's (offset, count) noted."""
    calls, real = [], os.sendfile

    def noted(out, fd, offset, count):
        calls.append((offset, count))
        return real(out, fd, offset, count)

    monkeypatch.setattr(os, "sendfile", noted)
    return calls


@pytest.fixture
def large_files(accepted, storage):
    """The accepted dataset with a scan.nxs of several reads, notes.txt as before."""
    (storage / "scan.nxs").write_bytes(BIG)
    return accepted


def served(client, url, read_at_most=None, **extra) -> bytes:
    """The view's answer to `client`'s request for `url`, through a Server."""
    server = Server(read_at_most)
    request = RequestFactory().get(url, **{"gunicorn.socket": server.sock}, **extra)
    request.user, request.session = AnonymousUser(), client.session
    view = resolve(request.path_info)
    return server.serve(view.func(request, *view.args, **view.kwargs))


def crcs() -> dict[str, int]:
    return {Path(path).name: crc for path, crc in FileCrc.objects.values_list("path", "crc32")}


# --- zips --------------------------------------------------------------------------------------


def test_first_direct_zip_is_byte_for_byte_the_plain_zip_and_records_the_crcs_it_read(
    client, large_files, sendfile_calls
):
    dataset, _ = large_files

    plain = body(client.get(zip_url(dataset)))
    assert not FileCrc.objects.exists()  # the plain body records nothing
    direct = served(client, zip_url(dataset))

    assert direct == plain
    with zipfile.ZipFile(io.BytesIO(direct)) as archive:
        assert archive.testzip() is None
        assert archive.read("powder-scan/scan.nxs") == BIG
    log = DownloadLog.objects.latest("id")
    assert (log.bytes_sent, log.completed) == (len(plain), True)
    # No CRC was known: scan.nxs was read (its CRC recorded), notes.txt too small to record.
    assert sendfile_calls == []
    assert crcs() == {"scan.nxs": zlib.crc32(BIG)}


def test_the_next_zip_sends_the_file_by_sendfile_with_the_crc_recorded(
    client, large_files, sendfile_calls
):
    dataset, _ = large_files
    first = served(client, zip_url(dataset))
    sendfile_calls.clear()

    again = served(client, zip_url(dataset))

    assert again == first
    assert sendfile_calls == [(0, len(BIG))]


def test_a_recorded_crc_that_still_fits_is_used_without_reading_the_file(
    client, large_files, sendfile_calls
):
    dataset, _ = large_files
    served(client, zip_url(dataset))
    FileCrc.objects.update(crc32=0x12345678)  # a record the file's bytes would contradict
    sendfile_calls.clear()

    data = served(client, zip_url(dataset))

    assert sendfile_calls == [(0, len(BIG))]  # the whole file at once, not read
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("powder-scan/scan.nxs").CRC == 0x12345678
        assert archive.testzip() == "powder-scan/scan.nxs"  # so the file was not read


def test_a_file_rewritten_since_its_crc_was_recorded_is_read_again(client, large_files, storage):
    dataset, _ = large_files
    served(client, zip_url(dataset))
    scan = storage / "scan.nxs"
    before = scan.stat()
    changed = bytes(reversed(BIG))  # same size; its mtime is then set back: only ctime tells
    scan.write_bytes(changed)
    os.utime(scan, ns=(before.st_atime_ns, before.st_mtime_ns))

    data = served(client, zip_url(dataset))

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.read("powder-scan/scan.nxs") == changed
    assert crcs() == {"scan.nxs": zlib.crc32(changed)}


def test_a_zip_cut_short_records_no_crc_of_a_file_not_read_to_its_end(client, large_files):
    dataset, _ = large_files

    with pytest.raises(OSError):  # the client went away: the server's write fails
        served(client, zip_url(dataset), read_at_most=DIRECT_MIN)

    log = DownloadLog.objects.get()
    assert not log.completed and log.bytes_sent < log.size
    assert not FileCrc.objects.exists()


def test_a_zip_cut_short_in_a_file_sent_by_sendfile_logs_the_bytes_that_went_out(
    client, large_files
):
    dataset, _ = large_files
    served(client, zip_url(dataset))  # records the CRC

    with pytest.raises(OSError):
        served(client, zip_url(dataset), read_at_most=2 * DIRECT_MIN)

    log = DownloadLog.objects.latest("id")
    assert not log.completed
    assert 2 * DIRECT_MIN <= log.bytes_sent < log.size


def test_a_file_at_the_sendfile_threshold_is_recorded_then_sent(
    client, accepted, storage, sendfile_calls
):
    dataset, _ = accepted
    (storage / "scan.nxs").write_bytes(LARGE)

    first = served(client, zip_url(dataset))
    again = served(client, zip_url(dataset))

    assert first == again == body(client.get(zip_url(dataset)))
    assert crcs() == {"scan.nxs": zlib.crc32(LARGE)}
    assert sendfile_calls == [(0, len(LARGE))]


# --- single files ------------------------------------------------------------------------------


def test_direct_file_arrives_whole_and_in_ranges_and_is_logged(client, large_files, sendfile_calls):
    dataset, files = large_files
    across = f"bytes=10-{DIRECT_MIN + 20}"  # long enough for sendfile, from inside the file

    whole = served(client, file_url(dataset, files[0]))
    part = served(client, file_url(dataset, files[0]), HTTP_RANGE=across)

    assert whole == BIG
    assert part == BIG[10 : DIRECT_MIN + 21]
    # The first SMALL bytes go out with the headers, the rest by sendfile.
    assert sendfile_calls[0] == (SMALL, len(BIG) - SMALL)
    assert sendfile_calls[-1] == (10 + SMALL, DIRECT_MIN + 11 - SMALL)
    logs = DownloadLog.objects.order_by("id")
    assert [(log.bytes_sent, log.completed) for log in logs] == [
        (len(BIG), True),
        (DIRECT_MIN + 11, True),
    ]


def test_direct_file_cut_short_logs_what_went_out(client, large_files):
    dataset, files = large_files

    with pytest.raises(OSError):
        served(client, file_url(dataset, files[0]), read_at_most=2 * DIRECT_MIN)

    log = DownloadLog.objects.get()
    assert not log.completed
    assert 2 * DIRECT_MIN <= log.bytes_sent < len(BIG)


# --- when to send directly ---------------------------------------------------------------------


@pytest.fixture
def pair():
    sock, peer = socket.socketpair()
    yield sock
    sock.close()
    peer.close()


def environ(sock, **extra):
    return {"gunicorn.socket": sock, "SERVER_PROTOCOL": "HTTP/1.1", **extra}


def test_a_blocking_plain_socket_is_used(pair):
    assert direct_socket(environ(pair)) is pair


@pytest.mark.parametrize(
    "extra",
    [
        {"SERVER_PROTOCOL": "HTTP/2"},
        {"HTTP_VERSION": "2"},  # gunicorn's HTTP/2 frames the data: never write around it
        {"gunicorn.socket": None},  # another server
    ],
)
def test_other_protocols_and_servers_get_the_plain_body(pair, extra):
    assert direct_socket(environ(pair, **extra)) is None


def test_a_non_blocking_socket_gets_the_plain_body(pair):
    pair.setblocking(False)  # an event loop's: sendfile could not wait for room

    assert direct_socket(environ(pair)) is None


def test_a_tls_socket_gets_the_plain_body(pair):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls = context.wrap_socket(pair, do_handshake_on_connect=False, server_hostname="x")

    assert direct_socket(environ(tls)) is None


def test_sendfile_can_be_switched_off(pair, settings):
    settings.DOWNLOAD_SENDFILE = False

    assert direct_socket(environ(pair)) is None
