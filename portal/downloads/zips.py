"""A streamed zip of a dataset's files (zipstream-ng): nothing is buffered, whatever the size.

Every file is resolved and stat'ed before the response starts, so a missing or refused file is
a 404/403 page rather than a broken archive, and the archive's exact length is known
(Content-Length; files are stored, not compressed). Memory grows with the number of files (the
zip's central directory needs a record per file), never with their sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import deflate
import zipstream.ng
from django.utils.text import slugify
from zipstream import ZipStream

from .storage import FileUnavailable, Resolver

NO_FILES = "This dataset lists no files."

# zipstream-ng looks both of these up as module globals each time it reads a file, so setting
# them is the whole change (tests/portal/test_downloads.py checks the zips they give).
# Every stored byte passes through CRC-32: zlib's runs at ~3 GB/s here, ISA-L's at ~11,
# libdeflate's (carry-less multiply on 256-bit registers where the CPU has them) at ~20.
zipstream.ng.crc32 = deflate.crc32
# Files are read 1 MiB at a time instead of 64 KiB: each chunk is one read, one CRC call and one
# socket write in the server, and at 64 KiB those per-chunk costs were a quarter of the worker's
# CPU per GB. One chunk is all a download holds at a time, so memory stays flat.
READ_SIZE = 1 << 20
zipstream.ng.READ_BUFFER = READ_SIZE
SMALL = 64 * 1024


def archive_name(dataset) -> str:
    """The zip's file name and its top folder: the dataset's name, else its pid, as a slug."""
    return slugify(dataset.dataset_name)[:80] or slugify(dataset.pid)[:80] or "dataset"


def build_zip(
    files: Iterable, *, folder: str, roots: list[Path], top: str
) -> tuple[ZipStream, int]:
    """(the zip, the number of files in it), or FileUnavailable for the first bad file."""
    archive = ZipStream(sized=True)
    names: set[str] = set()
    resolve = Resolver(folder, roots)
    for datafile in files:
        real = resolve(datafile.path)
        name = f"{top}/{PurePosixPath(datafile.path.lstrip('/')).as_posix()}"
        if name in names:
            continue  # the same path listed twice (in two blocks)
        names.add(name)
        archive.add_path(str(real), name, recurse=False)
    if not names:
        raise FileUnavailable(404, NO_FILES)
    return archive, len(names)


def chunks(archive: ZipStream, size: int = READ_SIZE):
    """The zip's bytes with the small pieces joined: every file brings a header and a data
    descriptor (tens of bytes) and small files little more, each of which would otherwise be
    one socket write; a piece of SMALL or more goes out as it is (no copy)."""
    pending: list[bytes] = []
    held = 0
    for piece in archive:
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
