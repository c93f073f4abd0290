"""What the last harvest stored about the roots' sources, indexed for a re-run (``Records``).

Pure (no Django, no database): the rows come from the caller. A re-run over a million
unchanged files reads a million records, so the loop over them is kept short, and whatever
can be settled here (a single-file source that the mapping still groups and places as before)
is settled here, leaving the walk one comparison per file (``scan.survey``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from .mapping import Mapping
from .scan import Entry, Known

DONE = ("new", "updated", "unchanged")  # states of a source whose dataset is as its files say


class Records:
    """What the last harvest stored about the roots' sources, indexed for this run.

    Made from chunks of rows (id, source, kind, fingerprints, placement, state, dataset_id),
    the fingerprints JSON text or decoded; `rows` keeps them by source, as they came.

    `settled` holds {path: [size, mtime_ns, ino]} of the single-file sources that are unchanged
    if their file is: a dataset the mapping still groups by file and places where it did, or a
    skip (`skips`). The walk compares with it directly. `files` maps the paths of every other
    record to its Known; when two records name a path, the one with the greater source wins
    (as when records are read in source order). It also serves as `known_sources` for ``plan``
    (``get``, ``in``), making a Known only for the sources asked for.
    """

    def __init__(self, chunks, mapping: Mapping, loads=json.loads):
        self.rows: dict[str, tuple] = {}
        self.settled: dict[str, list] = {}
        self.skips: set[str] = set()
        self.files: dict[str, Known] = {}
        self._made: dict[str, Known] = {}
        self._loads = loads
        rows, settled, others = self.rows, self.settled, []
        by_file, placed = _by_file(mapping), _placements(mapping)
        for chunk in chunks:  # a re-run reads every record: this loop is kept short
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
                            others.append(source)
                            continue
                        settled[source] = fingerprint
                        continue
                others.append(source)
        files = self.files
        for source in others:
            known = self.get(source)
            for path in known.fingerprints:
                other = files.get(path)
                if other is None or other.source < source:
                    files[path] = known
        for path, known in files.items():
            if path in settled:
                if known.source > path:
                    del settled[path]  # another record's, by the rule above
                    self.skips.discard(path)
                else:
                    files[path] = self.get(path)

    def __contains__(self, source: str) -> bool:
        return source in self.rows

    def get(self, source: str, default=None) -> Known | None:
        known = self._made.get(source)
        if known is None:
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
