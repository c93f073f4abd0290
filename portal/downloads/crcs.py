"""Recorded CRC-32s of zipped files (portal.models.FileCrc): reads and writes.

A zip member's CRC-32 is over all its bytes, so a zip that does not know it must read the file
once (into Python, for the CRC) besides sending it. The direct zip body (zips.DirectZip) records
the CRC of every file it read, and the next zip of an unchanged file sends it without reading it
at all. A record stands while the file's size, mtime and ctime are those recorded.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass

from django.db import DatabaseError

from portal.models import FileCrc

log = logging.getLogger(__name__)
BATCH = 500  # paths per query (SQLite allows 32,766 parameters, older ones 999)


@dataclass(frozen=True)
class Crc:
    size: int
    mtime_ns: int
    ctime_ns: int
    crc32: int

    @classmethod
    def of(cls, info: os.stat_result, crc32: int) -> Crc:
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, crc32)

    def fits(self, info: os.stat_result) -> bool:
        """Whether the CRC still stands for a file stat'ed as `info`."""
        return (self.size, self.mtime_ns, self.ctime_ns) == (
            info.st_size,
            info.st_mtime_ns,
            info.st_ctime_ns,
        )


def _key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def _storable(path: str) -> bool:
    try:
        path.encode("utf-8")  # (a path that is not UTF-8 decodes with surrogates)
    except UnicodeError:
        return False
    return True


def known_crcs(paths: list[str]) -> dict[str, Crc]:
    """The recorded CRCs of these real paths ({} for paths without one); the caller checks that
    each still fits the file it opens."""
    found: dict[str, Crc] = {}
    for start in range(0, len(paths), BATCH):
        keys = {_key(path): path for path in paths[start : start + BATCH]}
        rows = FileCrc.objects.filter(path_key__in=keys).values_list(
            "path_key", "size", "mtime_ns", "ctime_ns", "crc32"
        )
        for key, size, mtime_ns, ctime_ns, crc32 in rows:
            found[keys[key]] = Crc(size, mtime_ns, ctime_ns, crc32)
    return found


def crcs_record(crcs: dict[str, Crc]) -> None:
    """Records (or replaces) these CRCs. A failure is logged, not raised: the download they
    come from has been sent, and the next one just reads the files again."""
    rows = [
        FileCrc(
            path_key=_key(path),
            path=path,
            size=crc.size,
            mtime_ns=crc.mtime_ns,
            ctime_ns=crc.ctime_ns,
            crc32=crc.crc32,
        )
        for path, crc in crcs.items()
        if _storable(path)
    ]
    try:
        FileCrc.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["path_key"],
            update_fields=["size", "mtime_ns", "ctime_ns", "crc32"],
        )
    except DatabaseError:
        log.warning("could not record the CRCs of %d zipped files", len(rows), exc_info=True)
