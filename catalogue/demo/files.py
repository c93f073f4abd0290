"""Small writers of NeXus, FITS and openPMD files, as facilities and codes write them.

Used by the demo (campaigns.py) and by the harvest bench (bench/harvest.py). Content is given as
plain data, so a file is described where it is made:

- NeXus: ``nexus_write(path, {"entry": {"NX_class": "NXentry", "title": "...", ...}})``. A dict
  is a group (its ``NX_class`` key, ``@name`` keys are attributes), ``Field(value, units)`` a
  field with attributes, ``Link("/entry/instrument/detector/data")`` a NeXus link (a hard link
  with the ``target`` attribute), anything else a plain field.
- FITS: ``fits_write(path, cards, image)``: header cards as (keyword, value, comment) and an
  optional image for the primary HDU.
- openPMD: ``openpmd_write(path, attrs, iterations)`` writes a groupBased file, or one file of a
  fileBased series when ``attrs["iterationEncoding"] == "fileBased"``.

Files carry no randomness beyond what the caller seeds, so equal arguments give equal files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Field:
    value: object
    units: str = ""
    attrs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    target: str  # absolute HDF5 path of the linked field


# --- NeXus ---------------------------------------------------------------------------------


def nexus_write(path: Path, entries: dict[str, dict], *, attrs: dict | None = None) -> Path:
    """A NeXus file with the given NXentry trees (the first one is the root's default)."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    links: list[tuple[h5py.Group, str, str]] = []
    with h5py.File(path, "w") as f:
        f.attrs.update({"NX_class": "NXroot", "default": next(iter(entries)), **(attrs or {})})
        for name, tree in entries.items():
            _group(f, name, tree, links)
        for group, name, target in links:  # after the walk: targets may come later in a tree
            group[name] = f[target]
            f[target].attrs["target"] = target
    return path


def _group(parent, name: str, tree: dict, links: list) -> None:
    group = parent.create_group(name)
    for key, value in tree.items():
        if key == "NX_class" or key.startswith("@"):
            group.attrs[key.lstrip("@")] = value
        elif isinstance(value, dict):
            _group(group, key, value, links)
        elif isinstance(value, Link):
            links.append((group, key, value.target))
        elif isinstance(value, Field):
            group[key] = value.value
            if value.units:
                group[key].attrs["units"] = value.units
            group[key].attrs.update(value.attrs)
        else:
            group[key] = value


# --- FITS ----------------------------------------------------------------------------------


def fits_write(path: Path, cards: list[tuple], image: np.ndarray | None = None) -> Path:
    """A FITS file: a primary HDU with `cards` ((keyword, value[, comment])) and `image`."""
    from astropy.io import fits

    path.parent.mkdir(parents=True, exist_ok=True)
    hdu = fits.PrimaryHDU(data=image)
    for card in cards:
        hdu.header[card[0]] = card[1] if len(card) == 2 else (card[1], card[2])
    hdu.writeto(path, overwrite=True)
    return path


# --- openPMD -------------------------------------------------------------------------------

OPENPMD_ROOT = {
    "openPMD": "1.1.0",
    "openPMDextension": np.uint32(1),  # ED-PIC
    "basePath": "/data/%T/",
    "meshesPath": "meshes/",
    "particlesPath": "particles/",
    "iterationEncoding": "groupBased",
    "iterationFormat": "/data/%T/",
}
FIELD_UNIT = np.array([1.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0])  # V/m as openPMD powers L M T I...
LENGTH_UNIT = np.array([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class Iteration:
    time: float  # in units of time_unit_si seconds
    dt: float
    fields: dict[str, np.ndarray]  # scalar component meshes ("E_z": array), cell size below
    cell: tuple[float, float]  # (dz, dx) in metres
    positions: np.ndarray | None = None  # particle x positions in metres
    time_unit_si: float = 1e-15


def openpmd_write(path: Path, attrs: dict, iterations: dict[int, Iteration]) -> Path:
    """An openPMD 1.1 file (HDF5) with the iterations given: meshes and one electron species."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    root = {**OPENPMD_ROOT, **attrs}
    with h5py.File(path, "w") as f:
        f.attrs.update({k: np.bytes_(v) if isinstance(v, str) else v for k, v in root.items()})
        for number, iteration in iterations.items():
            group = f.create_group(f"/data/{number}")
            group.attrs.update(
                {"time": iteration.time, "dt": iteration.dt, "timeUnitSI": iteration.time_unit_si}
            )
            for name, array in iteration.fields.items():
                mesh = group.create_dataset(f"meshes/{name}", data=array.astype("f4"))
                mesh.attrs.update(
                    {
                        "geometry": np.bytes_(b"cartesian"),
                        "axisLabels": np.array([b"z", b"x"]),
                        "gridSpacing": np.array(iteration.cell),
                        "gridUnitSI": 1.0,
                        "gridGlobalOffset": np.array([0.0, 0.0]),
                        "dataOrder": np.bytes_(b"C"),
                        "unitDimension": FIELD_UNIT,
                        "timeOffset": 0.0,
                        "unitSI": 1.0,
                        "position": np.array([0.5, 0.5]),
                    }
                )
            if iteration.positions is not None:
                species = group.create_group("particles/electrons")
                species.attrs["chargeUnitSI"] = 1.602e-19
                position = species.create_group("position")
                position.attrs["unitDimension"] = LENGTH_UNIT
                x = position.create_dataset("x", data=iteration.positions)
                x.attrs["unitSI"] = 1.0
    return path
