"""Publications for the publishing tests, made through the services as the API makes them."""

from __future__ import annotations

import itertools

import pytest

from catalogue.access import SYSTEM
from catalogue.services import instrument_create
from catalogue.services.published import published_data_create, published_data_register
from tests.factories import make_dataset

_numbers = itertools.count(1)

RICH_METADATA = {
    "creators": [
        {
            "name": "Lovelace, Ada",
            "nameType": "Personal",
            "givenName": "Ada",
            "familyName": "Lovelace",
            "nameIdentifiers": [
                {"nameIdentifier": "0000-0002-1825-0097", "nameIdentifierScheme": "ORCID"}
            ],
            "affiliation": [
                {
                    "name": "Paul Scherrer Institut",
                    "affiliationIdentifier": "03eh3y714",
                    "affiliationIdentifierScheme": "ROR",
                }
            ],
        },
        {"name": "European Spallation Source", "nameType": "Organizational"},
    ],
    "publisher": {"name": "ESS"},
    "publicationYear": 2026,
    "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Neutron imaging data"},
    "subjects": [{"subject": "neutron imaging"}, "steel"],
    "contributors": [{"name": "Babbage, Charles", "contributorType": "DataCurator"}],
    "dates": [{"date": "2025-11-01/2025-11-03", "dateType": "Collected"}],
    "language": "en",
    "relatedIdentifiers": [
        {"relatedIdentifier": "10.1000/journal.1"},
        {
            "relatedIdentifier": "https://example.org/paper",
            "relatedIdentifierType": "URL",
            "relationType": "IsCitedBy",
        },
    ],
    "rightsList": ["CC-BY-4.0"],
    "fundingReferences": [
        {
            "funderName": "European Commission",
            "funderIdentifier": "https://ror.org/00k4n6c32",
            "awardNumber": {"awardNumber": "823852", "awardUri": "https://cordis.europa.eu/"},
            "awardTitle": "PaNOSC",
        }
    ],
    "formats": ["application/x-hdf5"],
    "version": "1.0",
    "dataDescription": "https://example.org/how-to-reuse",
}


@pytest.fixture
def instrument(db):
    data = {"pid": "ess/loki", "name": "LoKI", "unique_name": "LoKI", "facility": "ESS"}
    return instrument_create(user=SYSTEM, data=data)


def publish(*, datasets=None, register=True, metadata=None, **fields):
    """A publication over new datasets (or `datasets`), registered unless told otherwise."""
    number = next(_numbers)
    datasets = datasets if datasets is not None else [make_dataset()]
    data = {
        "doi": f"10.17199/fedcat.{number:04d}",
        "title": f"Tomography of steel welds {number}",
        "abstract": f"Neutron tomography of {number} welded steel samples <b> & friends.",
        "dataset_pids": [d.pid for d in datasets],
        "metadata": RICH_METADATA if metadata is None else metadata,
        **fields,
    }
    record = published_data_create(user=SYSTEM, data=data)
    if register:
        record = published_data_register(user=SYSTEM, record=record)
    return record


@pytest.fixture
def publication(instrument):
    dataset = make_dataset(
        instrument_ids=[instrument.pid],
        keywords=["weld"],
        techniques=[{"pid": "http://purl.org/pan-science/PaNET/PaNET01188", "name": "tomography"}],
        data_format="NeXus",
    )
    return publish(datasets=[dataset])


# --- DOI lifecycle: a DataCite stand-in on loopback ------------------------------------------

REPOSITORY, PASSWORD, PREFIX = "FEDCAT.TEST", "s3cret", "10.80000"


@pytest.fixture
def datacite(settings):
    """The DataCite stand-in, with the site configured to register DOIs there."""
    from tests.support.datacite_server import Account, DataCiteStandIn

    accounts = {
        REPOSITORY: Account(PASSWORD, {PREFIX}),
        "OTHER.REPO": Account("other", {"10.80001"}),
    }
    with DataCiteStandIn(accounts) as server:
        settings.DATACITE_URL = server.url
        settings.DATACITE_REPOSITORY_ID = REPOSITORY
        settings.DATACITE_PASSWORD = PASSWORD
        settings.DATACITE_TIMEOUT_SECONDS = 2
        settings.DOI_PREFIX = f"{PREFIX}/"
        settings.SITE_URL = "http://localhost:8000"
        yield server


def minted(**fields):
    """A registered publication with a DOI under the stand-in's prefix (not yet sent)."""
    number = next(_numbers)
    return publish(doi=f"{PREFIX}/fedcat.{number:04d}", **fields)
