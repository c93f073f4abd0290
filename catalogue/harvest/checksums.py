"""File checksums for the harvest's checksum stage (worker side; pure).

sha256 by default (hardware-accelerated, ≈ 1.5 GB/s a core), any hashlib algorithm by name
(blake2b for ESS compatibility, md5 for old archives). The algorithm goes into the block's
``chkAlg``; a file is hashed only when its row has no checksum or one of another algorithm,
and only stored when its size and mtime are still those of its row (else the next harvest
updates the row first).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_ALGORITHM = "sha256"


def algorithm(name: str) -> str:
    """The algorithm's hashlib name; ValueError for unknown or variable-length ones."""
    name = (name or DEFAULT_ALGORITHM).strip().lower().replace("-", "")
    if name not in hashlib.algorithms_available or name.startswith("shake"):
        choices = sorted(a for a in hashlib.algorithms_guaranteed if not a.startswith("shake"))
        raise ValueError(f"unknown checksum algorithm {name!r}; use one of {', '.join(choices)}")
    return name


@dataclass(frozen=True)
class Task:
    id: int  # the DataFile row
    path: str  # local absolute path
    size: int
    time: str  # the row's mtime, ISO 8601 (UTC)


def digest(path: str, name: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, name).hexdigest()


def _still(path: str, task: Task) -> bool:
    stat = os.stat(path)
    if stat.st_size != task.size:
        return False
    if not task.time:
        return True
    moment = datetime.fromisoformat(task.time.replace("Z", "+00:00"))
    seen = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    return abs((seen - moment).total_seconds()) < 1e-3


def hash_files(tasks: list[Task], name: str) -> list[tuple[int, str, str]]:
    """[(row id, hex digest or "", problem)] for a chunk of files."""
    out = []
    for task in tasks:
        try:
            if not _still(task.path, task):
                out.append((task.id, "", "changed since it was listed"))
                continue
            out.append((task.id, digest(task.path, name), ""))
        except OSError as exc:
            out.append((task.id, "", exc.strerror or str(exc)))
    return out
