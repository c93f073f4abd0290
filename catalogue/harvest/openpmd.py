"""openPMD (HDF5 via h5py, ADIOS2 ``.bp`` via the adios2 wheel) → DatasetDraft, attributes only.

One dataset per SERIES.  A groupBased file (or a .bp directory) is a whole series; a fileBased
series (``data_%06T.h5``) is several files: ``extract_series(paths)`` merges them, ``series_key``
tells which files belong together (the registry groups by it), and ``extract(path)`` on one such
file describes just that file's iterations.  Datasets are never read: meshes and species are
described from attributes and shapes (ADIOS2 adds the stored min/max for free).

Both backends are seen through one small tree interface (attrs / children / shape), so the
openPMD interpretation is written once.  Simulation time (time × timeUnitSI, seconds) goes to
scientific_metadata; SciCat's times come from the ``date`` attribute or the file mtime.
"""

from __future__ import annotations

import re
from pathlib import Path

from .draft import (
    EMAIL_RE,
    DatasetDraft,
    ExtractionError,
    as_text,
    json_value,
    parse_time,
    real_text,
    start_draft,
)
from .trees import open_tree

MAX_ITERATIONS = 20000  # iterations whose time attributes are read per file
MAX_LISTED = 64  # iteration numbers and record names kept in the metadata
_EXTENSIONS = {1: "ED-PIC"}  # openPMD 1.x extension bit mask
_BASE_UNITS = ("m", "kg", "s", "A", "K", "mol", "cd")  # unitDimension order: L M T I θ N J
_NAMED_UNITS = {
    (1, 1, -3, -1, 0, 0, 0): "V/m",
    (0, 1, -2, -1, 0, 0, 0): "T",
    (0, 0, 1, 1, 0, 0, 0): "C",
    (2, 1, -3, -1, 0, 0, 0): "V",
    (2, 1, -2, 0, 0, 0, 0): "J",
    (1, 1, -2, 0, 0, 0, 0): "N",
    (-3, 0, 1, 1, 0, 0, 0): "C/m^3",
    (-2, 0, 0, 1, 0, 0, 0): "A/m^2",
}
_SPATIAL = ("cartesian", "thetaMode")  # geometries whose grid axes are all lengths
_MESH_ATTRS = (
    "geometry",
    "geometryParameters",
    "axisLabels",
    "dataOrder",
    "gridSpacing",
    "gridUnitSI",
    "unitDimension",
)
_SPECIES_ATTRS = ("speciesType", "numParticles", "totalCharge", "chargeUnitSI")
_ROOT_TEXT = (
    "software",
    "softwareVersion",
    "softwareDependencies",
    "author",
    "date",
    "comment",
    "machine",
)
_LAYOUT = ("basePath", "meshesPath", "particlesPath", "iterationEncoding", "iterationFormat")


# --- interpretation ------------------------------------------------------------------------


def unit_from_dimension(powers) -> str:
    """openPMD unitDimension (7 powers of L M T I θ N J) → a unit string ("V/m", "kg*m/s")."""
    try:
        key = tuple(float(p) for p in powers)
    except (TypeError, ValueError):
        return ""
    if len(key) != 7:
        return ""
    if tuple(int(p) for p in key) == key and key in _NAMED_UNITS:
        return _NAMED_UNITS[key]
    order = (1, 0, 2, 3, 4, 5, 6)  # kg first, as catalogue.units formats SI units

    def factor(i: int, power: float) -> str:
        power = abs(power)
        text = f"{power:g}"
        return _BASE_UNITS[i] if text == "1" else f"{_BASE_UNITS[i]}^{text}"

    top = [factor(i, key[i]) for i in order if key[i] > 0]
    bottom = [factor(i, key[i]) for i in order if key[i] < 0]
    numerator = "*".join(top) or ("1" if bottom else "")
    if not bottom:
        return numerator
    denominator = bottom[0] if len(bottom) == 1 else f"({'*'.join(bottom)})"
    return f"{numerator}/{denominator}"


def _iteration_paths(tree, root: dict, draft: DatasetDraft) -> list[tuple[int, str]]:
    base = as_text(root.get("basePath", "")) or as_text(root.get("externalFieldPath", ""))
    if "%T" not in base:
        return [(0, base or "/")] if base or tree.children("/") else []
    prefix = base.split("%T")[0].rstrip("/") or "/"
    numbered = []
    for name, is_group in tree.children(prefix):
        if is_group and name.isdigit():  # iterations may be zero-padded ("00001")
            numbered.append((int(name), f"{prefix.rstrip('/')}/{name}"))
    if not numbered and tree.children(prefix):  # variableBased: one group, ADIOS2 steps inside
        draft.warn("variableBased encoding: per-iteration attributes show the last step only")
        snapshot = json_value(tree.attrs(prefix).get("snapshot"))
        last = snapshot[-1] if isinstance(snapshot, list) and snapshot else snapshot
        return [(int(last) if isinstance(last, int | float) else 0, prefix)]
    numbered.sort()
    if len(numbered) > MAX_ITERATIONS:
        draft.warn(f"{len(numbered)} iterations: times read for the first {MAX_ITERATIONS} only")
    return numbered


def _records(tree, group: str, attrs_wanted: tuple[str, ...]) -> dict[str, dict]:
    out = {}
    for name, is_group in tree.children(group)[:MAX_LISTED]:
        path = f"{group.rstrip('/')}/{name}"
        attrs = tree.attrs(path)
        info = {k: json_value(attrs[k]) for k in attrs_wanted if k in attrs}
        components = [c for c, _ in tree.children(path)] if is_group else []
        if components:
            info["components"] = components
        first = f"{path}/{components[0]}" if components else path
        first_attrs = tree.attrs(first)
        if "shape" in first_attrs:  # a constant component: an empty group with value + shape
            info["shape"] = json_value(first_attrs["shape"])
            info["constant"] = json_value(first_attrs.get("value"))
        elif not is_group or components:
            info.update(tree.shape(first))
        unit = unit_from_dimension(attrs.get("unitDimension", ()))
        if unit:
            info["unit"] = unit
        out[name] = info
    return out


def _mesh_facts(meshes: dict) -> None:
    for info in meshes.values():
        spacing, scale = info.pop("gridSpacing", None), info.pop("gridUnitSI", None)
        if isinstance(spacing, list) and isinstance(scale, int | float):
            unit = "m" if info.get("geometry") in _SPATIAL else ""
            si = [s * scale if isinstance(s, int | float) else s for s in spacing]
            info["gridSpacing"] = {"value": si, **({"unit": unit} if unit else {})}


def _species_count(info: dict) -> int | None:
    shape = info.get("shape")
    if isinstance(shape, list) and len(shape) == 1:
        return shape[0]
    return shape if isinstance(shape, int) else None


def _read_file(path: Path, draft: DatasetDraft) -> dict:
    tree = open_tree(path)
    try:
        root = tree.attrs("/")
        if "openPMD" not in root:
            raise ExtractionError("no openPMD attribute at the root: not an openPMD file")
        meshes_path = as_text(root.get("meshesPath", "")).strip("/")
        particles_path = as_text(root.get("particlesPath", ""))
        iterations = _iteration_paths(tree, root, draft)
        found = {"root": root, "iterations": [], "meshes": {}, "particles": {}, "preview": ""}
        for number, it_path in iterations[:MAX_ITERATIONS]:
            attrs = tree.attrs(it_path)
            found["iterations"].append(
                (number, {k: json_value(attrs.get(k)) for k in ("time", "dt", "timeUnitSI")})
            )
        for _, it_path in iterations[:1] + iterations[-1:]:  # record names: first and last only
            mesh_group = f"{it_path.rstrip('/')}/{meshes_path}"
            if meshes_path:
                found["meshes"].update(_records(tree, mesh_group, _MESH_ATTRS))
            if particles_path:
                found["particles"].update(_species(tree, it_path, particles_path))
            found["preview"] = found["preview"] or _preview_path(found["meshes"], mesh_group)
        # Groups beside the base path (input decks, ...) are not openPMD: kept apart as "extra".
        # With basePath "/" everything is the iteration, so nothing is extra.
        base = as_text(root.get("basePath", "")) or as_text(root.get("externalFieldPath", ""))
        base_root = base.strip("/").split("/")[0]
        found["extra"] = {
            name: {k: json_value(v) for k, v in list(tree.attrs("/" + name).items())[:MAX_LISTED]}
            for name, is_group in (tree.children("/") if base_root else [])
            if is_group and name != base_root
        }
        return found
    finally:
        tree.close()


def _species(tree, it_path: str, particles_path: str) -> dict:
    group = f"{it_path.rstrip('/')}/{particles_path.strip('./')}".rstrip("/") or "/"
    if particles_path.strip("./") == "":  # "./" or "/": the iteration group is the species
        return {group.rsplit("/", 1)[-1] or "species": _species_summary(tree, group)}
    children = tree.children(group)[:MAX_LISTED]
    return {name: _species_summary(tree, f"{group}/{name}") for name, grp in children if grp}


def _species_summary(tree, path: str) -> dict:
    attrs, records = tree.attrs(path), _records(tree, path, ())
    info = {k: json_value(attrs[k]) for k in _SPECIES_ATTRS if k in attrs}
    info["records"] = sorted(records)
    for name in ("position", "weighting", "id", "momentum", *records):
        count = _species_count(records.get(name, {}))
        if count is not None:
            info.setdefault("numParticles", count)
            break
    return info


def _preview_path(meshes: dict, group: str) -> str:
    for name, info in meshes.items():
        if "constant" not in info and info.get("shape"):
            component = info.get("components", [None])[0]
            return f"{group}/{name}" + (f"/{component}" if component else "")
    return ""


# --- series and mapping --------------------------------------------------------------------


def series_pattern(iteration_format: str, suffix: str) -> re.Pattern | None:
    """The file-name regex of a fileBased series: %T → digits, %0NT → at least N digits."""
    if "%" not in iteration_format:
        return None
    name = Path(iteration_format).name
    parts = re.split(r"%(0\d+)?T", name)
    regex = ""
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex += re.escape(part or "")
        else:
            regex += rf"(\d{{{int(part[1:])},}})" if part else r"(\d+)"
    if not Path(name).suffix:  # openPMD-api writes the format without the extension
        regex += re.escape(suffix)
    return re.compile(regex + "$")


def series_key(path) -> tuple[str, str] | None:
    """(folder, iterationFormat) for a fileBased series member, else None (a file of its own)."""
    path = Path(path)
    try:
        tree = open_tree(path)
    except ExtractionError:
        return None
    try:
        root = tree.attrs("/")
    finally:
        tree.close()
    if as_text(root.get("iterationEncoding", "")) != "fileBased":
        return None
    iteration_format = as_text(root.get("iterationFormat", ""))
    pattern = series_pattern(iteration_format, path.suffix)
    if pattern is None or not pattern.match(path.name):
        return None
    return str(path.parent), iteration_format


def find_series(path) -> list[Path]:
    """All files of the fileBased series that path belongs to (just [path] for other files)."""
    path = Path(path)
    key = series_key(path)
    if key is None:
        return [path]
    pattern = series_pattern(key[1], path.suffix)
    members = [p for p in path.parent.iterdir() if pattern.match(p.name)]
    return sorted(members, key=lambda p: int(pattern.match(p.name).group(1)))


def extract(path) -> DatasetDraft:
    return extract_series([path])


def extract_series(paths) -> DatasetDraft:
    """One draft for one series: a groupBased file or .bp, or all files of a fileBased series."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ExtractionError("no files given")
    draft = start_draft(paths[0], "openPMD")
    found = [_read_file(p, draft) for p in paths]
    for path in paths[1:]:
        draft.add_file(path)
    first = found[0]
    root = first["root"]
    iterations = sorted({n: t for f in found for n, t in f["iterations"]}.items())
    meshes = {k: v for f in found for k, v in f["meshes"].items()}
    particles = {k: v for f in found for k, v in f["particles"].items()}
    _mesh_facts(meshes)
    _map(draft, paths, root, iterations, meshes, particles)
    draft.preview_source = next((f["preview"] for f in found if f["preview"]), "")
    extra = first["extra"]
    if extra:
        draft.scientific_metadata["extra"] = extra
    return draft


def _extensions(value) -> list[str]:
    if isinstance(json_value(value), str):  # openPMD 2.0 writes "BeamPhysics;SpeciesType"
        return [p.strip() for p in as_text(value).split(";") if p.strip()]
    try:
        mask = int(json_value(value) or 0)
    except (TypeError, ValueError):
        return []
    return [name for bit, name in _EXTENSIONS.items() if mask & bit] + (
        [f"unknown({mask})"] if mask & ~sum(_EXTENSIONS) else []
    )


def _series_name(paths: list[Path], root: dict) -> str:
    iteration_format = as_text(root.get("iterationFormat", ""))
    if as_text(root.get("iterationEncoding", "")) == "fileBased" and "%" in iteration_format:
        stem = re.sub(r"%(0\d+)?T", "", Path(iteration_format).name)
        stem = stem.removesuffix(Path(stem).suffix).strip("_-. ")
        if stem:
            return stem
    return paths[0].name.removesuffix(paths[0].suffix) or paths[0].name


def _map(draft, paths, root, iterations, meshes, particles) -> None:
    text = {k: real_text(root.get(k)) for k in _ROOT_TEXT}
    name = _series_name(paths, root)
    draft.dataset_name = f"{name}: {text['comment']}" if text["comment"] else name
    authors = [a.strip() for a in text["author"].split(";") if a.strip()]
    people = [re.sub(r"\s*<[^>]*>\s*", "", a).strip() for a in authors]
    emails = [m.group(1) for a in authors if (m := re.search(r"<([^>]+@[^>]+)>", a))]
    draft.owner = "; ".join(p for p in people if p)[:255]
    draft.owner_email = draft.contact_email = next((e for e in emails if EMAIL_RE.match(e)), "")
    created, problem = parse_time(root.get("date"))
    if problem:
        draft.warn(f"/@date {text['date']!r}: {problem}")
    draft.creation_time = created or draft.creation_time
    draft.creation_location = text["machine"]
    if text["software"]:
        draft.used_software = [f"{text['software']} {text['softwareVersion']}".strip()]
    extensions = _extensions(root.get("openPMDextension", 0))
    geometries = sorted({m.get("geometry") for m in meshes.values() if m.get("geometry")})
    draft.add_keywords("openPMD", *extensions, *meshes, *particles, *geometries)
    numbers = [n for n, _ in iterations]
    seconds = [
        t["time"] * t["timeUnitSI"]
        for _, t in iterations
        if isinstance(t.get("time"), int | float) and isinstance(t.get("timeUnitSI"), int | float)
    ]
    summary = [f"{len(numbers)} iteration(s)"]
    summary += [f"meshes {', '.join(meshes)}"] if meshes else []
    summary += [f"species {', '.join(particles)}"] if particles else []
    draft.description = "openPMD series: " + "; ".join(summary)
    standard = {"version": as_text(root.get("openPMD")), "extensions": extensions}
    standard.update({k: as_text(root[k]) for k in _LAYOUT if k in root})
    standard.update({k: v for k, v in text.items() if v})
    listed = {"count": len(numbers), "numbers": numbers[:MAX_LISTED]}
    steps = max((m.get("steps", 1) for m in meshes.values()), default=1)
    if steps > len(numbers):  # variableBased: the iterations are ADIOS2 steps
        listed["count"] = steps
    if numbers:
        listed.update(first=numbers[0], last=numbers[-1])
    metadata = {"openPMD": standard, "iterations": listed}
    if seconds:
        metadata["simulation_time_start"] = {"value": min(seconds), "unit": "s"}
        metadata["simulation_time_end"] = {"value": max(seconds), "unit": "s"}
    if meshes:
        metadata["meshes"] = meshes
    if particles:
        metadata["particles"] = particles
    draft.scientific_metadata = metadata
