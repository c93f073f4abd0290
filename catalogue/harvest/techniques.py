"""NeXus application definition (+ source probe) → PaNET technique ``{pid, name}``.

The table is the shipped ``nexus_techniques.json`` (only definitions whose technique is
unambiguous).  pids are PaNET PURLs, which the PaNOSC search expands through the PaNET hierarchy.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

PANET_BASE = "http://purl.org/pan-science/PaNET/"
_TABLE_FILE = Path(__file__).with_name("nexus_techniques.json")
_PROBES = {"x-ray": "x-ray", "xray": "x-ray", "neutron": "neutron"}  # NXsource/probe, plural cut


@cache  # one small fixed table: a bounded cache
def _table() -> dict[str, dict]:
    definitions = json.loads(_TABLE_FILE.read_text(encoding="utf-8"))["definitions"]
    return {name.lower(): entry for name, entry in definitions.items()}


def _technique(entry: dict) -> dict:
    return {"pid": PANET_BASE + entry["pid"], "name": entry["name"]}


def technique_for(definition: str, probe: str = "") -> dict | None:
    """The technique for an application definition, refined by the probe when the table can."""
    key = (definition or "").strip().lower().removesuffix(".nxdl.xml")
    entry = _table().get(key)
    if entry is None:
        return None
    probe_key = _PROBES.get((probe or "").strip().lower().removesuffix("s"), "")
    refined = entry.get("by_probe", {}).get(probe_key)
    return _technique(refined or entry)


def known_definitions() -> list[str]:
    return sorted(_table())
