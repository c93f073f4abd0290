"""Techniques and PaNET: a where on techniques matches a technique or any of its descendants.

panet.json ships a small part of the PaNET hierarchy (its "source" names the file and commit it
was taken from; only relations stated there are in it). A technique where is evaluated row by
row over the vocabulary: the PaNET terms plus the catalogue's Technique records (and any pid
the where names literally). For ``pid``/``name`` with eq, inq, neq and nin the test is deep
(panosc-api.md §3.6): "name = x-ray absorption" holds for every technique that is x-ray
absorption or a descendant of it, by PaNET pid or by name (names compare ignoring case);
neq/nin hold for techniques outside that set. Other operators (like, regexp...) compare the
field as written. The result is the set of technique pids that match; datasets match by the
pids they are tagged with.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from .where import Cmp, matches, parse_where

PANET_BASE = "http://purl.org/pan-science/PaNET/"
_DEEP_OPS = ("eq", "inq", "neq", "nin")
_FIELDS = ("pid", "name", "panetId")


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, set[str]]]:
    """(pid -> name, pid -> direct children) of the shipped PaNET subset."""
    data = json.loads((Path(__file__).with_name("panet.json")).read_text())
    names = {term["pid"]: term["name"] for term in data["terms"]}
    children: dict[str, set[str]] = {pid: set() for pid in names}
    for term in data["terms"]:
        for parent in term["parents"]:
            children[parent].add(term["pid"])
    return names, children


def panet_terms() -> list[dict]:
    return [{"pid": pid, "name": name} for pid, name in _table()[0].items()]


def panet_pid(pid: str = "", name: str = "") -> str | None:
    """The PaNET PURL of a technique given by pid (PURL or bare "PaNET01188") or by name."""
    if pid:
        if pid.startswith(PANET_BASE):
            return pid
        return PANET_BASE + pid if re.fullmatch(r"PaNET\d{5}", pid) else None
    lowered = name.strip().lower()
    return next((p for p, n in _table()[0].items() if n.lower() == lowered), None)


def descendants(pid: str) -> set[str]:
    """The PaNET term and everything below it."""
    _, children = _table()
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, ()))
    return found


def closure(field: str, value) -> tuple[set[str], set[str]]:
    """(pids, lower-case names) a deep comparison of `field` with `value` accepts."""
    names, _ = _table()
    text = str(value)
    seed = panet_pid(name=text) if field == "name" else panet_pid(pid=text)
    pids = descendants(seed) if seed else set()
    lowered = {names[p].lower() for p in pids if p in names}
    if field == "name":
        lowered.add(text.strip().lower())
    else:
        pids.add(text)
    return pids, lowered


def _deep(cmp: Cmp, row: dict) -> bool | None:
    if cmp.field not in _FIELDS or cmp.op not in _DEEP_OPS:
        return None
    values = cmp.value if cmp.op in ("inq", "nin") else [cmp.value]
    if not isinstance(values, list):
        return False
    field = "name" if cmp.field == "name" else "pid"
    inside = False
    for value in values:
        if value is None:
            continue
        pids, lowered = closure(field, value)
        if row.get("pid") in pids or str(row.get("name", "")).lower() in lowered:
            inside = True
            break
    return inside if cmp.op in ("eq", "inq") else not inside


def _literal_pids(node) -> set[str]:
    if isinstance(node, Cmp):
        if node.field in ("pid", "panetId") and node.op in ("eq", "inq"):
            values = node.value if isinstance(node.value, list) else [node.value]
            return {str(v) for v in values if isinstance(v, str | int)}
        return set()
    return {p for part in node.parts for p in _literal_pids(part)}


def technique_row(pid: str, name: str) -> dict:
    row = {"pid": pid, "name": name}
    panet = panet_pid(pid=pid) or (panet_pid(name=name) if name else None)
    if panet:
        row["panetId"] = panet
    return row


def matching_pids(where, vocabulary) -> frozenset[str]:
    """The pids of the techniques (vocabulary rows {pid, name}) the where accepts, deeply."""
    node = parse_where(where, text_fields=("name",))
    rows = {pid: technique_row(pid, name) for pid, name in vocabulary}
    for term in panet_terms():
        rows.setdefault(term["pid"], technique_row(term["pid"], term["name"]))
    for pid in _literal_pids(node):
        rows.setdefault(pid, {"pid": pid, "name": ""})
    return frozenset(pid for pid, row in rows.items() if matches(node, row, _deep))
