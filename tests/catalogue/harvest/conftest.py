"""Harvest fixtures: the shared third-party samples (checked by hash) and pitfall-file makers.

Pitfall files are written in tmp_path with h5py / astropy / openpmd-api at test time, one small
file per pitfall of reference/formats.md, so each failure names the pitfall it is about.
"""

import hashlib
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
SAMPLES = {  # relative path -> sha256[:16], from shared/samples/MANIFEST.md
    "nexus/scicat-ingestor__small-coda.hdf": "f1966a7ae07c557d",
    "nexus/scicat-ingestor__small-ymir.hdf": "31197c8145c380a5",
    "nexus/nexusformat-wheel__chopper.nxs": "8a4f3312a734bdde",
    "nexus/pynxtools-wheel__201805_WSe2_arpes.nxs": "d6540a2f738613d8",
    "nexus/external_link_trio/external_master.hdf5": "5c7ed4301da57681",
    "nexus/external_link_trio/external_counts.hdf5": "77bd1744ef1660e3",
    "nexus/external_link_trio/external_angles.hdf5": "0cda287c5a5ff669",
    "nexus/h5py-wheel__vlen_string_dset.h5": "900f8baf19d3d8c4",
    "fits/astropy-wheel__test0.fits": "ea06ee30b28f1ea2",
    "fits/astropy-wheel__sip-wcs.fits": "9e1e83ee784c446e",
    "fits/astropy-wheel__comp.fits": "bc675bd775cd526b",
    "fits/astropy-wheel__dss.14.29.56-62.41.05.fits.gz": "d9e8a9adced55200",
    "fits/astropy-wheel__header_with_time.fits": "41c135aa0aa46b82",
    "fits/astropy-wheel__checksum.fits": "80a6eddb9b9a0b62",
    "openpmd/openPMD-example-datasets__example-femm-thetaMode.h5": "cb6861962e393554",
    "openpmd/openPMD-example-datasets__example-femm-3d.h5": "f6845dd8046eed41",
}


def samples_dir() -> Path:
    return Path(os.environ.get("FEDCAT_SAMPLES_DIR") or (REPO / "../shared/samples")).resolve()


@pytest.fixture
def sample():
    """sample("nexus/x.nxs") -> its path, hash-checked; skips when the folder is absent."""
    root = samples_dir()
    if not root.is_dir():
        pytest.skip(f"sample data folder not found ({root}): set FEDCAT_SAMPLES_DIR")

    def get(relative: str) -> Path:
        path = root / relative
        if not path.is_file():
            pytest.skip(f"sample file missing: {path}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        assert digest == SAMPLES[relative], f"{relative} changed: sha256 {digest}"
        return path

    return get


# --- NeXus makers ----------------------------------------------------------------------------


def nx_group(parent, name: str, nx_class, /, **fields):
    """A group with NX_class (str, bytes or a 1-element array: all three occur) and fields."""
    group = parent.create_group(name)
    group.attrs["NX_class"] = nx_class
    for key, value in fields.items():
        group[key] = value
    return group


@pytest.fixture
def nexus_file(tmp_path):
    """nexus_file(build, name=..., **h5py.File kwargs): the path of a file written by build(f)."""

    def make(build, name: str = "scan.nxs", **kwargs) -> Path:
        path = tmp_path / name
        with h5py.File(path, "w", **kwargs) as f:
            build(f)
        return path

    return make


def basic_entry(f, name="entry", **extra):
    """A small, well-formed NXentry with instrument, source, monochromator, sample and data."""
    entry = nx_group(f, name, "NXentry", title="Lysozyme 100K", definition="NXmx")
    entry["start_time"] = "2024-03-01T10:00:00+01:00"
    entry["end_time"] = "2024-03-01T11:30:00+01:00"
    entry["experiment_identifier"] = "20241234"
    entry["entry_identifier"] = "4711"
    for key, value in extra.items():
        entry[key] = value
    instrument = nx_group(entry, "instrument", "NXinstrument", name="BL13 XALOC")
    nx_group(
        instrument,
        "source",
        "NXsource",
        name="ALBA",
        type="Synchrotron X-ray Source",
        probe="x-ray",
    )
    mono = nx_group(instrument, "monochromator", "NXmonochromator", wavelength=0.979)
    mono["wavelength"].attrs["units"] = "A"
    detector = nx_group(instrument, "detector", "NXdetector", distance=0.25)
    detector["distance"].attrs["units"] = "m"
    detector.create_dataset("data", data=np.arange(12 * 20, dtype="u2").reshape(12, 20))
    sample = nx_group(
        entry, "sample", "NXsample", name="lysozyme", chemical_formula="C613H959N193O185S10"
    )
    sample["temperature"] = 100.0
    sample["temperature"].attrs["units"] = "K"
    data = nx_group(entry, "data", "NXdata")
    data.attrs["signal"] = "data"
    data["data"] = h5py.SoftLink(f"/{name}/instrument/detector/data")
    entry.attrs["default"] = "data"
    return entry


@pytest.fixture
def basic_nexus(nexus_file):
    return nexus_file(basic_entry)


# --- FITS makers -----------------------------------------------------------------------------


def raw_fits(cards: list[str], data_blocks: int = 0) -> bytes:
    """A FITS file written card by card (to make headers astropy itself would refuse to write)."""
    header = b"".join(card.encode("latin-1").ljust(80)[:80] for card in [*cards, "END"])
    header = header.ljust(-(-len(header) // 2880) * 2880, b" ")
    return header + b"\0" * (2880 * data_blocks)


@pytest.fixture
def fits_file(tmp_path):
    """fits_file(hdus, name=...): writes an astropy HDUList and returns its path."""
    from astropy.io import fits

    def make(hdus, name: str = "image.fits") -> Path:
        path = tmp_path / name
        fits.HDUList(hdus).writeto(path)
        return path

    return make


# --- openPMD makers --------------------------------------------------------------------------


OPENPMD_ROOT = {
    "openPMD": np.bytes_(b"1.1.0"),
    "openPMDextension": np.uint32(0),
    "basePath": np.bytes_(b"/data/%T/"),
    "meshesPath": np.bytes_(b"meshes/"),
    "particlesPath": np.bytes_(b"particles/"),
    "iterationEncoding": np.bytes_(b"groupBased"),
    "iterationFormat": np.bytes_(b"/data/%T/"),
    "software": np.bytes_(b"PIConGPU"),
    "softwareVersion": np.bytes_(b"0.7.0"),
    "author": np.bytes_(b"Ada Lovelace <ada@example.org>"),
    "date": np.bytes_(b"2024-01-31 09:15:00 +0100"),
}


def openpmd_iteration(group, time_value=0.0, mesh_shape=(8, 16)):
    """Iteration attributes, one vector mesh E (x dataset, y constant) and species electrons."""
    group.attrs.update({"time": time_value, "dt": 0.5, "timeUnitSI": 1e-15})
    mesh = group.create_group("meshes/E")
    mesh.attrs.update(
        {
            "geometry": np.bytes_(b"cartesian"),
            "axisLabels": np.array([b"x", b"z"]),
            "gridSpacing": np.array([1.0, 2.0]),
            "gridUnitSI": 1e-6,
            "gridGlobalOffset": np.array([0.0, 0.0]),
            "dataOrder": np.bytes_(b"C"),
            "unitDimension": np.array([1.0, 1.0, -3.0, -1.0, 0.0, 0.0, 0.0]),
            "timeOffset": 0.0,
        }
    )
    mesh.create_dataset("x", data=np.arange(np.prod(mesh_shape), dtype="f4").reshape(mesh_shape))
    constant = mesh.create_group("y")
    constant.attrs.update({"value": 0.0, "shape": np.array(mesh_shape, dtype="u8"), "unitSI": 1.0})
    species = group.create_group("particles/electrons")
    position = species.create_group("position")
    position.attrs["unitDimension"] = np.array([1.0, 0, 0, 0, 0, 0, 0])
    position.create_dataset("x", data=np.zeros(300))


@pytest.fixture
def openpmd_file(tmp_path):
    """openpmd_file(name, root overrides, iterations=[...], base="/data") -> path (h5py-written)."""

    def make(name="sim.h5", iterations=(0, 100), base="/data", pad=0, **root) -> Path:
        path = tmp_path / name
        with h5py.File(path, "w") as f:
            attrs = {**OPENPMD_ROOT, **root}  # an override of None removes the attribute
            f.attrs.update({k: v for k, v in attrs.items() if v is not None})
            for number in iterations:
                label = str(number).zfill(pad) if pad else str(number)
                openpmd_iteration(f.create_group(f"{base}/{label}"), time_value=float(number))
        return path

    return make
