"""The LPNC's NeXus files: a tomography, a SAXS and a neutron powder diffraction campaign.

Each campaign writes its files under the demo root and returns what curation does afterwards
(campaigns.Fate, by source path relative to the root). Images are made with numpy from fixed
seeds: the same arguments give the same files.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from .files import Field, Link, nexus_write
from .records import HRPT, PEOPLE_NAMES, PROPOSAL, SAMPLES, SAXS, TOMO, YEAR, Fate, email_of

RING = {"name": "LPNC storage ring", "type": "Synchrotron X-ray Source", "probe": "x-ray"}
SPALLATION = {"name": "LPNC neutron source", "type": "Spallation Neutron Source"}
SPALLATION["probe"] = "neutron"


def entry(*, proposal: str, title: str, start: datetime, minutes: int, **parts) -> dict:
    """An NXentry with the proposal's PI as NXuser; `parts` adds fields and groups."""
    pi = PROPOSAL[proposal][2]
    return {
        "NX_class": "NXentry",
        "@default": "data",
        "title": title,
        "experiment_identifier": proposal,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=minutes)).isoformat(),
        "pi": {
            "NX_class": "NXuser",
            "name": PEOPLE_NAMES[pi],
            "email": email_of(pi),
            "role": "principal_investigator",
            "affiliation": "University of Lakeside",
        },
        **parts,
    }


def source(facts: dict, **fields) -> dict:
    return {"NX_class": "NXsource", **facts, **fields}


def sample(name: str, **fields) -> dict:
    description, properties = SAMPLES[name]
    found = {key: Field(value, unit) for key, (value, unit) in properties.items()}
    return {"NX_class": "NXsample", "name": name, "description": description, **found, **fields}


def environment(name: str, **fields) -> dict:
    """Conditions of one run: a subgroup, so they stay out of the sample's characteristics."""
    return {"NX_class": "NXenvironment", "name": name, **fields}


# --- tomography ----------------------------------------------------------------------------


def projections(angles: np.ndarray, seed: int, rows: int = 64, cols: int = 96) -> np.ndarray:
    """Transmission images of a cylindrical electrode holding absorbing silicon particles."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, cols)[None, :]
    z = np.linspace(-1, 1, rows)[:, None]
    particles = rng.uniform([0.1, 0, -0.8, 0.05], [0.6, 2 * np.pi, 0.8, 0.12], size=(12, 4))
    images = []
    for angle in np.radians(angles):
        path = 2 * np.sqrt(np.clip(0.7**2 - x**2, 0, None)) * np.ones_like(z)
        for radius, phi, height, size in particles:
            px = radius * np.cos(phi + angle)
            path = path + 0.6 * np.exp(-((x - px) ** 2 + (z - height) ** 2) / size**2)
        counts = 60000 * np.exp(-0.9 * path) + rng.normal(0, 300, path.shape)
        images.append(np.clip(counts, 0, 65535))
    return np.array(images, dtype="u2")


def cross_section(seed: int, side: int = 96) -> np.ndarray:
    """A reconstructed slice: the electrode's disk with the particles of `projections`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[-1 : 1 : side * 1j, -1 : 1 : side * 1j]
    particles = rng.uniform([0.1, 0, -0.8, 0.05], [0.6, 2 * np.pi, 0.8, 0.12], size=(12, 4))
    volume = 0.9 * (np.hypot(x, y) < 0.7)
    for radius, phi, _, size in particles:
        px, py = radius * np.cos(phi), radius * np.sin(phi)
        volume += 1.5 * np.exp(-((x - px) ** 2 + (y - py) ** 2) / size**2)
    return (volume + rng.normal(0, 0.05, volume.shape)).astype("f4")


def tomography(root: Path, now: datetime) -> dict[str, Fate]:
    """Old enough for the embargo to have ended; three scans and a reconstruction published."""
    begin = now - PROPOSAL["443117"][5] * YEAR
    folder = f"lpnc/tomo/{begin.year}/443117"
    fates, scans = {}, []
    for i in range(10):
        start = begin + timedelta(hours=7 * i)
        name = f"443117-S0{1 + i % 2}"
        angles = np.linspace(0, 180, 4, endpoint=False)
        tree = entry(
            proposal="443117",
            title=f"Operando micro-CT of {name} at {10 * i} % state of charge",
            experiment_description=f"Operando micro-CT of {name}, scan {i + 1} of 10",
            entry_identifier=str(5120 + i),
            definition="NXtomo",
            start=start,
            minutes=25,
            instrument={
                "NX_class": "NXinstrument",
                "name": Field(TOMO, attrs={"short_name": "TOMO"}),
                "source": source(RING, current=Field(399.8 - 0.1 * i, "mA")),
                "monochromator": {
                    "NX_class": "NXmonochromator",
                    "energy": Field(21.0, "keV"),
                    "wavelength": Field(0.5904, "Å"),
                },
                "detector": {
                    "NX_class": "NXdetector",
                    "description": "sCMOS camera, LuAG:Ce 20 um scintillator",
                    "x_pixel_size": Field(0.65, "um"),
                    "y_pixel_size": Field(0.65, "um"),
                    "count_time": Field(150, "ms"),
                    "distance": Field(25, "mm"),
                    "data": projections(angles, seed=5120 + i),
                    "image_key": np.zeros(len(angles), dtype="i4"),
                },
            },
            sample=sample(
                name,
                rotation_angle=Field(angles, "deg"),
                cell=environment(
                    "operando pouch cell",
                    state_of_charge=Field(10 * i, "percent"),
                    voltage=Field(round(0.9 - 0.07 * i, 3), "V"),
                ),
            ),
            data={
                "NX_class": "NXdata",
                "@signal": "data",
                "data": Link("/entry/instrument/detector/data"),
                "rotation_angle": Link("/entry/sample/rotation_angle"),
            },
        )
        relative = f"{folder}/scan_{i + 1:04d}.nxs"
        nexus_write(root / relative, {"entry": tree})
        scans.append(relative)
        fates[relative] = Fate(published=i < 3)
    for j, inputs in enumerate((scans[:5], scans[5:])):
        relative = f"{folder}/processed/reconstruction_{j + 1}.nxs"
        slices = cross_section(seed=5120 + 5 * j)
        tree = entry(
            proposal="443117",
            title=f"Reconstructed volumes, scans {5 * j + 1} to {5 * j + 5}",
            experiment_description="Gridrec reconstructions with ring removal, float volumes",
            definition="NXtomoproc",
            program_name=Field("tomopy", attrs={"version": "1.15"}),
            start=begin + timedelta(days=20 + j),
            minutes=90,
            reconstruction={
                "NX_class": "NXprocess",
                "program": "tomopy",
                "version": "1.15",
                "parameters": {
                    "NX_class": "NXparameters",
                    "algorithm": "gridrec",
                    "ring_removal": "fw",
                    "centre": Field(1279.5, "pixel"),
                    "voxel_size": Field(0.65, "um"),
                },
            },
            data={"NX_class": "NXdata", "@signal": "data", "data": slices},
        )
        nexus_write(root / relative, {"entry": tree})
        fates[relative] = Fate(published=j == 0, inputs=tuple(inputs))
    return fates


# --- SAXS ----------------------------------------------------------------------------------


def scattering(q0: float, seed: int, side: int = 128) -> np.ndarray:
    """A 2-D SAXS pattern: Guinier decay, a mesophase ring at q0 and its second order."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:side, :side]
    q = np.hypot(x - side / 2 + 0.5, y - side / 2 - 6.5) / side * 0.6
    intensity = 4000 * np.exp(-(q**2) * 900) + 60 / (1 + (q / 0.05) ** 2)
    for order, height in ((1, 900), (2, 150)):
        intensity += height * np.exp(-(((q - order * q0) / 0.006) ** 2))
    intensity = rng.poisson(intensity + 5).astype("f4")
    intensity[q < 0.012] = 0  # the beamstop
    return intensity


def saxs(root: Path, now: datetime) -> dict[str, Fate]:
    """Recent and embargoed; beamline staff read it through an access group; bob gets two."""
    begin = now - PROPOSAL["443233"][5] * YEAR
    folder = f"lpnc/saxs/{begin.year}/443233"
    fates, raws = {}, {}
    for i in range(12):
        start = begin + timedelta(minutes=50 * i)
        name = f"443233-S0{1 + i % 2}"
        temperature, ph = 20 + 5 * (i // 2), round(7.4 - 0.4 * (i % 3), 1)
        tree = entry(
            proposal="443233",
            title=f"{name} at {temperature} degC, pH {ph}",
            experiment_description=f"{name}: SAXS/WAXS series at pH {ph}",
            entry_identifier=str(880 + i),
            definition="NXsas",
            start=start,
            minutes=12,
            instrument={
                "NX_class": "NXinstrument",
                "name": Field(SAXS, attrs={"short_name": "SAXS"}),
                "source": source(RING, current=Field(400.1, "mA")),
                "monochromator": {
                    "NX_class": "NXmonochromator",
                    "energy": Field(12.4, "keV"),
                    "wavelength": Field(1.0, "Å"),
                },
                "detector": {
                    "NX_class": "NXdetector",
                    "description": "Pilatus 2M (binned)",
                    "distance": Field(2150, "mm"),
                    "x_pixel_size": Field(172, "um"),
                    "count_time": Field(1, "s"),
                    "data": scattering(0.1 + 0.002 * i, seed=880 + i),
                },
            },
            sample=sample(
                name,
                transmission=round(0.7 + 0.015 * i, 3),
                capillary=environment(
                    "flow-through capillary",
                    temperature=Field(temperature, "degC"),
                    ph=ph,
                ),
            ),
            data={
                "NX_class": "NXdata",
                "@signal": "data",
                "data": Link("/entry/instrument/detector/data"),
            },
        )
        relative = f"{folder}/lnp_{name[-3:]}_{i:03d}.nxs"
        nexus_write(root / relative, {"entry": tree})
        raws.setdefault(name, []).append(relative)
        fates[relative] = Fate(shared_with=(email_of("bob"),) if i == 4 else ())
    q = np.geomspace(0.005, 0.5, 300)
    for j, (name, inputs) in enumerate(raws.items()):
        relative = f"{folder}/processed/{name}_merged_profiles.nxs"
        radius = 28 + 4 * j
        tree = entry(
            proposal="443233",
            title=f"{name}: merged, buffer-subtracted profiles",
            experiment_description=f"Absolute-scaled, buffer-subtracted profiles of {name}",
            definition="NXcanSAS",
            program_name=Field("pyFAI", attrs={"version": "2024.2"}),
            start=begin + timedelta(days=2, hours=j),
            minutes=30,
            sample=sample(name),
            fit={
                "NX_class": "NXprocess",
                "program": "SASView 5.0.6",
                "radius_of_gyration": Field(float(radius), "nm"),
                # Not a unit: the dataset keeps it with a unit issue, as happens.
                "intensity_scale": Field(0.0123, "arb. units"),
            },
            data={
                "NX_class": "NXdata",
                "@signal": "I",
                "@axes": "Q",
                "I": Field(1e3 * np.exp(-((q * radius / 10) ** 2) / 3), "1/cm"),
                "Q": Field(q, "1/angstrom"),
            },
        )
        nexus_write(root / relative, {"entry": tree})
        fates[relative] = Fate(
            shared_with=(email_of("bob"),) if j == 0 else (), inputs=tuple(inputs)
        )
    return fates


# --- neutron powder diffraction ------------------------------------------------------------


def diffraction(two_theta: np.ndarray, temperature: float, seed: int) -> np.ndarray:
    """A neutron powder pattern of a layered oxide: peaks move with thermal expansion."""
    rng = np.random.default_rng(seed)
    stretch = 1 + 1.2e-5 * temperature
    counts = 300 + 0.8 * two_theta
    for position, height in ((18.7, 3000), (36.7, 900), (38.3, 1400), (44.4, 2600), (64.5, 1100)):
        for order in (1, 2):
            sine = order * np.sin(np.radians(position / 2)) / stretch
            if sine < 1:  # higher orders beyond 180 degrees do not exist
                centre = np.degrees(2 * np.arcsin(sine))
                counts += height / order**2 * np.exp(-(((two_theta - centre) / 0.35) ** 2))
    return rng.poisson(counts).astype("f8")


def neutron(root: Path, now: datetime) -> dict[str, Fate]:
    """Embargoed, but the two datasets of the paper are published; one is shared with alice.

    One folder per run (the mapping groups this proposal by directory): the NeXus file and
    the reduced pattern (.xye) are one dataset.
    """
    begin = now - PROPOSAL["443305"][5] * YEAR
    folder = f"lpnc/hrpt/{begin.year}/443305"
    two_theta = np.linspace(4, 160, 1600)
    fates, runs = {}, []
    for i, temperature in enumerate((10, 50, 100, 150, 200, 300, 400, 500, 600)):
        start = begin + timedelta(hours=5 * i)
        name = "443305-S01" if i < 6 else "443305-S02"
        counts = diffraction(two_theta, temperature, seed=8800 + i)
        tree = entry(
            proposal="443305",
            title=f"{name} at {temperature} K",
            experiment_description=f"{name} at {temperature} K, vanadium can, high intensity",
            entry_identifier=str(8800 + i),
            definition="NXmonopd",
            start=start,
            minutes=240,
            instrument={
                "NX_class": "NXinstrument",
                "name": Field(HRPT, attrs={"short_name": "HRPT"}),
                "source": source(SPALLATION, power=Field(1.4, "MW")),
                "crystal": {
                    "NX_class": "NXcrystal",
                    "type": "Ge(533)",
                    "wavelength": Field(1.494, "Angstrom"),
                },
                "detector": {
                    "NX_class": "NXdetector",
                    "description": "1600 3He tubes",
                    "polar_angle": Field(two_theta, "deg"),
                    "data": counts,
                },
            },
            sample=sample(
                name,
                chemical_formula="LiNi0.8Mn0.1Co0.1O2",
                cryofurnace=environment(
                    "cryofurnace",
                    temperature=Field(float(temperature), "K"),
                    pressure=Field(1e-5, "mbar"),
                ),
            ),
            monitor={"NX_class": "NXmonitor", "mode": "monitor", "integral": 2_500_000},
            data={
                "NX_class": "NXdata",
                "@signal": "data",
                "@axes": "polar_angle",
                "data": Link("/entry/instrument/detector/data"),
                "polar_angle": Link("/entry/instrument/detector/polar_angle"),
            },
        )
        run = f"{folder}/hrpt_{temperature}K"
        nexus_write(root / run / f"hrpt{start.year}n{8800 + i:06d}.nxs", {"entry": tree})
        rows = "\n".join(
            f"{t:.3f} {c:.0f} {np.sqrt(c):.1f}" for t, c in zip(two_theta, counts, strict=True)
        )
        (root / run / f"hrpt_{temperature}K.xye").write_text(rows + "\n")
        runs.append(run)
        fates[run] = Fate(published=i == 0, shared_with=(email_of("alice"),) if i == 3 else ())
    run = f"{folder}/rietveld"
    tree = entry(
        proposal="443305",
        title="Joint Rietveld refinement of all temperatures",
        experiment_description="Joint Rietveld refinement of all temperatures, FullProf",
        program_name=Field("FullProf", attrs={"version": "7.95"}),
        start=begin + timedelta(days=30),
        minutes=60,
        refinement={
            "NX_class": "NXprocess",
            "rwp": Field(4.1, "percent"),
            "lattice_a": Field(2.8723, "Å"),
            "lattice_c": Field(14.2031, "Å"),
        },
        data={
            "NX_class": "NXdata",
            "@signal": "lattice_c",
            "@axes": "temperature",
            "lattice_c": Field(14.2031 * (1 + 1.2e-5 * np.array([10, 150, 300, 600])), "Å"),
            "temperature": Field(np.array([10.0, 150.0, 300.0, 600.0]), "K"),
        },
    )
    nexus_write(root / run / "nmc811_refinement.nxs", {"entry": tree})
    (root / run / "nmc811.pcr").write_text("COMM NMC811 joint refinement\n! FullProf 7.95\n")
    (root / run / "nmc811.cif").write_text("data_nmc811\n_cell_length_a 2.8723\n")
    fates[run] = Fate(published=True, inputs=tuple(runs))
    return fates
