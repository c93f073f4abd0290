"""The reference catalogue of panosc-eu/search-api (data/db.json, as panosc-api.md §9 describes
it) rebuilt through fedcat's services, indexed, and a client for /panosc-api/."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import override_settings

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import (
    dataset_create,
    instrument_create,
    origdatablock_add,
    proposal_create,
    sample_create,
    technique_ensure,
)
from search.backends import reset_backends
from search.indexing import index_datasets

PANET = "http://purl.org/pan-science/PaNET/"
SANS = {"pid": PANET + "PaNET01189", "name": "small-angle neutron scattering"}
XAS = {"pid": PANET + "PaNET01227", "name": "x-ray absorption"}
LOKI = "20.500.12269/0f98fcf2-7bd7-430e-ad20-d47031ca8f71"
ESS_INSTRUMENTS = [
    "LoKI",
    "ODIN",
    "DREAM",
    "MAGiC",
    "BEER",
    "BIFROST",
    "CSPEC",
    "ESTIA",
    "FREIA",
    "HEIMDAL",
    "MIRACLES",
    "NMX",
    "SKADI",
    "T-REX",
    "VESPA",
]
DATASETS = {  # number: (technique, parameters, document)
    1: (SANS, {"chemical_formula": "Cu", "sample_state": "solid"}, "document1"),
    2: (SANS, {"photon_energy": {"value": 930, "unit": "eV"}}, "document1"),
    3: (XAS, {"temperature": {"value": 20, "unit": "celsius"}}, "document2"),
    4: (XAS, {"wavelength": {"value": 1064, "unit": "nm"}}, "document2"),
}
PEOPLE = {"document1": ("John", "Smith", "James", "Chadwick")}
PEOPLE["document2"] = ("James", "Chadwick", "John", "Smith")


def dataset_pid(number: int) -> str:
    return f"20.500.12269/panosc-dataset{number}"


def document_pid(name: str) -> str:
    return f"10.5072/panosc-{name}"


def instrument_pid(name: str) -> str:
    return LOKI if name == "LoKI" else f"20.500.12269/ess-{name.lower()}"


def build_reference() -> dict:
    """4 public datasets, 2 proposals, 15 ESS instruments, 1 sample, 4 files (not indexed)."""
    for technique in (SANS, XAS):
        technique_ensure(**technique)
    for name in ESS_INSTRUMENTS:
        instrument_create(
            user=SYSTEM, data={"pid": instrument_pid(name), "name": name, "facility": "ESS"}
        )
    sample_create(
        user=SYSTEM,
        data={
            "sample_id": "20.500.12269/panosc-sample1",
            "description": "solid copper cylinder",
            "owner_group": "ess",
            "is_published": True,
        },
    )
    for name, (pi_first, pi_last, first, last) in PEOPLE.items():
        proposal_create(
            user=SYSTEM,
            data={
                "proposal_id": document_pid(name),
                "title": f"PaNOSC Test Document {name[-1]}",
                "abstract": "A proposal of the PaNOSC reference catalogue",
                "email": "owner@example.org",
                "pi_firstname": pi_first,
                "pi_lastname": pi_last,
                "firstname": first,
                "lastname": last,
                "owner_group": "ess",
                "is_published": True,
                "metadata": (
                    {"wavelength": {"value": 1064, "unit": "nm"}} if name == "document1" else {}
                ),
            },
        )
    made = {}
    for number, (technique, parameters, document) in DATASETS.items():
        made[number] = dataset_create(
            user=SYSTEM,
            data={
                "pid": dataset_pid(number),
                "type": "raw",
                "dataset_name": f"PaNOSC Test Dataset {number}",
                "owner": "ESS",
                "owner_group": "ess",
                "contact_email": "owner@example.org",
                "source_folder": f"/data/panosc/{number}",
                "creation_time": "2020-05-05T15:01:02.341Z",
                "is_published": True,
                "techniques": [technique],
                "scientific_metadata": parameters,
                "sample_ids": ["20.500.12269/panosc-sample1"],
                "proposal_ids": [document_pid(document)],
                "instrument_ids": [instrument_pid(ESS_INSTRUMENTS[number - 1])],
            },
        )
        origdatablock_add(
            user=SYSTEM,
            dataset=made[number],
            files=[{"path": f"panosc-file{number}.hdf", "size": 1000 * number}],
        )
    return made


@pytest.fixture(scope="module")
def reference_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built and indexed once per module, inside a transaction rolled back at its end (each
    test runs in a savepoint within it)."""
    index = tmp_path_factory.mktemp("panosc-index")
    with django_db_blocker.unblock(), override_settings(SEARCH_INDEX_DIR=index):
        reset_backends()
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = build_reference()
            index_datasets(dataset_pid(n) for n in DATASETS)
            yield made
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            reset_backends()


@pytest.fixture
def reference(reference_module, db):
    """The reference catalogue (read-only: a test that writes indexes into its own index)."""
    return {n: Dataset.objects.get(pk=d.pk) for n, d in reference_module.items()}


class Api:
    """GETs /panosc-api/<path> with a filter (a dict, sent as JSON) and other parameters."""

    def __init__(self, client):
        self.client = client
        self.before = []  # callables run before each request (indexing what a test added)

    def get(self, path: str, filter=None, token: str | None = None, headers=None, **params):
        for hook in self.before:
            hook()
        if filter is not None:
            params["filter"] = json.dumps(filter)
        params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
        headers = dict(headers or {})
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return self.client.get(f"/panosc-api/{path}", params, **headers)

    def json(self, path: str, filter=None, status: int = 200, token=None, **params):
        response = self.get(path, filter, token, **params)
        assert response.status_code == status, response.content
        return response.json()


@pytest.fixture
def api(client):
    return Api(client)


def encoded(pid: str) -> str:
    return quote(pid, safe="")


@pytest.fixture
def add_dataset(reference, index_dir, api):
    """add_dataset(**fields): one more dataset; the test has its own index, brought up to date
    before each request."""
    made, pending = [], [dataset_pid(n) for n in DATASETS]

    def flush():
        if pending:
            index_datasets(pending)
            pending.clear()

    api.before.append(flush)

    def add(**fields):
        number = 100 + len(made)
        data = {
            "pid": f"20.500.12269/extra-{number}",
            "type": "raw",
            "dataset_name": f"Extra dataset {number}",
            "owner": "ESS",
            "owner_group": "ess",
            "contact_email": "owner@example.org",
            "source_folder": f"/data/extra/{number}",
            "creation_time": "2021-01-01T00:00:00Z",
            "is_published": True,
            **fields,
        }
        dataset = dataset_create(user=SYSTEM, data=data)
        pending.append(dataset.pid)
        made.append(dataset)
        return dataset

    return add
