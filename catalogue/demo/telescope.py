"""The Kestrel Observatory's FITS files: nine nights of a bulge field, and a stacked release.

The programme's policy gives a one-year proprietary period (set before the harvest, see
campaigns.py): older nights are public by now, recent ones are not. One folder per night (the
mapping groups the programme by directory), three frames each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from .files import fits_write
from .records import PEOPLE_NAMES, PROPOSAL, T12, YEAR, Fate

SIDE = 96
FIELD_RA, FIELD_DEC = 270.89, -30.03  # degrees: Baade's window, more or less
PIXEL = 0.3 / 3600  # degrees (0.3 arcsec)


def sky(seed: int, seeing: float, variable: float) -> np.ndarray:
    """A crowded field: the same stars every night (one of them an RR Lyrae), sky and noise."""
    stars = np.random.default_rng(14).uniform([0, 0, 200], [SIDE, SIDE, 6000], size=(60, 3))
    stars[0, 2] *= variable
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:SIDE, :SIDE]
    sigma = seeing / 0.3 / 2.355  # FWHM in arcsec to pixels
    image = np.full((SIDE, SIDE), 1000.0)
    for sx, sy, flux in stars:
        spread = np.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * sigma**2))
        image += flux / (2 * np.pi * sigma**2) * spread
    return np.clip(rng.normal(image, np.sqrt(image)), 0, 32767).astype("i2")


def cards(start: datetime, band: str, frame: int, seeing: float) -> list[tuple]:
    return [
        ("OBJECT", "Bulge field B3", "target"),
        ("TELESCOP", "KO-T12", "Kestrel Observatory 1.2 m"),
        ("INSTRUME", T12, "CCD imager"),
        ("OBSERVER", PEOPLE_NAMES["dave"]),
        ("PROPOSID", "ko-b014", "programme"),
        ("FILTER", f"{band}'"),
        ("EXPTIME", 300.0, "[s] exposure time"),
        ("DATE-OBS", (start + timedelta(minutes=6 * frame)).strftime("%Y-%m-%dT%H:%M:%S")),
        ("DATE", (start + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S"), "file written"),
        ("AIRMASS", round(1.05 + 0.07 * frame, 2)),
        ("SEEING", seeing, "[arcsec] FWHM"),
        ("CCD-TEMP", -100.0, "[degC] detector temperature"),
        ("RADESYS", "ICRS"),
        ("EQUINOX", 2000.0),
        ("CTYPE1", "RA---TAN"),
        ("CTYPE2", "DEC--TAN"),
        ("CRPIX1", (SIDE + 1) / 2),
        ("CRPIX2", (SIDE + 1) / 2),
        ("CRVAL1", FIELD_RA),
        ("CRVAL2", FIELD_DEC),
        ("CDELT1", -PIXEL),
        ("CDELT2", PIXEL),
        ("CUNIT1", "deg"),
        ("CUNIT2", "deg"),
    ]


def telescope(root: Path, now: datetime) -> dict[str, Fate]:
    begin = now - PROPOSAL["ko-b014"][5] * YEAR
    folder = f"kestrel/t12/{begin.year}/ko-b014"
    fates, r_band = {}, []
    for night in range(9):
        start = begin + timedelta(days=70 * night, hours=22)
        band = "gri"[night % 3]
        seeing = round(0.8 + 0.1 * (night % 5), 2)
        run = f"{folder}/KO-T12-{start:%Y%m%d}-bulge-{band}"
        for frame in range(3):
            image = sky(100 * night + frame, seeing, variable=1.0 + 0.5 * np.sin(night))
            path = root / run / f"t12_{start:%Y%m%d}_{frame + 1:04d}.fits"
            fits_write(path, cards(start, band, frame, seeing), image)
        fates[run] = Fate()
        if band == "r":
            r_band.append(run)
    start = begin + timedelta(days=400)
    run = f"{folder}/release-1"
    stack = np.mean([sky(7000 + n, 0.9, 1.0).astype("f4") for n in range(4)], axis=0)
    stack_cards = [c for c in cards(start, "r", 0, 0.9) if c[0] not in ("EXPTIME", "AIRMASS")]
    stack_cards += [("EXPTIME", 3600.0, "[s] total exposure"), ("NCOMBINE", 12)]
    fits_write(root / run / "bulge_B3_r_stack.fits", stack_cards, stack.astype("f4"))
    catalogue = "id,ra,dec,r_mag\n1,270.8901,-30.0302,17.21\n"
    (root / run / "bulge_B3_r_catalogue.csv").write_text(catalogue)
    fates[run] = Fate(published=True, inputs=tuple(r_band))
    return fates
