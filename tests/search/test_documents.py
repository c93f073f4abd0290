from datetime import UTC, datetime

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Instrument, Proposal
from catalogue.services import dataset_create
from search.backends.base import document_part
from search.documents import (
    MAX_STRING_CHARS,
    dataset_document,
    documents_for,
    iter_documents,
)
from search.query import FACETS, FIELDS
from tests.factories import dataset_data

from .corpus import build_corpus


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def test_every_filterable_field_and_facet_has_a_place_in_the_document(corpus):
    document = corpus.documents[0]

    for name in FIELDS:
        assert name in document[document_part(name)], name
    assert set(document["facets"]) == set(FACETS)


def test_access_fields_are_normalised_as_the_access_rules_compare_them(corpus):
    document = dataset_document(corpus.by_pid("c/11"))

    assert document["access"]["shared_with"] == ["sam@example.org", "x@example.org"]
    assert document["terms"]["shared_with"] == ["sam@example.org", "x@example.org"]
    assert dataset_document(corpus.by_pid("c/07"))["access"]["access_groups"] == [
        "p-readers",
        "p-x",
    ]


def test_dates_are_utc_whole_seconds(corpus):
    dataset = corpus.by_pid("c/01")
    dataset.creation_time = datetime(2021, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)

    document = dataset_document(dataset)

    assert document["dates"]["creation_time"] == datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert document["facets"]["year"] == ["2021"]


def test_scientific_metadata_is_flattened_by_dotted_path(corpus):
    dataset = corpus.by_pid("c/01")
    dataset.scientific_metadata = {
        "wavelength": {"value": 1.5, "unit": "Å", "valueSI": 1.5e-10, "unitSI": "m"},
        "peaks": [{"position": 1}, {"position": 2}],
        "flag": True,
        "comment": "x" * 1000,
        "sample": {"state": "solid"},
    }

    document = dataset_document(dataset)

    assert document["metadata_numbers"] == {
        "wavelength.value": [1.5],
        "wavelength.valueSI": [1.5e-10],
        "peaks.position": [1.0, 2.0],
    }
    strings = document["metadata_strings"]
    assert strings["wavelength.unitSI"] == ["m"] and strings["sample.state"] == ["solid"]
    assert len(strings["comment"][0]) == MAX_STRING_CHARS
    assert "flag" not in strings and "flag" not in document["metadata_numbers"]
    words = document["text"]["metadata"].split()
    assert {"wavelength", "peaks", "position", "solid"} <= set(words) and "Å" not in words


@pytest.mark.django_db
def test_documents_carry_instrument_names_facilities_and_proposal_titles():
    Instrument.objects.create(pid="i-1", unique_name="TOMCAT", name="Tomcat", facility="PSI")
    Proposal.objects.create(
        proposal_id="p-9", email="a@b.org", title="Zeolite growth", owner_group="g"
    )
    dataset = dataset_create(
        user=SYSTEM, data=dataset_data(instrument_ids=["i-1"], proposal_ids=["p-9"])
    )

    (document,) = documents_for([dataset])

    assert document["facets"]["facility"] == ["PSI"]
    assert document["terms"]["facility"] == ["PSI"]
    related = document["text"]["related"]
    assert "TOMCAT" in related and "Tomcat" in related and "Zeolite growth" in related


@pytest.mark.django_db
def test_iter_documents_reads_every_dataset_in_pages():
    created = [dataset_create(user=SYSTEM, data=dataset_data()) for _ in range(5)]

    documents = list(iter_documents(batch_size=2))

    assert [d["pid"] for d in documents] == [d.pid for d in created]
