"""A streamed zip of a dataset's files (zipstream-ng): nothing is buffered, whatever the size.

Every file is resolved and stat'ed before the response starts, so a missing or refused file is
a 404/403 page rather than a broken archive, and the archive's exact length is known
(Content-Length; files are stored, not compressed). Memory grows with the number of files (the
zip's central directory needs a record per file), never with their sizes.

Two bodies: `chunks` (bytes, for any WSGI server) and `DirectZip` (under gunicorn: files sent
with sendfile, see sendfile.py). zipstream-ng makes the zip in both; the direct one only changes
what it is handed as a file's data (a `Span`, below) and how that is sent.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import deflate
import zipstream.ng
from django.utils.text import slugify
from zipstream import ZipStream

from .crcs import Crc, crcs_record, known_crcs
from .sendfile import Sender
from .storage import FileUnavailable, Resolver

NO_FILES = "This dataset lists no files."

# Files are read 1 MiB at a time instead of 64 KiB: each chunk is one read, one CRC call and one
# socket write in the server, and at 64 KiB those per-chunk costs were a quarter of the worker's
# CPU per GB. One chunk is all a download holds at a time, so memory stays flat.
READ_SIZE = 1 << 20
zipstream.ng.READ_BUFFER = READ_SIZE
SMALL = 64 * 1024
# Files from this size up are sent by sendfile (when their CRC is known, for zips); smaller ones
# are read and joined with their neighbours' headers into one write (a sendfile each would cost
# more), and their CRCs are not recorded.
DIRECT_MIN = 256 * 1024


def archive_name(dataset) -> str:
    """The zip's file name and its top folder: the dataset's name, else its pid, as a slug."""
    return slugify(dataset.dataset_name)[:80] or slugify(dataset.pid)[:80] or "dataset"


class Planned(NamedTuple):
    archive: ZipStream
    count: int  # files in it
    stats: dict[str, os.stat_result]  # {real path: its stat when added}


def build_zip(files: Iterable, *, folder: str, roots: list[Path], top: str) -> Planned:
    """The zip of these DataFiles, or FileUnavailable for the first bad file."""
    archive = ZipStream(sized=True)
    names: set[str] = set()
    stats: dict[str, os.stat_result] = {}
    resolve = Resolver(folder, roots)
    for datafile in files:
        real = str(resolve(datafile.path))
        name = f"{top}/{PurePosixPath(datafile.path.lstrip('/')).as_posix()}"
        if name in names:
            continue  # the same path listed twice (in two blocks)
        names.add(name)
        archive.add_path(real, name, recurse=False)
        stats[os.path.normpath(real)] = os.stat(real)  # (the path as zipstream-ng keeps it)
    if not names:
        raise FileUnavailable(404, NO_FILES)
    return Planned(archive, len(names), stats)


def chunks(archive: Iterable, size: int = READ_SIZE, send=None):
    """The zip's bytes with the small pieces joined: every file brings a header and a data
    descriptor (tens of bytes) and small files little more, each of which would otherwise be
    one socket write; a piece of SMALL or more goes out as it is (no copy). A Span goes to
    `send`, once everything before it has been yielded."""
    pending: list[bytes] = []
    held = 0
    for piece in archive:
        if type(piece) is Span:
            if pending:  # the server writes a yielded piece whole before it asks for the next
                yield b"".join(pending)
                pending, held = [], 0
            send(piece)
            continue
        if len(piece) >= SMALL:
            if pending:
                yield b"".join(pending)
                pending, held = [], 0
            yield piece
            continue
        pending.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)


# --- The direct body -------------------------------------------------------------------------
#
# zipstream-ng gets a file's data from its module function `_iter_file(path)` and checksums each
# piece with its module global `crc32(data, running)`; both are looked up when used, so
# replacing them here is the whole adapter. While a DirectZip asks zipstream-ng for its next
# piece, `_iter_file` is the DirectZip's `file_data`, which gives a file whose CRC-32 is
# recorded (crcs.py) as one Span instead of its bytes: zipstream-ng counts its len(), takes its
# CRC, writes the headers, descriptors and central directory as always, and passes the Span
# through to DirectZip, which sends the file with sendfile. Outside a DirectZip both behave as
# zipstream-ng's own.

_read_file = zipstream.ng._iter_file  # zipstream-ng's own reader, READ_BUFFER at a time
_sending: contextvars.ContextVar[DirectZip | None] = contextvars.ContextVar("zip", default=None)


class Span:
    """A whole open file standing in for its bytes: its length and its recorded CRC-32."""

    __slots__ = ("crc", "fd", "length")

    def __init__(self, fd: int, length: int, crc: int):
        self.fd, self.length, self.crc = fd, length, crc

    def __len__(self) -> int:
        return self.length


def crc32(data, value: int = 0) -> int:
    """zipstream-ng's CRC-32: libdeflate's for bytes (about 20 GB/s here, against zlib's 3: every
    stored byte passes through it), the recorded one for a Span. Within a DirectZip the running
    value is also left on it, for it to record once a file has been read."""
    if type(data) is Span:
        return data.crc  # (a Span is a whole file: `value` is 0)
    crc = deflate.crc32(data, value)
    body = _sending.get()
    if body is not None:
        body.crc = crc
    return crc


def _iter_file(path: str):
    body = _sending.get()
    return _read_file(path) if body is None else body.file_data(path)


zipstream.ng.crc32 = crc32
zipstream.ng._iter_file = _iter_file


def _same(info: os.stat_result, other: os.stat_result) -> bool:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns) == (
        other.st_size,
        other.st_mtime_ns,
        other.st_ctime_ns,
    )


class DirectZip:
    """The zip's body under gunicorn: its pieces yielded to the server as `chunks` does, and a
    file of DIRECT_MIN bytes or more whose CRC-32 is recorded sent whole on `sock` by sendfile
    between them (`sent_directly` counts those bytes). Other files are read and yielded as in
    `chunks`; the CRCs worked out for those of DIRECT_MIN bytes or more are recorded when the
    body is closed, so the next zip sends them by sendfile.

    Reading a file only to work out its CRC, then sending it by sendfile, measured no cheaper
    here than reading and yielding it (bench/README.md), so a file is either read or not."""

    def __init__(self, planned: Planned, sock):
        self.archive, self.stats = planned.archive, planned.stats
        large = [path for path, info in self.stats.items() if info.st_size >= DIRECT_MIN]
        self.known = known_crcs(large)
        self.learned: dict[str, Crc] = {}
        self.sender = Sender(sock)
        self.crc = 0  # the running CRC-32 of the file being read (see crc32 above)
        self.pieces = None

    @property
    def sent_directly(self) -> int:
        return self.sender.sent

    def file_data(self, path: str):
        """The file's data for zipstream-ng (its `_iter_file` while this body asks)."""
        planned = self.stats.get(path)
        if planned is None or planned.st_size < DIRECT_MIN:
            yield from _read_file(path)
            return
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            opened = os.fstat(fd)
            known = self.known.get(path)
            # A Span must be exactly as long as planned: the zip's length was announced.
            if known and known.fits(opened) and opened.st_size == planned.st_size:
                yield Span(fd, opened.st_size, known.crc32)
                return
            self.crc = 0
            while chunk := os.read(fd, READ_SIZE):
                yield chunk  # zipstream-ng works out its CRC before it asks for the next
            if _same(os.fstat(fd), opened):  # (no record of a file that changed meanwhile)
                self.learned[path] = Crc.of(opened, self.crc)
        finally:
            os.close(fd)

    def _pieces(self):
        pieces = iter(self.archive)
        while True:
            token = _sending.set(self)  # (zipstream-ng calls _iter_file within next())
            try:
                piece = next(pieces, None)
            finally:
                _sending.reset(token)
            if piece is None:
                return
            yield piece

    def _send(self, span: Span) -> None:
        self.sender.send(span.fd, 0, span.length)

    def __iter__(self):
        self.pieces = self._pieces()
        return chunks(self.pieces, send=self._send)

    def close(self) -> None:
        """Ends the zip (its open file closed) and records the CRCs it worked out."""
        if self.pieces is not None:
            self.pieces.close()
        if self.learned:
            crcs_record(self.learned)
            self.learned = {}
