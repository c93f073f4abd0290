"""The demo's fixed facts: people, proposals, samples and the instruments the files describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

YEAR = timedelta(days=365.25)

LPNC = "Lakeside Photon and Neutron Centre"
KO = "Kestrel Observatory"

# username, first name, last name, groups
PEOPLE = [
    ("alice", "Alice", "Moreau", ["p443117", "p443233"]),
    ("bob", "Bob", "Lindqvist", ["p443305"]),
    ("carol", "Carol", "Achebe", ["lpnc-staff"]),
    ("dave", "Dave", "Kowalski", ["ko-b014"]),
    ("oscar", "Oscar", "Novak", []),
]

PEOPLE_NAMES = {username: f"{first} {last}" for username, first, last, _ in PEOPLE}


def email_of(username: str) -> str:
    return PEOPLE_NAMES[username].replace(" ", ".").lower() + "@example.org"


# id, owner group, PI, title, abstract, start (years ago), length (days)
PROPOSALS = [
    (
        "443117",
        "p443117",
        "alice",
        "In situ micro-tomography of silicon-graphite anodes during first lithiation",
        "Silicon swells by up to 300 % when it takes up lithium. We follow crack formation and "
        "electrode delamination in operando pouch cells with fast synchrotron micro-tomography.",
        4.2,
        4,
    ),
    (
        "443233",
        "p443233",
        "alice",
        "Structure of lipid nanoparticles for mRNA delivery under physiological conditions",
        "We measure how the internal mesophase of ionisable-lipid nanoparticles changes with pH "
        "and temperature, combining SAXS and WAXS on a flow-through capillary.",
        0.6,
        3,
    ),
    (
        "443305",
        "p443305",
        "bob",
        "Oxygen vacancy ordering in Ni-rich layered cathodes between 10 K and 600 K",
        "Neutron powder diffraction locates the light oxygen and lithium sites that X-rays barely "
        "see, to relate vacancy ordering to capacity fade in LiNi0.8Mn0.1Co0.1O2.",
        1.5,
        5,
    ),
    (
        "ko-b014",
        "ko-b014",
        "dave",
        "Multi-band light curves of RR Lyrae stars in the Galactic bulge",
        "A two-year monitoring programme in g', r' and i' to measure Blazhko modulation and "
        "period changes of 40 RR Lyrae stars.",
        2.0,
        600,
    ),
]
PROPOSAL = {row[0]: row for row in PROPOSALS}

# name, description, NXsample fields {name: (value, unit)}
SAMPLES = {
    "443117-S01": ("Si-graphite anode, 20 wt% Si", {"thickness": (45, "um")}),
    "443117-S02": ("Si-graphite anode, 40 wt% Si", {"thickness": (52, "um")}),
    "443233-S01": ("LNP, ionisable lipid SM-102", {"concentration": (5, "mg/mL")}),
    "443233-S02": ("LNP, ionisable lipid ALC-0315", {"concentration": (4, "mg/mL")}),
    "443305-S01": ("LiNi0.8Mn0.1Co0.1O2, pristine", {"mass": (4.1, "g")}),
    "443305-S02": ("LiNi0.8Mn0.1Co0.1O2, 500 cycles", {"mass": (3.8, "g")}),
}

# The instruments as the files name them (NXinstrument/name, FITS INSTRUME).
TOMO, SAXS, HRPT, T12 = "LPNC-TOMO", "LPNC-SAXS", "LPNC-HRPT", "KO-T12 Imager"


@dataclass(frozen=True)
class Fate:
    """What curation does to a source's dataset after the harvest (campaigns.curate)."""

    published: bool = False
    shared_with: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()  # sources (relative to the demo root) of its input datasets
