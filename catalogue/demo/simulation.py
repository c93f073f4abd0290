"""The LPNC theory group's openPMD output: two laser-wakefield runs (PIC simulations).

One run is a single groupBased file, the other a fileBased series (one file per iteration):
both become one dataset each. The group owns them and lends them to the beamline staff
(an access group); the first run is published with its paper.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from .files import Iteration, openpmd_write
from .records import YEAR, Fate

CELL = (0.1e-6, 0.4e-6)  # (dz, dx) metres
AUTHOR = "Hiro Tanaka <hiro.tanaka@example.org>"


def wake(a0: float, step: int, shape=(64, 128)) -> dict[str, np.ndarray]:
    """E_z and E_x of a plasma wake behind a laser pulse moving along z."""
    rows, cols = shape
    x = np.linspace(-1, 1, rows)[:, None]
    z = np.linspace(0, 8 * np.pi, cols)[None, :] - 0.02 * step
    envelope = np.exp(-(x**2) / 0.2)
    e_z = 1e11 * a0**2 / 4 * np.sin(z) * envelope
    e_x = 4e10 * a0 * np.cos(z) * x * envelope
    return {"E_z": e_z, "E_x": e_x}


def electrons(a0: float, step: int, count: int = 400) -> np.ndarray:
    rng = np.random.default_rng(int(a0 * 1000) + step)
    return rng.normal(0, 2e-6 / a0, count) + 1e-8 * step


def iteration(a0: float, step: int) -> Iteration:
    return Iteration(
        time=0.05 * step, dt=0.05, fields=wake(a0, step), cell=CELL, positions=electrons(a0, step)
    )


def root_attrs(a0: float, when: datetime, **extra) -> dict:
    return {
        "software": "PIConGPU",
        "softwareVersion": "0.7.0",
        "author": AUTHOR,
        "date": when.strftime("%Y-%m-%d %H:%M:%S +0000"),
        "comment": f"laser wakefield acceleration, a0 = {a0}",
        "machine": "LPNC cluster heron",
        **extra,
    }


def simulation(root: Path, now: datetime) -> dict[str, Fate]:
    folder = "lpnc/theory/lwfa"
    first = f"{folder}/a0_2.0/lwfa_a0_2.h5"
    when = now - 0.9 * YEAR
    steps = (0, 400, 800, 1200)
    openpmd_write(root / first, root_attrs(2.0, when), {s: iteration(2.0, s) for s in steps})
    series = f"{folder}/a0_4.0"
    when = now - 0.3 * YEAR
    attrs = root_attrs(4.0, when, iterationEncoding="fileBased", iterationFormat="data_%06T.h5")
    for step in (0, 500, 1000):
        openpmd_write(root / series / f"data_{step:06d}.h5", attrs, {step: iteration(4.0, step)})
    return {first: Fate(published=True), f"{series}/data_%06T.h5": Fate()}
