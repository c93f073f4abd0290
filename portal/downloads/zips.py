"""A streamed zip of a dataset's files (zipstream-ng): nothing is buffered, whatever the size.

Every file is resolved and stat'ed before the response starts, so a missing or refused file is
a 404/403 page rather than a broken archive, and the archive's exact length is known
(Content-Length; files are stored, not compressed). Memory grows with the number of files (the
zip's central directory needs a record per file), never with their sizes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import zipstream.ng
from django.utils.text import slugify
from isal import isal_zlib
from zipstream import ZipStream

from .storage import FileUnavailable, resolve

NO_FILES = "This dataset lists no files."

# Every stored byte passes through CRC-32, which caps a zip at zlib's ~1.2 GB/s on one core.
# ISA-L's SIMD CRC-32 gives the same checksums about 3x faster; zipstream-ng looks the function
# up as a module global, so pointing that global at ISA-L is the whole change.
zipstream.ng.crc32 = isal_zlib.crc32


def archive_name(dataset) -> str:
    """The zip's file name and its top folder: the dataset's name, else its pid, as a slug."""
    return slugify(dataset.dataset_name)[:80] or slugify(dataset.pid)[:80] or "dataset"


def build_zip(
    files: Iterable, *, folder: str, roots: list[Path], top: str
) -> tuple[ZipStream, int]:
    """(the zip, the number of files in it), or FileUnavailable for the first bad file."""
    archive = ZipStream(sized=True)
    names: set[str] = set()
    for datafile in files:
        real = resolve(folder, datafile.path, roots)
        name = f"{top}/{PurePosixPath(datafile.path.lstrip('/')).as_posix()}"
        if name in names:
            continue  # the same path listed twice (in two blocks)
        names.add(name)
        archive.add_path(str(real), name, recurse=False)
    if not names:
        raise FileUnavailable(404, NO_FILES)
    return archive, len(names)
