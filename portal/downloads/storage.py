"""Where a catalogued file lives on disk, confined to the configured download roots.

A file is ``<folder>/<DataFile.path>``: the folder is the harvest record's local folder when
the dataset was harvested (its ``sourceFolder`` may then name a path on a storage server), else
the dataset's ``sourceFolder``. The joined path is resolved (symlinks followed, ``..`` refused
outright) and must lie inside one of ``settings.DOWNLOAD_ROOTS``, themselves resolved; the file
is then opened with O_NOFOLLOW and checked to be a regular file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings


class FileUnavailable(Exception):
    """A file that cannot be served: `status` 403 (refused) or 404 (missing), and why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


NOT_ENABLED = "Downloads are not enabled on this site (no DOWNLOAD_ROOTS are configured)."
OUTSIDE = "This file lies outside the storage areas this site serves files from."
MISSING = "The file {path} is not on the storage any more (moved or deleted)."


def download_roots() -> list[Path]:
    """The resolved storage roots; [] means downloads are disabled."""
    roots = getattr(settings, "DOWNLOAD_ROOTS", None) or []
    if isinstance(roots, str | os.PathLike):
        roots = [roots]
    return [Path(root).resolve() for root in roots if str(root).strip()]


def downloads_enabled() -> bool:
    return bool(download_roots())


def dataset_folder(dataset) -> str:
    """The local folder the dataset's file paths are relative to."""
    from catalogue.models import HarvestRecord

    folder = HarvestRecord.objects.filter(dataset=dataset).values_list("folder", flat=True).first()
    return folder or dataset.source_folder or ""


def _checked(folder: str, path: str, roots: list[Path]) -> PurePosixPath:
    """`path` parsed, or FileUnavailable for a path that may never be served."""
    if not roots:
        raise FileUnavailable(404, NOT_ENABLED)
    relative = PurePosixPath(path or "")
    if not path or "\x00" in path or "\x00" in folder or ".." in relative.parts:
        raise FileUnavailable(403, OUTSIDE)
    if not Path(folder).is_absolute():
        raise FileUnavailable(403, OUTSIDE)
    return relative


def _confined(real: Path, roots: list[Path]) -> Path:
    # Containment is decided on the resolved path before anything about existence is said, so
    # the answer never tells whether a file outside the roots exists.
    if not any(real.is_relative_to(root) for root in roots):
        raise FileUnavailable(403, OUTSIDE)
    return real


def resolve(folder: str, path: str, roots: list[Path]) -> Path:
    """The real path of `path` under `folder`, or FileUnavailable (403 outside, 404 missing)."""
    relative = _checked(folder, path, roots)
    real = _confined((Path(folder) / relative).resolve(strict=False), roots)
    if not real.is_file():
        raise FileUnavailable(404, MISSING.format(path=path))
    return real


class Resolver:
    """resolve() for the many files of one folder (a zip), with the same answers, cheaper.

    resolve() looks up every component of every path from / (one lstat each) to follow
    symlinks: for a zip of 20,000 files that was most of the time before the first byte. Here
    the folder's real path is found once, then only each file's own components are looked up
    from it; a symlink or a lookup error among them sends that file through resolve() itself.
    """

    def __init__(self, folder: str, roots: list[Path]):
        self.folder, self.roots = folder, roots
        self.base = None  # the folder's real path, found at the first file
        self.prefixes = [str(root).rstrip("/") + "/" for root in roots]

    def __call__(self, path: str) -> Path:
        relative = _checked(self.folder, path, self.roots)
        if relative.is_absolute() or not relative.parts:
            return resolve(self.folder, path, self.roots)
        if self.base is None:
            self.base = str(Path(self.folder).resolve(strict=False))
        real = self.base
        try:
            for part in relative.parts:
                real = f"{real.rstrip('/')}/{part}"
                info = os.lstat(real)
                if stat.S_ISLNK(info.st_mode):
                    return resolve(self.folder, path, self.roots)
        except OSError:
            return resolve(self.folder, path, self.roots)
        # No symlink on the way, so `real` is resolved: the roots' test on strings is
        # Path.is_relative_to's, and lstat's answer is stat's.
        if not any((real + "/").startswith(prefix) for prefix in self.prefixes):
            raise FileUnavailable(403, OUTSIDE)
        if not stat.S_ISREG(info.st_mode):
            raise FileUnavailable(404, MISSING.format(path=path))
        return Path(real)


@dataclass
class OpenedFile:
    path: Path
    handle: object  # a binary file object
    size: int
    mtime_ns: int

    @property
    def etag(self) -> str:
        return f'"{self.size:x}-{self.mtime_ns:x}"'


def open_file(real: Path, display_path: str) -> OpenedFile:
    """Opens a resolved path without following a symlink swapped in since it was checked."""
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise FileUnavailable(404, MISSING.format(path=display_path)) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise FileUnavailable(404, MISSING.format(path=display_path))
    return OpenedFile(real, os.fdopen(fd, "rb"), info.st_size, info.st_mtime_ns)
