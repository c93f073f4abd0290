"""File data sent with sendfile(2) straight onto gunicorn's socket, not through Python.

A WSGI body is bytes: every byte of a download is copied out of the page cache into Python,
then into the socket. gunicorn's sync and gthread workers write each piece a body yields, whole,
before they ask for the next one, on the blocking socket they hand the application as
``environ["gunicorn.socket"]``. So a body may put file data on that socket itself, between two
pieces, with sendfile: the kernel hands the page cache's pages to the socket, no copy in
Python. The HTTP headers go out with the body's first (non-empty) piece and everything else (a
zip's headers, data descriptors, central directory) still goes through the server's own
writes, in order. The body must never send more bytes in all than its Content-Length: gunicorn
counts only what it writes itself (its access log's byte count is short by the bytes sent
here), and nothing between the view and the server may rewrite the body (no GZipMiddleware).

Only plain HTTP/1.x on a blocking socket qualifies (`direct_socket`): TLS (gunicorn's certfile)
would be bypassed, HTTP/2 frames its data, and an event-loop worker's socket is non-blocking.
Elsewhere (runserver, the test client, uvicorn) the body stays plain bytes. Behind nginx,
gunicorn's socket leads to nginx, and the direct path works as well (with X-Accel-Redirect,
nginx sends single files itself; zips still come from here).
"""

from __future__ import annotations

import os
import socket
import ssl

from django.conf import settings

PROTOCOLS = ("HTTP/1.0", "HTTP/1.1")


def direct_socket(environ) -> socket.socket | None:
    """gunicorn's socket for this request if file data may be sent on it directly, else None."""
    if not settings.DOWNLOAD_SENDFILE:
        return None
    sock = environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
        return None
    if environ.get("SERVER_PROTOCOL") not in PROTOCOLS or environ.get("HTTP_VERSION") == "2":
        return None
    try:
        blocking = sock.gettimeout() is None and os.get_blocking(sock.fileno())
    except OSError:
        return None
    return sock if blocking and sock.type == socket.SOCK_STREAM else None


class FileEnded(OSError):
    """The file ended before the bytes the response announced were sent (it shrank)."""


class Sender:
    """Sends stretches of files on `sock` with sendfile; `sent` counts the bytes that went out,
    also when the client goes away in the middle (sendfile says how far it got)."""

    def __init__(self, sock: socket.socket):
        self.out = sock.fileno()
        self.sent = 0

    def send(self, fd: int, offset: int, length: int) -> None:
        end = offset + length
        while offset < end:
            sent = os.sendfile(self.out, fd, offset, end - offset)
            if not sent:
                raise FileEnded(f"the file ended at byte {offset} of {end}")
            offset += sent
            self.sent += sent
