"""The demo's fixed records: people, techniques, instruments, proposals and samples."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings

from catalogue.access import SYSTEM
from catalogue.models import Instrument
from catalogue.services import instrument_create, proposal_create, sample_create, technique_ensure

YEAR = timedelta(days=365.25)
_PID_NAMESPACE = uuid.UUID("6f1d2c1e-8d5b-4b8e-9a57-3c0f2a9e4d10")  # stable instrument pids

LPNC = "Lakeside Photon and Neutron Centre"
KO = "Kestrel Observatory"

# PaNET ids and labels exactly as in PaNET.csv (pan-ontologies/PaNET).
PANET = "http://purl.org/pan-science/PaNET/"
TECHNIQUES = {
    "xct": ("PaNET01207", "x-ray tomography-based techniques"),
    "xmct": ("PaNET01208", "x-ray microtomography-based techniques"),
    "saxs": ("PaNET01188", "small angle x-ray scattering"),
    "waxs": ("PaNET01191", "wide angle x-ray scattering"),
    "npd": ("PaNET01100", "neutron powder diffraction"),
}

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


def q(value, unit: str) -> dict:
    """A quantity as facilities write it."""
    return {"value": value, "unit": unit}


INSTRUMENTS = {
    "tomo": (
        "LPNC-TOMO",
        "TOMO: hard X-ray micro-tomography beamline",
        LPNC,
        {
            "source": "2.4 GeV storage ring",
            "energyRange": q([8, 45], "keV"),
            "maxFOV": q(12, "mm"),
        },
    ),
    "saxs": (
        "LPNC-SAXS",
        "SAXS: small- and wide-angle X-ray scattering beamline",
        LPNC,
        {"energyRange": q([7, 18], "keV"), "detector": "Pilatus 2M", "maxDistance": q(7, "m")},
    ),
    "hrpt": (
        "LPNC-HRPT",
        "HRPT: high-resolution powder diffractometer for thermal neutrons",
        LPNC,
        {"monochromator": "Ge(533)", "wavelength": q(1.494, "Angstrom"), "detectorTubes": 1600},
    ),
    "t12": (
        "KO-T12",
        "T12: 1.2 m imaging telescope",
        KO,
        {"aperture": q(1.2, "m"), "focalLength": q(9.6, "m"), "altitude": q(2340, "m")},
    ),
}

# id, owner group, PI, instrument, title, abstract, start (years ago), length (days)
PROPOSALS = [
    (
        "443117",
        "p443117",
        "alice",
        "tomo",
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
        "saxs",
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
        "hrpt",
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
        "t12",
        "Multi-band light curves of RR Lyrae stars in the Galactic bulge",
        "A two-year monitoring programme in g', r' and i' to measure Blazhko modulation and "
        "period changes of 40 RR Lyrae stars.",
        2.0,
        600,
    ),
]

# sample id, proposal, description, characteristics
SAMPLES = [
    ("443117-S01", "443117", "Si-graphite anode, 20 wt% Si", {"thickness": q(45, "um")}),
    ("443117-S02", "443117", "Si-graphite anode, 40 wt% Si", {"thickness": q(52, "um")}),
    ("443233-S01", "443233", "LNP, ionisable lipid SM-102", {"concentration": q(5, "mg/mL")}),
    ("443233-S02", "443233", "LNP, ionisable lipid ALC-0315", {"concentration": q(4, "mg/mL")}),
    ("443305-S01", "443305", "LiNi0.8Mn0.1Co0.1O2, pristine", {"mass": q(4.1, "g")}),
    ("443305-S02", "443305", "LiNi0.8Mn0.1Co0.1O2, 500 cycles", {"mass": q(3.8, "g")}),
]
_SAMPLE_EXTRA = {"443117": {"diameter": q(1.5, "mm")}, "443305": {"density": q(4.7, "g/cm^3")}}


def entities_create(*, now: datetime) -> dict[str, Instrument]:
    """Techniques, instruments, proposals and samples; returns the instruments by key."""
    instruments = {}
    for number, name in TECHNIQUES.values():
        technique_ensure(pid=PANET + number, name=name)
    for key, (unique_name, name, facility, metadata) in INSTRUMENTS.items():
        found = Instrument.objects.filter(unique_name=unique_name).first()
        instruments[key] = found or instrument_create(
            user=SYSTEM,
            data={
                "pid": f"{settings.PID_PREFIX}/{uuid.uuid5(_PID_NAMESPACE, unique_name)}",
                "unique_name": unique_name,
                "name": name,
                "facility": facility,
                "custom_metadata": metadata,
            },
        )
    for pid_, group, pi, instrument, title, abstract, years_ago, days in PROPOSALS:
        start = now - years_ago * YEAR
        first, last = PEOPLE_NAMES[pi].split()
        lpnc = instrument != "t12"
        proposal_create(
            user=SYSTEM,
            data={
                "proposal_id": pid_,
                "owner_group": group,
                "access_groups": ["lpnc-staff"] if lpnc else [],
                "email": email_of(pi),
                "pi_email": email_of(pi),
                "pi_firstname": first,
                "pi_lastname": last,
                "firstname": first,
                "lastname": last,
                "title": title,
                "abstract": abstract,
                "start_time": start,
                "end_time": start + timedelta(days=days),
                "instrument_ids": [instruments[instrument].pid],
                "metadata": {"facility": LPNC if lpnc else KO},
            },
        )
        for sample_id, proposal_id, description, characteristics in SAMPLES:
            if proposal_id != pid_:
                continue
            sample_create(
                user=SYSTEM,
                data={
                    "sample_id": sample_id,
                    "proposal_id": pid_,
                    "owner_group": group,
                    "access_groups": ["lpnc-staff"] if lpnc else [],
                    "owner": PEOPLE_NAMES[pi],
                    "description": description,
                    "type": "nanoparticle dispersion" if pid_ == "443233" else "battery electrode",
                    "sample_characteristics": {**characteristics, **_SAMPLE_EXTRA.get(pid_, {})},
                },
            )
    return instruments
