"""Walking the trees and planning the work: which sources exist, and which need extracting.

Pure (no Django, no database). A harvest walks its roots once (``survey``: one stat per
file), comparing each file's fingerprint (size, mtime_ns, inode) on the way with what the last
harvest stored for the single-file sources that are settled (known.py): an unchanged file of
those costs little more than its stat. A folder listed exactly as the last walk listed it (the
same names and fingerprints in the same order, see snapshot.py) is not even compared file by
file: its outcome is the last one. Only the other files are planned: the worker pool
identifies the new and changed ones (``ingest.identify``), and ``plan`` says, per source,
whether it is unchanged, or new/changed and must be extracted.

Paths are absolute but not resolved: a symlinked root keeps its own spelling, so mapping rules
match the paths people see. Names starting with "." are skipped (.snapshot folders, editor
files); symlinked directories are not followed. An ADIOS2 ``.bp`` directory (it holds
``md.idx``) is ONE entry: size summed, mtime the newest of its files, inode the directory's.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import NamedTuple

# Files with these endings are data files: when their content is not recognised, that is a
# failure worth recording (a broken file), not a file to ignore quietly.
DATA_SUFFIXES = (".nxs", ".nx5", ".nx", ".h5", ".hdf5", ".hdf", ".he5", ".cxi", ".nxs.h5")
DATA_SUFFIXES += (".fits", ".fit", ".fts", ".fz", ".fits.gz", ".fit.gz", ".fits.bz2")
DATA_SUFFIXES += (".bp", ".bp4", ".bp5")

FINGERPRINT = attrgetter("st_size", "st_mtime_ns", "st_ino")  # of an os.stat_result


class Entry(NamedTuple):
    """One scanned file (or .bp directory). A tuple: a re-run makes one per file."""

    path: str
    size: int
    mtime_ns: int
    ino: int

    @property
    def fingerprint(self) -> list[int]:
        return [self.size, self.mtime_ns, self.ino]


@dataclass(frozen=True, slots=True)
class Identity:
    """What a worker found a new or changed file to be (``ingest.identify``).

    format: "nexus" | "fits" | "openpmd" | "plain" (readable HDF5, nothing to map) |
    "broken" (a data file that cannot be read; ``reason`` says why) | "" (not data: ignored).
    series: the source of the openPMD fileBased series the file belongs to, else "".
    """

    format: str
    series: str = ""
    reason: str = ""


class Known(NamedTuple):
    """What the last harvest stored about a source (from its HarvestRecord)."""

    id: int
    source: str
    kind: str
    fingerprints: dict  # {path: [size, mtime_ns, ino]}
    placement: str = ""
    state: str = ""
    has_dataset: bool = False


@dataclass
class Unit:
    """One source of this run: what becomes (or already is) one dataset."""

    source: str
    kind: str  # "file" | "series" | "directory"
    folder: str
    members: list[str] = field(default_factory=list)  # the data files and .bp directories
    entries: dict[str, Entry] = field(default_factory=dict)  # every file that counts
    identity: Identity | None = None  # of a single new/changed file
    known: Known | None = None

    @property
    def fingerprints(self) -> dict[str, list[int]]:
        return {path: entry.fingerprint for path, entry in sorted(self.entries.items())}

    def unchanged(self, placement: str) -> bool:
        """Nothing to do: the same files, the same placement, and a dataset (or a skip) before."""
        known = self.known
        if known is None or not self._same_files(known.fingerprints):
            return False
        if known.state == "skipped":
            return True
        if known.placement != placement:
            return False
        return known.has_dataset and known.state in ("new", "updated", "unchanged")

    def _same_files(self, prints: dict) -> bool:
        if len(prints) != len(self.entries):
            return False
        # No sorted copy as `fingerprints` makes: a re-run asks this of every source.
        return all(prints.get(path) == entry.fingerprint for path, entry in self.entries.items())


def is_data_name(path: str) -> bool:
    return path.lower().endswith(DATA_SUFFIXES)


# --- walking -------------------------------------------------------------------------------


class Settled(Mapping):
    """{path: [size, mtime_ns, ino]} of the files whose source is unchanged if the file is
    (known.Records), and what the last walk found in each folder (``listings``, see survey).

    The walk asks ``folder(f)`` for the entries of each folder it compares file by file. Those
    of an index's folders (snapshot.py) stay packed until then: ``unpack(f)`` adds them to
    ``flat``, so a folder listed as before is never unpacked.
    """

    def __init__(self, flat=None, packed=(), unpack=None, listings=None):
        self.flat: dict[str, list] = {} if flat is None else flat
        self.packed = set(packed)
        self._unpack = unpack
        # folder -> (names "\0"-joined, fingerprints as array("q") bytes, None when every
        # file was the same, else one byte per file: 1 = the same)
        self.listings: dict[str, tuple] = {} if listings is None else listings

    def folder(self, folder: str) -> dict[str, list]:
        """`flat`, holding (at least) every settled file of `folder`."""
        if folder in self.packed:
            self.packed.discard(folder)
            self._unpack(folder)
        return self.flat

    def __getitem__(self, path: str) -> list:
        return self.folder(parent(path))[path]

    def __iter__(self):
        for folder in list(self.packed):
            self.folder(folder)
        return iter(self.flat)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Survey(NamedTuple):
    """One walk of the roots, split by what the last harvest stored (``survey``)."""

    same: dict[str, list[str]]  # folder -> paths whose fingerprint is the settled one
    rest: dict[str, Entry]  # every other file (and .bp directory)
    files: int
    listings: dict[str, tuple]  # folder -> what the walk found there (as Settled.listings)


def parent(path: str) -> str:
    """os.path.dirname of an absolute path, faster."""
    return path[: path.rfind("/")] or "/"


def walk(roots, unreadable: list[str] | None = None) -> Iterator[Entry]:
    """Every file (and .bp directory) under the roots; FileNotFoundError for a missing root.

    Folders that cannot be listed are appended to `unreadable` (their sources are not "removed").
    """
    yield from survey(roots, {}, unreadable).rest.values()


def survey(roots, settled, unreadable: list[str] | None = None) -> Survey:
    """Walks the roots (one stat per file) and compares each file with `settled` on the way:
    {path: [size, mtime_ns, ino]} of the files whose source is unchanged if the file is, or a
    Settled, whose listings let a folder found as before skip the comparison.

    A re-run over a million unchanged files makes no object per file but the path string and
    its stat, and keeps no order: planning sorts what it needs. FileNotFoundError for a missing
    root; folders that cannot be listed are appended to `unreadable`.
    """
    unreadable = [] if unreadable is None else unreadable
    settled = settled if isinstance(settled, Settled) else Settled(settled)
    found = Survey({}, {}, 0, {})
    roots = list(dict.fromkeys(os.path.abspath(root) for root in roots))
    for root in roots:
        inside = (o != root and root.startswith(o.rstrip("/") + "/") for o in roots)
        if os.path.exists(root) and any(inside):
            continue  # inside another root: walked with it, once
        if os.path.isdir(root):
            if _is_bp(root):
                _sort(found, settled, _bp_entry(root))
            else:
                _survey_dir(found, settled, root, unreadable)
        elif os.path.isfile(root):
            entry = _entry(root)
            if entry:
                _sort(found, settled, entry)
        else:
            raise FileNotFoundError(f"{root} does not exist (is the file system mounted?)")
    files = len(found.rest) + sum(len(paths) for paths in found.same.values())
    return found._replace(files=files)


def _sort(found: Survey, settled: Settled, entry: Entry) -> None:
    folder = parent(entry.path)
    if settled.folder(folder).get(entry.path) == [entry.size, entry.mtime_ns, entry.ino]:
        found.same.setdefault(folder, []).append(entry.path)
    else:
        found.rest[entry.path] = entry


def _survey_dir(found: Survey, settled: Settled, top: str, unreadable: list[str]) -> None:
    """The walk's inner loop, as close to a bare scandir + stat as it goes: per folder, its
    names and fingerprints are compared at once with what the last walk found there (C loops,
    no object per file); only a folder that differs is compared file by file (a dict lookup
    and a list comparison per file). A folder holding md.idx is a .bp directory."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                items = [item for item in listing if item.name[0] != "."]
        except OSError:  # the folder cannot be listed (or stopped being listable half-way)
            if folder != top and _is_bp(folder):
                _sort(found, settled, _bp_entry(folder))
            else:
                unreadable.append(folder)
            continue
        files, subfolders = [], []
        for item in items:
            try:
                if item.is_dir(follow_symlinks=False):
                    subfolders.append(item.path)
                elif item.is_file():
                    files.append(item)
            except OSError:
                continue
        files, stats = _stats(files)
        names = [item.name for item in files]
        if folder != top and "md.idx" in names:
            _sort(found, settled, _bp_entry(folder))
            continue
        _compare(found, settled, folder, files, names, stats)
        stack += subfolders


def _stats(files: list[os.DirEntry]) -> tuple[list[os.DirEntry], list[os.stat_result]]:
    """The files' stats, leaving out a file that vanished since the listing."""
    try:
        return files, list(map(os.DirEntry.stat, files))
    except OSError:
        kept, stats = [], []
        for item in files:
            try:
                stats.append(item.stat())
            except OSError:
                continue
            kept.append(item)
        return kept, stats


def _compare(found: Survey, settled: Settled, folder: str, files, names, stats) -> None:
    paths = [item.path for item in files]
    joined = "\0".join(names)
    try:
        prints = array("q", chain.from_iterable(map(FINGERPRINT, stats))).tobytes()
    except OverflowError:  # an inode number past 2**63: compared file by file, not kept
        prints = None
    last = settled.listings.get(folder)
    if prints is not None and last is not None and last[0] == joined and last[1] == prints:
        flags = last[2]
        if flags is None:
            if paths:
                found.same[folder] = paths
        else:
            here = [path for path, flag in zip(paths, flags, strict=True) if flag]
            for path, stat, flag in zip(paths, stats, flags, strict=True):
                if not flag:
                    found.rest[path] = Entry(path, *FINGERPRINT(stat))
            if here:
                found.same[folder] = here
        found.listings[folder] = last
        return
    known = settled.folder(folder).get
    here, flags = [], bytearray(len(paths))
    for n, (path, stat) in enumerate(zip(paths, stats, strict=True)):
        fingerprint = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        if known(path) == fingerprint:
            here.append(path)
            flags[n] = 1
        else:
            found.rest[path] = Entry(path, *fingerprint)
    if here:
        found.same[folder] = here
    if prints is not None:
        found.listings[folder] = (joined, prints, None if len(here) == len(paths) else bytes(flags))


def _is_bp(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "md.idx"))


def _bp_entry(path: str) -> Entry:
    size = newest = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            size += stat.st_size
            newest = max(newest, stat.st_mtime_ns)
    return Entry(path, size, newest, os.stat(path).st_ino)


def _entry(path: str) -> Entry | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return Entry(path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


def under(path: str, roots) -> bool:
    """True when `path` is one of the roots or inside one (a series source counts as inside)."""
    return within(roots)(path)


def within(roots) -> Callable[[str], bool]:
    """under(path, roots) as a function of `path`, the roots normalised once."""
    exact = set()
    prefixes = []
    for root in roots:
        root = os.path.abspath(root).rstrip("/") or "/"
        exact.add(root)
        prefixes.append(root.rstrip("/") + "/")
    prefixes = tuple(prefixes)
    return lambda path: path in exact or path.startswith(prefixes)


# --- planning ------------------------------------------------------------------------------


def fresh(
    entries: dict[str, Entry], known_files: dict[str, Known], group_by: Callable[[str], str]
) -> list[str]:
    """The paths a worker must identify: new or changed files, and files whose grouping moved."""
    out = []
    for path, entry in entries.items():
        known = known_files.get(path)
        if (
            known is None
            or known.fingerprints.get(path) != entry.fingerprint
            or (known.kind == "directory") != (group_by(path) == "directory")
        ):
            out.append(path)
    return out


def plan(
    entries: dict[str, Entry],
    known_files: dict[str, Known],
    known_sources: dict[str, Known],
    identities: dict[str, Identity],
    group_by: Callable[[str], str],
) -> list[Unit]:
    """The sources found, each with its files and its previous record, in path order.

    A file keeps the source it had (a series member stays in its series) unless it is new or
    changed, when its identity decides. In directory mode a directory is a source when one of
    its files is data (or it was a source before), and every file in it counts.
    """
    units: dict[str, Unit] = {}
    by_folder: dict[str, list[Entry]] = {}
    for path in sorted(entries):
        entry = entries[path]
        folder = path[: path.rfind("/")] or "/"  # os.path.dirname of an absolute path, faster
        by_folder.setdefault(folder, []).append(entry)
        identity = identities.get(path)
        directory = group_by(path) == "directory"
        if identity is not None:
            if identity.format == "" and not (directory and folder in known_sources):
                continue  # not data
            if directory:
                source, kind = folder, "directory"
            elif identity.series:
                source, kind = identity.series, "series"
            else:
                source, kind = path, "file"
        else:
            known = known_files[path]
            source, kind = known.source, known.kind
        unit = units.get(source)
        if unit is None:
            unit = units[source] = Unit(source, kind, folder, known=known_sources.get(source))
        if identity is None or identity.format != "":
            unit.members.append(path)
        if kind == "file" and identity is not None:
            unit.identity = identity
        unit.entries[path] = entry
    for unit in units.values():
        if unit.kind == "directory":  # every file of the folder counts, data or not
            unit.entries = {e.path: e for e in by_folder.get(unit.source, [])}
    return [units[source] for source in sorted(units)]
