"""File generation for bench/harvest.py: the NeXus files (a basic NXmx entry of about 60
objects, different for every n) and FITS images of the full harvest, the header-only FITS files
of the unchanged tree, and the mapping file that takes owner group and proposal from the folder,
as a site's mapping does. Everything is deterministic (a fixed start time and random seed), so
two runs of the bench harvest the same files.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROPOSALS = [f"p{20001 + n}" for n in range(20)]
INSTRUMENTS = ["BL13 XALOC", "BL11 NCD-SWEET", "BL22 CLAESS"]
START = datetime(2024, 3, 1, 8, tzinfo=UTC)


def nexus_tree(n: int) -> dict:
    """A basic NXmx entry of about 60 objects, different for every n."""
    import numpy as np

    from catalogue.demo.files import Field, Link

    start = START + timedelta(minutes=7 * n)
    proposal = PROPOSALS[n % len(PROPOSALS)]

    def group(nx_class, **fields):
        return {"NX_class": nx_class, **fields}

    return {
        "NX_class": "NXentry",
        "title": f"Lysozyme crystal {n % 37}, sweep {n}",
        "definition": "NXmx",
        "experiment_identifier": proposal,
        "entry_identifier": str(100_000 + n),
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=5)).isoformat(),
        "user": group("NXuser", name="Ada Lovelace", email="ada@uni.example", role="PI"),
        "instrument": group(
            "NXinstrument",
            name=INSTRUMENTS[n % len(INSTRUMENTS)],
            source=group(
                "NXsource",
                name="ALBA",
                type="Synchrotron X-ray Source",
                probe="x-ray",
                current=Field(250.0 - n % 10, "mA"),
                energy=Field(3.0, "GeV"),
            ),
            monochromator=group(
                "NXmonochromator",
                wavelength=Field(0.979, "Angstrom"),
                energy=Field(12.66, "keV"),
                wavelength_spread=0.0002,
            ),
            attenuator=group("NXattenuator", type="Al", thickness=Field(0.1, "mm")),
            collimator=group("NXcollimator", type="slit", divergence_x=Field(0.1, "mrad")),
            beam=group("NXbeam", incident_wavelength=Field(0.979, "Angstrom"), flux=1.2e12),
            detector=group(
                "NXdetector",
                description="Pilatus 6M",
                distance=Field(0.25, "m"),
                count_time=Field(0.1, "s"),
                x_pixel_size=Field(172, "um"),
                y_pixel_size=Field(172, "um"),
                beam_center_x=Field(1231.5, "pixel"),
                beam_center_y=Field(1263.5, "pixel"),
                sensor_material="Si",
                sensor_thickness=Field(450, "um"),
                data=np.arange(12 * 20, dtype="u2").reshape(12, 20) + n % 100,
            ),
            goniometer=group(
                "NXtransformations",
                omega=Field(np.linspace(0, 36, 10), "deg"),
                phi=Field(0.0, "deg"),
                kappa=Field(0.0, "deg"),
            ),
        ),
        "sample": group(
            "NXsample",
            name=f"lysozyme-{n % 37:02d}",
            chemical_formula="C613H959N193O185S10",
            temperature=Field(100.0, "K"),
            unit_cell=Field([79.1, 79.1, 38.0, 90, 90, 90], ""),
            space_group="P43212",
            description="tetragonal lysozyme, cryo-cooled",
            situation="air",
            mass=Field(0.02, "mg"),
            preparation_date="2024-02-28T12:00:00Z",
            short_title=f"lyso-{n % 37:02d}",
        ),
        "data": group(
            "NXdata", **{"@signal": "data"}, data=Link("/entry/instrument/detector/data")
        ),
    }


FITS_CARDS = [
    ("TELESCOP", "KO-T12"),
    ("INSTRUME", "KO-T12 Imager"),
    ("OBSERVER", "Dave Kowalski"),
    ("FILTER", "r'"),
    ("EXPTIME", 300.0, "[s] exposure time"),
    ("AIRMASS", 1.21),
    ("CCD-TEMP", -100.0, "[degC]"),
    ("RADESYS", "ICRS"),
    ("EQUINOX", 2000.0),
    ("CTYPE1", "RA---TAN"),
    ("CTYPE2", "DEC--TAN"),
    ("CRPIX1", 32.5),
    ("CRPIX2", 32.5),
    ("CDELT1", -8.3e-5),
    ("CDELT2", 8.3e-5),
]


def fits_cards(n: int) -> list[tuple]:
    start = START + timedelta(minutes=6 * n)
    return [
        ("OBJECT", f"Field {n % 50}"),
        ("DATE-OBS", start.strftime("%Y-%m-%dT%H:%M:%S")),
        ("PROPOSID", PROPOSALS[n % len(PROPOSALS)]),
        ("CRVAL1", 270.0 + n % 50 / 10),
        ("CRVAL2", -30.0),
        *FITS_CARDS,
    ]


def header_only_fits(n: int) -> bytes:
    """A FITS file with no data: one 2,880-byte header block (the unchanged tree's files)."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8"]
    cards += ["NAXIS   =                    0", f"OBJECT  = 'Frame {n}'", "END"]
    header = b"".join(card.encode("ascii").ljust(80) for card in cards)
    return header.ljust(2880, b" ")


def generate(root: Path, nexus: int, fits: int) -> list[str]:
    import numpy as np
    from tqdm import tqdm

    from catalogue.demo.files import fits_write, nexus_write

    paths = []
    rng = np.random.default_rng(1)
    with tqdm(total=nexus + fits, desc="files", unit="file", mininterval=1) as bar:
        for n in range(nexus):
            path = root / PROPOSALS[n % len(PROPOSALS)] / f"sweep_{n:06d}.nxs"
            paths.append(str(nexus_write(path, {"entry": nexus_tree(n)})))
            bar.update()
        for n in range(fits):
            path = root / "sky" / PROPOSALS[n % len(PROPOSALS)] / f"frame_{n:06d}.fits"
            image = rng.normal(1000, 30, (64, 64)).astype("i2")
            paths.append(str(fits_write(path, fits_cards(n), image)))
            bar.update()
    return paths


def generate_unchanged(root: Path, count: int) -> None:
    from tqdm import tqdm

    for n in tqdm(range(count), desc="unchanged tree", unit="file", mininterval=1):
        folder = root / PROPOSALS[n % len(PROPOSALS)] / f"night{n // 1000:03d}"
        if n % 1000 < len(PROPOSALS):
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"frame_{n:07d}.fits").write_bytes(header_only_fits(n))


def mapping(root: Path) -> Path:
    """Owner group and proposal from the folder, as a site's mapping does."""
    path = root / "mapping.json"
    rule = {"pattern": r"/(?P<p>p\d{5})/", "owner_group": "{p}", "proposal_id": "{p}"}
    body = {"owner_group": "bench", "contact_email": "data@facility.example", "rules": [rule]}
    path.write_text(json.dumps(body))
    return path
