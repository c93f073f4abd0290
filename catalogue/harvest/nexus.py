"""NeXus (HDF5) → DatasetDraft, with h5py only.

Policy: ONE dataset per file.  Every NXentry (found by ``NX_class``, whatever its name) is walked
and listed; the primary entry (the root ``default`` attribute, else the first by name) gives the
name, description, proposal and run number; start/end times span all entries; techniques and
keywords come from all of them.  Metadata lands in
``scientific_metadata["entries"][<entry>][<path within the entry>]`` as leaves
``{"value", "unit", "@attr"...}`` (dots in names become "_", as SciCat mangles dotted keys).

Safety: one low-level link visit per entry (HDF5 visits each group once, so hard-link
cycles end; soft and external links are listed, never followed).  A dataset's value is read only
when it has at most MAX_ELEMENTS elements and MAX_BYTES bytes and is not virtual; otherwise its
shape/dtype/units are recorded.  The walk stops at MAX_OBJECTS objects or TIME_BUDGET seconds.
"""

from __future__ import annotations

import time
from contextlib import closing
from functools import lru_cache
from pathlib import Path

from h5py import h5d, h5g, h5l, h5o

from .draft import (
    EMAIL_RE,
    DatasetDraft,
    ExtractionError,
    as_text,
    parse_time,
    real_text,
    start_draft,
)
from .hdf5 import (
    attr_leaf,
    dataset_leaf,
    h5f_name,
    hdf5_attrs,
    key,
    nx_class,
    open_file,
    reason,
    resolve,
)
from .techniques import technique_for

MAX_OBJECTS = 5000
MAX_DEPTH = 16
TIME_BUDGET = 10.0


class _Entry:
    """What the walk found in one NXentry: group classes and metadata leaves by relative path."""

    def __init__(self, name: str, attrs: dict):
        self.name = name
        self.classes: dict[str, str] = {}
        self.names: dict[str, str] = {}  # group key path -> real HDF5 path (keys lose dots)
        self.meta: dict[str, dict] = {}
        self.links: list[tuple[str, str]] = []  # (key path, HDF5 name) of NeXus-linked fields
        self.attrs = attrs
        self.peers: dict[str, _Entry] = {}  # all entries of the file, by name

    def text(self, path: str) -> str:
        node = self.node(path)
        return real_text(node.get("value")) if node else ""

    def node(self, path: str) -> dict | None:
        """The leaf at path; a NeXus link is followed to its target's leaf (in any entry)."""
        node = self.meta.get(path)
        if node and "target" in node:
            owner, _, rest = node["target"].lstrip("/").partition("/")
            peer = self.peers.get(owner)
            node = peer.meta.get(_key_path(rest)) if peer else None
        return node

    def groups(self, nx: str, parent: str | None = "") -> list[str]:
        """Group paths of class nx; direct children of parent, or anywhere when parent is None."""
        return [
            path
            for path, cls in self.classes.items()
            if cls == nx and (parent is None or path.rpartition("/")[0] == parent)
        ]

    def first(self, nx: str, parent: str = "") -> str | None:
        found = self.groups(nx, parent) or self.groups(nx, None)
        return found[0] if found else None


def _walk(gid, entry: _Entry, draft: DatasetDraft, budget: dict) -> None:
    base = "/" + entry.name
    filename = h5f_name(gid)
    links = gid.links

    def visit(raw_name: bytes, info):
        if budget["objects"] >= MAX_OBJECTS or time.monotonic() > budget["deadline"]:
            return True  # a non-None return stops the HDF5 visit
        budget["objects"] += 1
        name = raw_name.decode("utf-8", "surrogateescape")
        if name.count("/") >= MAX_DEPTH:
            return None
        where = f"{base}/{name}"
        path = _key_path(name)
        try:
            if info.type == h5l.TYPE_SOFT:
                entry.meta[path] = {"link": as_text(links.get_val(raw_name))}
            elif info.type == h5l.TYPE_EXTERNAL:
                target_file, target_path = (as_text(v) for v in links.get_val(raw_name))
                entry.meta[path] = {"external": target_file, "path": target_path}
                target = resolve(filename, target_file)
                if target.is_file():
                    draft.add_file(target)
                else:
                    draft.warn(f"{where}: external link to missing file {target_file}")
                    entry.meta[path]["missing"] = True
            elif info.type == h5l.TYPE_HARD:
                _visit_object(h5o.open(gid, raw_name), name, path, where, entry, draft)
        except Exception as exc:
            draft.warn(f"{where}: unreadable ({reason(exc)})")
        return None

    try:
        links.visit(visit, info=True)
    except Exception as exc:
        draft.warn(f"{base}: walk stopped early ({reason(exc)})")
    if budget["objects"] >= MAX_OBJECTS or time.monotonic() > budget["deadline"]:
        draft.warn(f"{base}: walk stopped at the budget ({budget['objects']} objects)")


@lru_cache(maxsize=8192)
def _key_path(name: str) -> str:
    return "/".join(key(part) for part in name.split("/"))


def _fix_links(gid, entry: _Entry, draft: DatasetDraft) -> None:
    """Reads linked fields whose target was not walked (outside the entries, or a wrong @target)."""
    for path, name in entry.links:
        if entry.node(path) is None:
            where = f"/{entry.name}/{name}"
            try:
                oid = h5o.open(gid, name.encode("utf-8", "surrogateescape"))
                attrs = hdf5_attrs(oid, draft, where)
                entry.meta[path] = dataset_leaf(oid, name.rpartition("/")[2], draft, where, attrs)
            except Exception as exc:
                draft.warn(f"{where}: unreadable ({reason(exc)})")


def _visit_object(oid, name, path, where, entry: _Entry, draft: DatasetDraft) -> None:
    attrs = hdf5_attrs(oid, draft, where)
    if isinstance(oid, h5g.GroupID):
        entry.classes[path] = nx_class(attrs)
        entry.names[path] = name
        for attr, value in attrs.items():
            if attr != "NX_class":
                entry.meta[f"{path}/@{key(attr)}"] = attr_leaf(value)
        return
    if not isinstance(oid, h5d.DatasetID):
        return  # a committed datatype: nothing to catalogue
    target = as_text(attrs.get("target", ""))
    if target and target != where:  # a NeXus link: the value is reported at its target
        entry.meta[path] = {"target": target}
        entry.links.append((path, name))
        return
    entry.meta[path] = dataset_leaf(oid, name.rpartition("/")[2], draft, where, attrs)


def _find_entries(fid, draft: DatasetDraft) -> list[tuple[str, h5g.GroupID]]:
    found = []

    def visit(raw_name: bytes, info):
        name = raw_name.decode("utf-8", "surrogateescape")
        if info.type != h5l.TYPE_HARD:
            return None  # NXentry groups are real children; a link would list one twice
        try:
            oid = h5o.open(fid, raw_name)
            if (
                isinstance(oid, h5g.GroupID)
                and nx_class(hdf5_attrs(oid, draft, "/" + name)) == "NXentry"
            ):
                found.append((name, oid))
        except Exception as exc:
            draft.warn(f"/{name}: cannot open ({reason(exc)})")
        return None

    try:
        fid.links.iterate(visit, info=True)
    except Exception as exc:
        raise ExtractionError(f"HDF5 root group unreadable ({reason(exc)})") from exc
    return found


def extract(path) -> DatasetDraft:
    path = Path(path)
    draft = start_draft(path, "NeXus")
    try:
        fid = open_file(path)
    except Exception as exc:
        raise ExtractionError(f"not a readable HDF5 file ({reason(exc)})") from exc
    with closing(fid):
        root_attrs = hdf5_attrs(fid, draft, "/")
        found = _find_entries(fid, draft)
        if not found:
            raise ExtractionError("HDF5 file without an NXentry group: not NeXus")
        default = as_text(root_attrs.get("default", ""))
        found.sort(key=lambda item: item[0] != default)  # stable: the default entry first
        budget = {"objects": 0, "deadline": time.monotonic() + TIME_BUDGET}
        entries, peers = [], {}
        for name, gid in found:
            entry = _Entry(name, hdf5_attrs(gid, draft, "/" + name))
            entry.peers = peers
            peers[name] = entry
            _walk(gid, entry, draft, budget)
            entries.append(entry)
        for entry, (_, gid) in zip(entries, found, strict=True):
            _fix_links(gid, entry, draft)
    _map(draft, entries, root_attrs)
    return draft


# --- mapping -------------------------------------------------------------------------------


def _map(draft: DatasetDraft, entries: list[_Entry], root_attrs: dict) -> None:
    primary = entries[0]
    _map_identity(draft, primary)
    _map_times(draft, entries, root_attrs)
    instrument_path = primary.first("NXinstrument")
    _map_instrument(draft, primary, instrument_path)
    _map_sample(draft, primary)
    _map_users(draft, primary)
    probe = draft.instrument.get("source", {}).get("probe", "")
    definitions = []
    for entry in entries:
        subs = [p + "/definition" for p in entry.groups("NXsubentry", None)]
        for def_path in ["definition", *subs]:
            definition = entry.text(def_path)
            if definition and definition not in definitions:
                definitions.append(definition)
                draft.add_technique(technique_for(definition, probe))
    draft.add_keywords(*definitions, probe, draft.instrument.get("source", {}).get("type"))
    formula = draft.sample.get("sample_characteristics", {}).get("chemical_formula") or {}
    draft.add_keywords(draft.instrument.get("name"), formula.get("value"))
    program = primary.text("program_name")
    if program:
        version = as_text((primary.node("program_name") or {}).get("@version", ""))
        draft.used_software.append(f"{program} {version}".strip())
        if instrument_path is None:
            draft.type = "derived"  # a processing result: program but no instrument
    summary = {
        "entries": [e.name for e in entries],
        "primary_entry": primary.name,
        "definitions": definitions,
        "file": {key(k): attr_leaf(v) for k, v in root_attrs.items()},
    }
    draft.scientific_metadata = {"nexus": summary}
    mono = primary.first("NXmonochromator", instrument_path or "")
    if mono:
        facts = {f: primary.node(f"{mono}/{f}") for f in ("energy", "wavelength")}
        if any(facts.values()):
            draft.scientific_metadata["monochromator"] = {k: v for k, v in facts.items() if v}
    draft.scientific_metadata["entries"] = {key(e.name): e.meta for e in entries}
    draft.preview_source = _preview_source(primary)


def _map_identity(draft: DatasetDraft, entry: _Entry) -> None:
    title = entry.text("title")
    if title:
        draft.dataset_name = title
    for path in ("experiment_description", "collection_description"):
        if entry.text(path):
            draft.description = entry.text(path)
            break
    else:
        notes = entry.first("NXnote")
        draft.description = (entry.text(f"{notes}/description") if notes else "") or title
    proposal = entry.text("experiment_identifier")
    if proposal.upper() != "DEFAULT":  # GDA's placeholder
        draft.proposal_id = proposal
    draft.run_number = entry.text("entry_identifier") or entry.text("run_number")


def _map_times(draft: DatasetDraft, entries: list[_Entry], root_attrs: dict) -> None:
    starts, ends = [], []
    for entry in entries:
        for path, bucket in (("start_time", starts), ("end_time", ends)):
            raw = (entry.node(path) or {}).get("value")
            moment, problem = parse_time(raw)
            if problem:
                draft.warn(f"/{entry.name}/{path} {as_text(raw)!r}: {problem}")
            if moment:
                bucket.append(moment)
    draft.start_time = min(starts, key=_sortable, default="")
    draft.end_time = max(ends, key=_sortable, default="")
    file_time, problem = parse_time(root_attrs.get("file_time"))
    if problem:
        draft.warn(f"/@file_time {as_text(root_attrs.get('file_time'))!r}: {problem}")
    draft.creation_time = file_time or draft.end_time or draft.creation_time


def _sortable(moment: str) -> str:
    # Aware times are already UTC; naive ones compare as written (good enough to pick min/max).
    return moment[:26]


def _map_instrument(draft: DatasetDraft, entry: _Entry, path: str | None) -> None:
    if path is None:
        return
    source = entry.first("NXsource", path)
    facts = {}
    if source:
        texts = {f: entry.text(f"{source}/{f}") for f in ("name", "type", "probe")}
        facts["source"] = {f: text for f, text in texts.items() if text}
    name = entry.text(f"{path}/name")
    short = as_text((entry.node(f"{path}/name") or {}).get("@short_name", ""))
    group_name = path.rpartition("/")[2]
    if group_name == "instrument":  # the generic group name says nothing
        group_name = ""
    name = name or facts.get("source", {}).get("name", "") or group_name
    if short:
        facts["short_name"] = short
    draft.instrument = {"name": name, **facts} if name else facts
    draft.creation_location = name


def _map_sample(draft: DatasetDraft, entry: _Entry) -> None:
    path = entry.first("NXsample")
    if path is None:
        return
    name = entry.text(f"{path}/name")
    if name.lower() in ("default sample", "unnamed sample"):
        draft.warn(f"/{entry.name}/{path}/name {name!r}: placeholder sample name")
        name = ""
    prefix = path + "/"
    characteristics = {}
    for sub_path in entry.meta:
        sub = sub_path[len(prefix) :] if sub_path.startswith(prefix) else "/"
        if (
            "/" not in sub
            and not sub.startswith("@")
            and sub not in ("name", "description", "type")
        ):
            characteristics[sub] = entry.node(sub_path) or entry.meta[sub_path]
    sample = {
        "name": name,
        "description": entry.text(f"{path}/description"),
        "type": entry.text(f"{path}/type"),
        "sample_characteristics": characteristics,
    }
    draft.sample = {k: v for k, v in sample.items() if v}


def _map_users(draft: DatasetDraft, entry: _Entry) -> None:
    users = []
    for path in entry.groups("NXuser", ""):
        user = {f: entry.text(f"{path}/{f}") for f in ("name", "email", "role", "affiliation")}
        if user["name"] or user["email"]:
            users.append(user)
    if not users:
        return
    pis = [u for u in users if "principal" in u["role"].lower() or u["role"].lower() == "pi"]
    draft.principal_investigators = [u["name"] for u in pis if u["name"]]
    named = [u["name"] for u in (pis or users) if u["name"]]
    owner = ""
    for person in named:  # the Dataset.owner column holds 255 characters
        candidate = f"{owner}; {person}" if owner else person
        if len(candidate) > 255:
            break
        owner = candidate
    draft.owner = owner
    emails = [u["email"] for u in (pis + users) if EMAIL_RE.match(u["email"])]
    if emails:
        draft.contact_email = draft.owner_email = emails[0]


def _preview_source(entry: _Entry) -> str:
    default = as_text(entry.attrs.get("default", ""))
    candidates = [default] if entry.classes.get(key(default)) == "NXdata" else []
    candidates += entry.groups("NXdata", None)
    for data in candidates:
        signal = as_text((entry.node(f"{data}/@signal") or {}).get("value", ""))
        if signal:
            return f"/{entry.name}/{entry.names.get(data, data)}/{signal}"
    return ""
