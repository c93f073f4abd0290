"""What the last harvest stored about the roots' sources, indexed for a re-run (``Records``).

Pure (no Django, no database): the rows come from the caller, or from an index the caller
found current (snapshot.py). A re-run over a million unchanged files reads a million records,
so the loop over them is kept short, and whatever can be settled here (a single-file source
that the mapping still groups and places as before) is settled here, leaving the walk one
comparison per file (``scan.survey``), or none for a folder listed as before.
"""

from __future__ import annotations

import json
import marshal
from array import array
from collections.abc import Callable
from itertools import chain

from .mapping import Mapping
from .scan import Entry, Known, Settled, parent

DONE = ("new", "updated", "unchanged")  # states of a source whose dataset is as its files say
REMOVED = "removed"


class Records:
    """What the last harvest stored about the roots' sources, indexed for this run.

    Made from chunks of rows (id, source, kind, fingerprints, placement, state, dataset_id),
    the fingerprints JSON text or decoded; `rows` keeps them by source, as they came (those of
    an index's settled sources only once their folder is unpacked).

    `settled` holds {path: [size, mtime_ns, ino]} of the single-file sources that are unchanged
    if their file is: a dataset the mapping still groups by file and places where it did, or a
    skip (`skips`). The walk compares with it directly. `files` maps the paths of every other
    record to its Known; when two records name a path, the one with the greater source wins
    (as when records are read in source order). It also serves as `known_sources` for ``plan``
    (``get``, ``in``), making a Known only for the sources asked for.

    Whether a record is settled depends on its row alone (``_take``), but for a file that
    another record names too (``_resolve``): so the records of some folders can be read anew
    while the others are kept (``update``, for an index found stale here and there).
    """

    def __init__(self, chunks, mapping: Mapping, loads=json.loads):
        self._setup(loads)
        self._take(chunks, mapping)
        self._resolve()

    def _setup(self, loads) -> None:
        self.rows: dict[str, tuple] = {}
        self.settled = Settled(unpack=self._unpack)
        self.skips: set[str] = set()
        self.files: dict[str, Known] = {}
        self._others: set[str] = set()  # the sources of the rows that could not be settled
        # path -> (fingerprint, skip) of the settled files that another record names too
        self._overruled: dict[str, tuple[list, bool]] = {}
        self._made: dict[str, Known] = {}
        self._loads = loads
        self._counts: dict[str, int] = {}  # folder -> its settled sources, of an index
        self._blobs: dict[str, bytes] = {}  # folder -> its settled sources, packed (or alike)
        self._files_from: dict[str, str] = {}  # `files` as made: {path: source}
        self.tokens: dict | None = None  # of the records' folders when read (snapshot.py)
        self.restored = False  # from an index, not from rows

    def _take(self, chunks, mapping: Mapping) -> None:
        rows, settled, others, loads = self.rows, self.settled.flat, self._others, self._loads
        by_file, placed = _by_file(mapping), _placements(mapping)
        for chunk in chunks:  # a re-run may read every record: this loop is kept short
            rows.update({row[1]: row for row in chunk})
            for _, source, kind, prints, placement, state, dataset_id in chunk:
                if kind == "file" and (
                    (state in DONE and dataset_id is not None) or state == "skipped"
                ):
                    if prints.__class__ is not dict:
                        prints = loads(prints)
                    fingerprint = prints.get(source)
                    if (
                        fingerprint is not None
                        and len(prints) == 1
                        and (by_file is None or by_file(source))
                    ):
                        if state == "skipped":  # a skip stays a skip wherever the mapping puts it
                            self.skips.add(source)
                        elif placed(source) != placement:
                            others.add(source)
                            continue
                        settled[source] = fingerprint
                        continue
                others.add(source)

    def _resolve(self) -> set[str]:
        """Makes `files` from the unsettled records; a settled file one of them names goes to
        the greater source. Returns the folders whose settled files this changed."""
        settled, skips, before = self.settled, self.skips, self._overruled
        for path, (fingerprint, skip) in before.items():  # settled again, unless overruled again
            settled.folder(parent(path))[path] = fingerprint
            if skip:
                skips.add(path)
        self._overruled = {}
        files: dict[str, Known] = {}
        for source in self._others:
            known = self.get(source)
            for path in known.fingerprints:
                other = files.get(path)
                if other is None or other.source < source:
                    files[path] = known
        for path, known in files.items():
            flat = settled.folder(parent(path))
            if path in flat:
                if known.source > path:  # another record's, by the rule above
                    self._overruled[path] = (flat.pop(path), path in skips)
                    skips.discard(path)
                else:
                    files[path] = self.get(path)
        self.files = files
        self._files_from = {path: known.source for path, known in files.items()}
        return {parent(path) for path in before.keys() ^ self._overruled.keys()}

    def update(self, chunks, folders: set[str], mapping: Mapping) -> set[str]:
        """The records of `folders` (as scan.parent names a source's) replaced by the rows in
        `chunks`, read anew; returns the folders whose settled files may differ now."""
        settled = self.settled
        for folder in folders & settled.packed:
            settled.packed.discard(folder)
            del self._counts[folder]

        def kept(path: str) -> bool:
            return parent(path) not in folders

        for source in [s for s in self.rows if not kept(s)]:
            del self.rows[source]
            self._made.pop(source, None)
        for path in [p for p in settled.flat if not kept(p)]:
            del settled.flat[path]
        self._others = {source for source in self._others if kept(source)}
        self.skips = {path for path in self.skips if kept(path)}
        self._overruled = {path: v for path, v in self._overruled.items() if kept(path)}
        self._take(chunks, mapping)
        return folders | self._resolve()

    @classmethod
    def restore(cls, state: dict, loads=json.loads) -> Records:
        """The Records an index holds (as ``pack`` made it), its folders still packed."""
        records = cls.__new__(cls)
        records._setup(loads)
        records.rows = {row[1]: row for row in state["rows"]}
        records._overruled = state["overruled"]
        records._others = records.rows.keys() - records._overruled.keys()
        records._counts, records._blobs = state["folders"], state["blobs"]
        records.settled = Settled(
            packed=records._counts, unpack=records._unpack, listings=state["listings"]
        )
        records.skips = set(state["skips"])
        records._files_from = state["files"]
        records.files = {path: records.get(s) for path, s in records._files_from.items()}
        records.restored = True
        return records

    def pack(self, listings: dict) -> dict:
        """What an index keeps of these records (``restore``), and the walk's `listings`:
        the number of settled sources of each folder ("folders") and their rows packed
        together ("blobs", see ``_packed``), the other records as rows. ValueError when a
        settled fingerprint is not three integers."""
        flat, rows = self.settled.flat, self.rows
        by_folder: dict[str, list[str]] = {}
        for path in flat:
            by_folder.setdefault(parent(path), []).append(path)
        folders = {folder: self._counts[folder] for folder in self.settled.packed}
        blobs = {folder: self._blobs[folder] for folder in self.settled.packed}
        for folder, paths in by_folder.items():
            folders[folder] = len(paths)
            blobs[folder] = _packed(folder, paths, [rows[p] for p in paths], flat)
        return {
            "rows": [row for source, row in rows.items() if source not in flat],
            "overruled": self._overruled,
            "folders": folders,
            "blobs": blobs,
            "skips": sorted(self.skips),
            "files": self._files_from,
            "listings": listings,
        }

    def _unpack(self, folder: str) -> None:
        names, columns, prints = marshal.loads(self._blobs[folder])
        fingerprints = array("q")
        fingerprints.frombytes(prints)
        base = folder.rstrip("/") + "/"
        flat, rows = self.settled.flat, self.rows
        for n, (name, row) in enumerate(zip(names, columns, strict=True)):
            pk, placement, state, dataset_id = row
            source = base + name
            fingerprint = flat[source] = fingerprints[3 * n : 3 * n + 3].tolist()
            rows[source] = (pk, source, "file", {source: fingerprint}, placement, state, dataset_id)

    def __contains__(self, source: str) -> bool:
        return self.get(source) is not None

    def get(self, source: str, default=None) -> Known | None:
        known = self._made.get(source)
        if known is None:
            row = self.rows.get(source)
            if row is None:
                if parent(source) not in self.settled.packed:
                    return default
                self.settled.folder(parent(source))
                row = self.rows.get(source)
                if row is None:
                    return default
            pk, source, kind, prints, placement, state, dataset_id = row
            if not isinstance(prints, dict):
                prints = self._loads(prints)
            known = Known(pk, source, kind, prints, placement, state, dataset_id is not None)
            self._made[source] = known
        return known

    def unsettle(self, path: str) -> Entry:
        """A settled file the walk found the same that must be planned after all."""
        self.files[path] = self.get(path)
        return Entry(path, *self.settled[path])

    def gone(self, sources: set[str], same: dict[str, list[str]]) -> list[str]:
        """The sources, in order, that are neither in `sources` nor found the same by the walk
        (`same`, as scan.Survey), and not already removed: those the run did not find.

        A packed folder all of whose settled files were found the same has none."""
        packed, counts = self.settled.packed, self._counts
        for folder in [f for f in packed if len(same.get(f, ())) != counts[f]]:
            self.settled.folder(folder)
        gone = self.rows.keys() - sources
        for paths in same.values():
            if not gone:
                break
            gone.difference_update(paths)
        return sorted(s for s in gone if self.rows[s][5] != REMOVED)


def _packed(folder: str, paths: list[str], rows: list[tuple], flat: dict) -> bytes:
    """The settled sources of a folder, compact: their names, (id, placement, state, dataset)
    each (the same placement and state strings shared), their fingerprints as array("q")."""
    start = len(folder.rstrip("/")) + 1
    shared: dict[str, str] = {}
    columns = [
        (pk, shared.setdefault(placement, placement), shared.setdefault(state, state), dataset)
        for pk, _, _, _, placement, state, dataset in rows
    ]
    prints = [flat[path] for path in paths]
    if any(fingerprint.__class__ is not list or len(fingerprint) != 3 for fingerprint in prints):
        raise ValueError("a fingerprint that is not [size, mtime_ns, inode]")
    fingerprints = array("q", chain.from_iterable(prints)).tobytes()
    return marshal.dumps(([path[start:] for path in paths], columns, fingerprints))


def _by_file(mapping: Mapping) -> Callable[[str], bool] | None:
    """None when the mapping groups every file source by file, else the test for one."""
    if mapping.group_by == "file" and not any(rule.group_by for rule in mapping.rules):
        return None
    return lambda path: mapping.group_by_for(path) == "file"


def _placements(mapping: Mapping) -> Callable[[str], str]:
    """mapping.place(path, folder).digest() of a file source, made once per folder, rule and
    groups (what a placement is made of, see Mapping.place): far fewer than the files."""
    searches = [(n, rule.pattern.search) for n, rule in enumerate(mapping.rules)]
    made: dict[str, dict] = {}  # folder -> {(rule, groups): digest}
    last = ["", {}]  # records come folder by folder, mostly

    def digest(path: str) -> str:
        folder = path.rpartition("/")[0] or "/"
        if folder == last[0]:
            here = last[1]
        else:
            here = made.get(folder)
            if here is None or len(here) > 256:  # a rule that tells every file apart
                here = made[folder] = {}
            last[:] = folder, here
        key = None
        for n, search in searches:
            if (match := search(path)) is not None:
                key = (n, match.groups())
                break
        found = here.get(key)
        if found is None:
            found = here[key] = mapping.place(path, folder).digest()
        return found

    return digest
