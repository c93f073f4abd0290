"""A harvest's index of its roots: what the last run knew, so that a re-run over unchanged files
reads neither every record nor compares every file (as git's index spares ``git status``).

The database stays the truth; the index (a file in FEDCAT_DATA_DIR/harvest-index) only saves
time, and only where it is proven current:

- Every folder holding sources has a random *token* in the database, drawn anew by a trigger
  on every insert, update or delete of a record in it, whoever writes (this harvest, another
  one, the API deleting a dataset, the admin, raw SQL; migration 0009_harvest_folder_tokens).
- The index keeps the tokens of its roots' folders as read *before* the records it holds: a
  change committed in between only makes the index look stale there.
- A run trusts the index for the folders whose token is the one it kept, and reads the
  records of the others again (tokens first; through an index on the folder expression).
  An index made for other roots, another mapping, another format or other code that settles
  files is not used at all, nor any index when the triggers are missing: the run reads every
  record, as it did before.
- At its end a run writes the index again when it learnt something: the records of the
  folders it (or anyone) changed read anew, so that the next run finds it current. A run
  killed midway writes none, and its writes changed the tokens.

What the index holds: the records as known.Records.pack keeps them (each folder's settled
sources packed apart, and mapped, not read, until a folder is unpacked) and what the walk found
in each folder (scan.Settled.listings): a folder listed exactly as then (names, sizes, mtimes
and inodes, in the same order) has the same outcome, found without a lookup per file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import mmap
import os
import re
import struct
import sys
import tempfile
from array import array
from dataclasses import asdict
from functools import cache
from pathlib import Path

import orjson
from django.conf import settings
from django.db import connection

from catalogue.models import HarvestRecord

from .batches import paused_gc
from .known import Records
from .mapping import Mapping
from .scan import Settled, Survey, within

logger = logging.getLogger(__name__)

FORMAT = 1  # of the index file; a file of another format is not read
MAGIC = b"fcindex" + bytes([FORMAT])
HEAD = struct.Struct("<8sQ")  # MAGIC, the length of the marshalled state after it
MIN_FILES = 1000  # a run walking fewer files writes no index: reading its records is quick
KEEP = 32  # index files kept, the most recently written (one per set of roots harvested)
TABLE = "catalogue_harvest_folder_token"  # folder (a source up to its last "/") -> token
# A record's folder in SQL, exactly as the triggers and indexes of the migration write it.
FOLDER_SQL = {
    "sqlite": "rtrim(source, replace(source, '/', ''))",
    "postgresql": "(CASE WHEN strpos(source, '/') > 0 "
    "THEN left(source, length(source) - strpos(reverse(source), '/') + 1) ELSE '' END)",
}
COLUMNS = "id, source, kind, fingerprints, placement, state, dataset_id"  # as read_rows
CODE = ("known.py", "mapping.py", "scan.py", "snapshot.py")  # what decides what is settled


def load(roots: list[str], mapping: Mapping, read_rows) -> Records:
    """The records of the roots: from their index when it is current, the folders whose
    tokens changed since read anew; else all from the database through ``read_rows(roots)``
    (chunks of rows, see known.Records)."""
    roots = _normal(roots)
    tokens = folder_tokens(roots)  # before the rows: see the module's docstring
    state = _read(index_path(roots)) if tokens is not None else None
    records = None
    if state is not None and state.get("key") == _key(roots, mapping):
        records = _restored(state, tokens, roots, mapping)
    if records is None:
        records = Records(read_rows(roots), mapping, orjson.loads)
    records.tokens = tokens
    return records


def _restored(state: dict, tokens: dict, roots: list[str], mapping: Mapping) -> Records | None:
    """The records an index holds, those of the folders whose token changed read anew; None
    for an index that does not hold what this code writes."""
    try:
        records = Records.restore(state["records"], orjson.loads)
        changed = _changed(state["tokens"], tokens)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if changed:
        for folder in records.update(rows_in(roots, changed), changed, mapping):
            records.settled.listings.pop(folder, None)  # to be compared file by file
    return records


def save(records: Records, found: Survey, roots: list[str], mapping: Mapping) -> None:
    """Writes the roots' index at the end of a run, when the run learnt something new: the
    records as they are now (the folders whose tokens changed since ``load`` read anew) and
    what the walk found (`found`)."""
    if records.tokens is None:
        return
    roots = _normal(roots)
    path = index_path(roots)
    if found.files < MIN_FILES:
        _remove(path)
        return
    with paused_gc():
        tokens = folder_tokens(roots)
        listings = found.listings
        changed = _changed(records.tokens, tokens)
        if changed:  # this run, or another writer, changed records
            touched = records.update(rows_in(roots, changed), changed, mapping)
            listings = relisted(listings, records.settled, touched)
        elif records.restored and listings == records.settled.listings:
            return  # the index says all this already
        try:
            packed = records.pack(listings)
        except (ValueError, TypeError, OverflowError):  # a record no index can hold
            _remove(path)
            return
        try:
            _write(path, {"key": _key(roots, mapping), "tokens": tokens, "records": packed})
        except OSError as exc:  # the harvest is done all the same; the next run reads records
            logger.warning("harvest index %s not written: %s", path, exc)


def relisted(listings: dict[str, tuple], settled: Settled, folders: set[str]) -> dict[str, tuple]:
    """The walk's listings with the files of `folders` compared again with `settled` (records
    read after the walk): the outcome the next walk finds for a folder listed the same."""
    out = dict(listings)
    for folder in folders & listings.keys():
        names, prints, _ = listings[folder]
        known = settled.folder(folder).get
        base = folder.rstrip("/") + "/"
        fingerprints = array("q")
        fingerprints.frombytes(prints)
        flags = bytearray()
        for n, name in enumerate(names.split("\0") if names else ()):
            flags.append(known(base + name) == fingerprints[3 * n : 3 * n + 3].tolist())
        out[folder] = (names, prints, None if all(flags) else bytes(flags))
    return out


def rows_in(roots: list[str], folders: set[str]):
    """Chunks of rows, as ``read_rows``, of the records under the roots in `folders` (by the
    expression the triggers use, which an index of the migration serves)."""
    inside = within(roots)
    table = HarvestRecord._meta.db_table
    partitions = sorted(folder.rstrip("/") + "/" for folder in folders)
    with connection.cursor() as cursor:
        for start in range(0, len(partitions), 500):
            some = partitions[start : start + 500]
            cursor.execute(
                f"SELECT {COLUMNS} FROM {table} WHERE {FOLDER_SQL[connection.vendor]} "
                f"IN ({', '.join(['%s'] * len(some))})",
                some,
            )
            yield [row for row in cursor.fetchall() if inside(row[1])]


def _changed(before: dict[str, int], now: dict[str, int]) -> set[str]:
    """The folders (as scan.parent names a source's) whose token differs."""
    return {
        partition[:-1] or "/"
        for partition in before.keys() | now.keys()
        if partition and before.get(partition) != now.get(partition)
    }


def folder_tokens(roots: list[str]) -> dict[str, int] | None:
    """{folder: token} of the folders that may hold the roots' sources (a source is its folder
    up to the last "/" and the rest), or None when the database keeps no tokens."""
    if connection.vendor not in FOLDER_SQL or not _triggers_on():
        return None
    where, params = [], []
    for root in roots:
        prefix = root.rstrip("/") + "/"
        where.append("folder = %s OR substr(folder, 1, %s) = %s")
        params += [root[: root.rfind("/") + 1], len(prefix), prefix]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT folder, token FROM {TABLE} WHERE {' OR '.join(where)}", params)
        return dict(cursor.fetchall())


def _triggers_on() -> bool:
    """The triggers that draw the tokens are there (and enabled): a migration that rebuilds
    the records' table on SQLite drops them, and must create them again."""
    table = HarvestRecord._meta.db_table
    names = [f"{TABLE}_{event}" for event in ("insert", "update", "delete")]
    if connection.vendor == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
        sql += " AND name IN (%s, %s, %s)"
    else:
        sql = "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass"
        sql += " AND tgenabled <> 'D' AND tgname IN (%s, %s, %s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table, *names])
        return cursor.fetchone()[0] == len(names)


def index_dir() -> Path:
    return Path(getattr(settings, "HARVEST_INDEX_DIR", "") or settings.DATA_DIR / "harvest-index")


def index_path(roots: list[str]) -> Path:
    name = hashlib.sha256("\0".join(_normal(roots)).encode()).hexdigest()[:32]
    return index_dir() / f"{name}.index"


def _normal(roots) -> list[str]:
    return sorted({os.path.abspath(root) for root in roots})


def _key(roots: list[str], mapping: Mapping) -> str:
    """What the index's content depends on besides the records: the roots, the mapping (its
    patterns in full: a pattern's repr is cut short) and the code that settles files."""
    text = json.dumps([roots, asdict(mapping)], default=_plain, sort_keys=True)
    return hashlib.sha256(f"{_code()}\0{text}".encode()).hexdigest()


def _plain(value):
    if isinstance(value, re.Pattern):
        return [value.pattern, value.flags]
    raise TypeError(f"{type(value).__name__} in a mapping")


@cache
def _code() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256(f"{FORMAT} {sys.version_info[:2]}".encode())
    for name in CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _read(path: Path) -> dict | None:
    """The index in `path`, or None when there is none (or none of this format). The packed
    folders stay in the file (mapped, not read) until a folder is unpacked."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size <= HEAD.size:
                return None
            view = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        magic, length = HEAD.unpack(view[: HEAD.size])
        base = HEAD.size + length
        if magic != MAGIC or base > size:
            return None
        state = marshal.loads(view[HEAD.size : base])
        blobs = _Blobs(view, base, state["records"]["blobs"])
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None
    if any(base + offset + length > size for offset, length in blobs.where.values()):
        return None
    state["records"]["blobs"] = blobs
    return state


class _Blobs:
    """{folder: bytes} of an index's packed folders, read from the mapped file when asked."""

    def __init__(self, view: mmap.mmap, base: int, where: dict[str, tuple[int, int]]):
        self.view, self.base, self.where = view, base, where

    def __getitem__(self, folder: str) -> bytes:
        offset, length = self.where[folder]
        return self.view[self.base + offset : self.base + offset + length]


def _write(path: Path, state: dict) -> None:
    """Writes `state` to `path` whole or not at all (a reader sees the old file or the new
    one), then keeps the KEEP newest index files. The packed folders go after the rest, so a
    reader maps them without reading them."""
    blobs = state["records"]["blobs"]
    where, offset = {}, 0
    for folder, blob in blobs.items():
        where[folder] = (offset, len(blob))
        offset += len(blob)
    head = marshal.dumps({**state, "records": {**state["records"], "blobs": where}})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".", delete=False) as out:
        try:
            out.write(HEAD.pack(MAGIC, len(head)))
            out.write(head)
            for blob in blobs.values():
                out.write(blob)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, path)
    indexes = sorted(path.parent.glob("*.index"), key=_mtime, reverse=True)
    for old in indexes[KEEP:]:
        old.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("harvest index %s not removed: %s", path, exc)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
