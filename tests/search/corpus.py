"""A search corpus of 30 datasets, the personas who look at it, and what each must see.

Built without the database (unsaved Dataset objects, SI annotation by catalogue.units), so a
backend is loaded once per module. The expected answers come from catalogue.access.can and
from the Dataset objects themselves, never from search code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from catalogue.access import ANONYMOUS, Action, Principal, can
from catalogue.models import Dataset
from catalogue.units import annotate_quantities
from search.documents import Related, dataset_document

INSTRUMENTS = {  # pid -> (unique name, name, facility)
    "i-tomcat": ("TOMCAT", "TOMCAT beamline", "PSI"),
    "i-d20": ("D20", "D20 diffractometer", "ILL"),
    "i-bl9": ("BL9", "Beamline nine", "PSI"),
}
TECHNIQUES = [
    {"pid": "PaNET01188", "name": "tomography"},
    {"pid": "PaNET01102", "name": "powder diffraction"},
]
KEYWORDS = ["xray", "neutron", "calibration", "battery", "catalysis"]
ADJECTIVES = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor"]


def _p(name: str, *groups: str, email: str = "") -> Principal:
    return Principal(username=name, email=email, groups=frozenset(groups), is_authenticated=True)


PERSONAS = {
    "anonymous": ANONYMOUS,
    "outsider": _p("oscar", "other-group", email="oscar@example.org"),
    "member": _p("mike", "p-readers", email="mike@example.org"),
    "owner": _p("olivia", "p-owner", email="olivia@example.org"),
    "shared": _p("sam", "other-group", email="sam@example.org"),
    "admin": _p("ada", "admin", email="ada@example.org"),
}


def _access(i: int, past: datetime, future: datetime) -> dict:
    """Who may see dataset i: private, access group, shared, embargoed, embargo ended, public."""
    if i <= 6:  # private to p-owner; two of them still under embargo
        return {"owner_group": "p-owner", "embargo_end": future if i % 3 == 0 else None}
    if i <= 10:
        return {"owner_group": "p-owner", "access_groups": [" p-readers", "p-x"]}
    if i <= 13:
        return {"owner_group": "p-other", "shared_with": [" Sam@Example.ORG", "x@example.org"]}
    if i <= 17:
        return {"owner_group": "p-other", "embargo_end": future}
    if i <= 21:
        return {"owner_group": "p-other", "embargo_end": past}
    if i <= 27:
        return {"owner_group": "p-other", "is_published": True}
    if i == 28:
        return {"owner_group": "p-other", "access_groups": ["p-readers"]}
    if i == 29:
        return {"owner_group": "p-other", "is_published": True, "embargo_end": future}
    return {"owner_group": "p-other"}


def _metadata(i: int) -> dict:
    found: dict = {"run": i, "state": "solid" if i % 2 else "liquid"}
    wavelength = [
        {"value": round(0.005 * i, 4), "unit": "nm"},  # 0.05 Å per i
        {"value": round(0.1 * i, 4), "unit": "Å"},
        {"value": float(f"{i}e-11"), "unit": "m"},
    ]
    if i % 4 < 3:
        found["wavelength"] = wavelength[i % 4]
    if i % 3 == 0:
        found["temperature"] = {"value": 250 + i, "unit": "K"}
    elif i % 3 == 1:
        found["temperature"] = {"value": i - 5, "unit": "degC"}
    if i % 5 == 0:
        found["formula"] = "CuO2" if i % 10 else "Cu2O"
    found["sample"] = {"mass": {"value": i, "unit": "mg"}, "holder": f"holder {i % 3}"}
    return found


SPECIAL = {  # the ranking set: one word in a different field of four public datasets
    23: {"dataset_name": "Zirconia sample 23"},
    24: {"keywords": ["zirconia"]},
    25: {"description": "A scan of zirconia grains at room temperature"},
    26: {"scientific_metadata": {"note": "zirconia grains", "run": 26}},
}


def make_dataset(i: int, now: datetime) -> Dataset:
    past, future = now - timedelta(days=400), now + timedelta(days=400)
    fields = {
        "pid": f"c/{i:02d}",
        "type": "derived" if i % 3 == 0 else "raw",
        "dataset_name": f"{ADJECTIVES[(i * 5) % len(ADJECTIVES)]} scan {i:02d}",
        "description": f"Measurement number {i}"
        + {1: " during the beam time", 2: ", time of the beam"}.get(i % 4, ""),
        "owner": "Ada Lovelace",
        "contact_email": "ada@example.org",
        "source_folder": f"/data/p{i:04d}",
        "creation_time": datetime(2019 + i % 5, 1 + i % 12, 1 + i % 28, 8, i, tzinfo=UTC),
        "size": i * 1000 + (i * 37) % 100,
        "number_of_files": i % 7,
        "license": "CC0-1.0" if i % 4 == 0 else "CC-BY-4.0",
        "creation_location": "/ILL/D20" if i % 3 == 0 else "/PSI/SLS/TOMCAT",
        "keywords": [KEYWORDS[i % 5]] + ([KEYWORDS[(i + 2) % 5]] if i % 2 else []),
        "techniques": [TECHNIQUES[i % 2]] if i % 5 else [],
        "instrument_ids": [list(INSTRUMENTS)[i % 3]] if i % 7 else [],
        "datasetlifecycle": {"archivable": i % 2 == 0, "archiveStatusMessage": "datasetCreated"},
        "scientific_metadata": _metadata(i),
        "is_published": False,
        "access_groups": [],
        "shared_with": [],
        "embargo_end": None,
    }
    fields.update(_access(i, past, future))
    fields.update(SPECIAL.get(i, {}))
    fields["scientific_metadata"], _ = annotate_quantities(fields["scientific_metadata"])
    dataset = Dataset(**fields)
    dataset.created_at = dataset.updated_at = now
    return dataset


def related() -> Related:
    return Related(instruments=dict(INSTRUMENTS))


@dataclass
class Corpus:
    now: datetime
    datasets: list[Dataset]
    documents: list[dict]

    def by_pid(self, pid: str) -> Dataset:
        return next(d for d in self.datasets if d.pid == pid)

    def visible(self, persona: str) -> list[Dataset]:
        principal = PERSONAS[persona]
        return [d for d in self.datasets if can(principal, Action.READ, d)]

    def pids(self, datasets) -> set[str]:
        return {d.pid for d in datasets}


def build_corpus(now: datetime | None = None) -> Corpus:
    now = now or datetime.now(UTC)
    datasets = [make_dataset(i, now) for i in range(1, 31)]
    return Corpus(now, datasets, [dataset_document(d, related()) for d in datasets])


def facet_values(dataset: Dataset) -> dict[str, set[str]]:
    """The facet values of a dataset, read straight from its fields."""
    return {
        "instrument": set(dataset.instrument_ids),
        "technique": {t["name"] for t in dataset.techniques},
        "owner_group": {dataset.owner_group},
        "type": {dataset.type},
        "keywords": set(dataset.keywords),
        "year": {str(dataset.creation_time.year)},
        "license": {dataset.license},
        "facility": {INSTRUMENTS[i][2] for i in dataset.instrument_ids},
        "creation_location": {dataset.creation_location},
    }


def expected_facets(datasets, names) -> dict[str, list[tuple[str, int]]]:
    out = {}
    for name in names:
        counts = Counter(v for d in datasets for v in facet_values(d)[name])
        out[name] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return out
