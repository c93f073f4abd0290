"""The demo datasets: four measurement campaigns, each in its own access situation."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from catalogue.access import SYSTEM
from catalogue.models import Instrument
from catalogue.services import dataset_create, origdatablock_add

from .records import LPNC, PANET, PEOPLE_NAMES, TECHNIQUES, YEAR, email_of, q

MB, GB = 1_000_000, 1_000_000_000


@dataclass
class Loader:
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(20240117))
    instruments: dict[str, Instrument] = field(default_factory=dict)
    created: int = 0

    def dataset(self, proposal: tuple, *, start: datetime, name: str, files: list, **fields):
        pid_, group, pi, instrument, *_ = proposal
        inst = self.instruments[instrument]
        site, beamline = inst.unique_name.split("-")
        folder = f"/data/{site.lower()}/{beamline.lower()}/{start.year}/{pid_}/{name}"
        full_name = PEOPLE_NAMES[pi]
        end = start + timedelta(minutes=self.rng.randint(20, 240))
        if fields.get("is_published"):
            fields["embargo_end"] = None  # public anyway; no embargo to end
        data = {
            "type": "raw",
            "dataset_name": name,
            "owner_group": group,
            "owner": full_name,
            "owner_email": email_of(pi),
            "contact_email": email_of(pi),
            "principal_investigators": [full_name],
            "source_folder": folder,
            "creation_time": end,
            "start_time": start,
            "end_time": end,
            "creation_location": f"/{site}/{beamline}",
            "proposal_ids": [pid_],
            "instrument_ids": [inst.pid],
            "data_format": "NeXus/HDF5" if inst.facility == LPNC else "FITS",
            **fields,
        }
        dataset = dataset_create(user=SYSTEM, data=data)
        origdatablock_add(
            user=SYSTEM, dataset=dataset, files=self.files(folder, files, end), chk_alg="sha256"
        )
        self.created += 1
        return dataset

    def files(self, folder: str, names: list[tuple[str, int]], when: datetime) -> list[dict]:
        return [
            {
                "path": path,
                "size": int(size * self.rng.uniform(0.8, 1.2)),
                "time": (when - timedelta(seconds=10 * (len(names) - i))).isoformat(),
                # Not the file's checksum (there is no file): a stable stand-in of the same form.
                "chk": hashlib.sha256(f"{folder}/{path}".encode()).hexdigest(),
            }
            for i, (path, size) in enumerate(names)
        ]


def _technique(key: str) -> dict:
    number, name = TECHNIQUES[key]
    return {"pid": PANET + number, "name": name}


def _tomography(loader: Loader, proposal: tuple) -> None:
    """Four years old: the embargo has ended; the datasets behind the paper are published."""
    begin = loader.now - 4.2 * YEAR
    raws = []
    for i in range(10):
        start = begin + timedelta(hours=7 * i)
        sample = f"443117-S0{1 + i % 2}"
        raws.append(
            loader.dataset(
                proposal,
                start=start,
                name=f"scan_{i + 1:04d}",
                files=[
                    (f"scan_{i + 1:04d}.h5", 18 * GB),
                    ("darks.h5", 400 * MB),
                    ("flats.h5", 800 * MB),
                    ("acquisition.log", 40_000),
                ],
                description=f"Operando micro-CT of {sample} at state of charge {10 * i} %",
                sample_ids=[sample],
                techniques=[_technique("xmct")],
                keywords=["battery", "silicon anode", "operando"],
                run_number=str(5120 + i),
                embargo_end=start + 3 * YEAR,
                is_published=i < 3,
                scientific_metadata={
                    "beamEnergy": q(21.0, "keV"),
                    "pixelSize": q(0.65, "um"),
                    "exposureTime": q(150, "ms"),
                    "numberOfProjections": 1801,
                    "sampleDetectorDistance": q(25, "mm"),
                    "ringCurrent": {"v": round(loader.rng.uniform(399, 401), 2), "u": "mA"},
                    "stateOfCharge": q(10 * i, "%"),
                    "scintillator": "LuAG:Ce 20 um",
                },
            )
        )
    for j, chunk in enumerate((raws[:5], raws[5:])):
        start = begin + timedelta(days=20 + j)
        loader.dataset(
            proposal,
            start=start,
            name=f"reconstruction_{j + 1}",
            files=[("recon.h5", 60 * GB), ("preview.png", 2 * MB), ("tomopy_params.json", 3000)],
            type="derived",
            description="Gridrec reconstructions with ring removal, 32-bit float volumes",
            input_datasets=[d.pid for d in chunk],
            used_software=["tomopy 1.15", "fedcat-demo-pipeline 0.1"],
            job_parameters={"algorithm": "gridrec", "ringRemoval": "fw", "centre": 1279.5},
            techniques=[_technique("xct")],
            embargo_end=start + 3 * YEAR,
            is_published=j == 0,
            scientific_metadata={"voxelSize": q(0.65, "um"), "volumeShape": [2560, 2560, 2160]},
        )


def _saxs(loader: Loader, proposal: tuple) -> None:
    """Recent and embargoed; beamline staff read it through an access group; bob gets two."""
    begin = loader.now - 0.6 * YEAR
    raws: dict[str, list[str]] = {}
    for i in range(12):
        start = begin + timedelta(minutes=50 * i)
        sample = f"443233-S0{1 + i % 2}"
        dataset = loader.dataset(
            proposal,
            start=start,
            name=f"lnp_{sample[-3:]}_T{20 + 5 * (i // 2)}",
            files=[(f"frames_{i:03d}.h5", 2 * GB), (f"frames_{i:03d}_azint.dat", 300_000)],
            description=f"{sample}: SAXS/WAXS series at pH {7.4 - 0.4 * (i % 3):.1f}",
            sample_ids=[sample],
            techniques=[_technique("saxs"), _technique("waxs")],
            keywords=["lipid nanoparticles", "mRNA", "mesophase"],
            access_groups=["lpnc-staff"],
            shared_with=[email_of("bob")] if i == 4 else [],
            embargo_end=start + 3 * YEAR,
            scientific_metadata={
                "energy": q(12.4, "keV"),
                "wavelength": q(1.0, "Å"),
                "detectorDistance": q(2150, "mm"),
                "qRange": {"type": "quantity_range", "value": [0.005, 0.5], "unit": "1/A"},
                "sampleTemperature": q(20 + 5 * (i // 2), "degC"),
                "exposureTime": q(1, "s"),
                "transmission": round(loader.rng.uniform(0.7, 0.9), 3),
            },
        )
        raws.setdefault(sample, []).append(dataset.pid)
    for j, sample in enumerate(("443233-S01", "443233-S02")):
        start = begin + timedelta(days=2, hours=j)
        loader.dataset(
            proposal,
            start=start,
            name=f"{sample}_merged_profiles",
            files=[("merged.h5", 40 * MB), ("guinier_fits.csv", 20_000)],
            type="derived",
            description=f"Absolute-scaled, buffer-subtracted profiles of {sample}",
            sample_ids=[sample],
            input_datasets=raws[sample],
            used_software=["pyFAI 2024.2", "SASView 5.0.6"],
            techniques=[_technique("saxs")],
            access_groups=["lpnc-staff"],
            shared_with=[email_of("bob")] if j == 0 else [],
            embargo_end=start + 3 * YEAR,
            # "arb. units" is not a unit: the dataset is stored with a unit issue, as it happens.
            scientific_metadata={
                "radiusOfGyration": q(round(loader.rng.uniform(28, 36), 1), "nm"),
                "intensityScale": q(0.0123, "arb. units"),
            },
        )


def _neutron(loader: Loader, proposal: tuple) -> None:
    """Embargoed, but the two datasets of the paper are published; one is shared with alice."""
    begin = loader.now - 1.5 * YEAR
    raws = []
    for i, temperature in enumerate((10, 50, 100, 150, 200, 300, 400, 500, 600)):
        start = begin + timedelta(hours=5 * i)
        sample = "443305-S01" if i < 6 else "443305-S02"
        dataset = loader.dataset(
            proposal,
            start=start,
            name=f"hrpt_{temperature}K",
            files=[
                (f"hrpt{start.year}n{8800 + i:06d}.hdf", 12 * MB),
                (f"hrpt_{temperature}K.xye", 90_000),
            ],
            description=f"{sample} at {temperature} K, vanadium can, high-intensity mode",
            sample_ids=[sample],
            techniques=[_technique("npd")],
            keywords=["cathode", "NMC811", "oxygen vacancies"],
            access_groups=["lpnc-staff"],
            shared_with=[email_of("alice")] if i == 3 else [],
            is_published=i == 0,
            embargo_end=start + 3 * YEAR,
            scientific_metadata={
                "wavelength": q(1.494, "Angstrom"),
                "sampleTemperature": q(temperature, "K"),
                "monitorCounts": q(2_500_000, "counts"),
                "twoThetaRange": {"type": "quantity_range", "value": [4, 160], "unit": "deg"},
                "sampleEnvironmentPressure": q(1e-5, "mbar"),
            },
        )
        raws.append(dataset.pid)
    start = begin + timedelta(days=30)
    loader.dataset(
        proposal,
        start=start,
        name="rietveld_refinement",
        files=[("nmc811.pcr", 30_000), ("nmc811.out", 200_000), ("nmc811.cif", 8000)],
        type="derived",
        description="Joint Rietveld refinement of all temperatures, FullProf",
        input_datasets=raws,
        used_software=["FullProf 7.95"],
        techniques=[_technique("npd")],
        is_published=True,
        scientific_metadata={"rwp": q(4.1, "%"), "latticeA": q(2.8723, "Å")},
    )


def _telescope(loader: Loader, proposal: tuple) -> None:
    """A one-year proprietary period: older nights are public by now, recent ones are not."""
    begin = loader.now - 2.0 * YEAR
    r_band = []
    for i in range(9):
        start = begin + timedelta(days=70 * i, hours=22)
        band = ("g", "r", "i")[i % 3]
        dataset = loader.dataset(
            proposal,
            start=start,
            name=f"KO-T12-{start:%Y%m%d}-bulge-{band}",
            files=[(f"t12_{start:%Y%m%d}_{n:04d}.fits", 32 * MB) for n in range(4)],
            description=f"Bulge field B3, {band}' band, 4 x 300 s",
            keywords=["RR Lyrae", "Galactic bulge", "photometry", f"{band}'-band"],
            embargo_end=start + 1 * YEAR,
            scientific_metadata={
                "exposureTime": q(300, "s"),
                "filter": f"{band}'",
                "airmass": round(loader.rng.uniform(1.05, 1.6), 2),
                "seeing": q(round(loader.rng.uniform(0.8, 1.6), 2), "arcsec"),
                "ccdTemperature": q(-100, "degC"),
                "rightAscension": q(270.89, "deg"),
                "declination": q(-30.03, "deg"),
            },
        )
        if band == "r":
            r_band.append(dataset.pid)
    start = begin + timedelta(days=400)
    loader.dataset(
        proposal,
        start=start,
        name="bulge-B3-stacked-r",
        files=[("bulge_B3_r_stack.fits", 130 * MB), ("bulge_B3_r_catalogue.csv", 4 * MB)],
        type="derived",
        description="Stacked r' image and source catalogue of field B3 (first data release)",
        input_datasets=r_band,
        used_software=["astropy 6.1", "SWarp 2.41"],
        is_published=True,
        scientific_metadata={"limitingMagnitude": 21.3, "pixelScale": q(0.3, "arcsec")},
    )


CAMPAIGNS = {"443117": _tomography, "443233": _saxs, "443305": _neutron, "ko-b014": _telescope}
