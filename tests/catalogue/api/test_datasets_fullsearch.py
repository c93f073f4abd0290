"""fullquery, fullfacet and metadataKeys answered by the search engine (fullsearch.py).

The whole of test_datasets_search.py runs again here with its corpus indexed (the outbox
applied into this module's own tantivy index), so every answer now comes from the engine and
must be the same; a spy checks that the engine answered. Then the cases where the two paths
differ on purpose, and the fallbacks to the database. test_datasets_fullsearch_access.py does
the same for the access suite.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from catalogue.api.datasets import fullsearch, views
from catalogue.models import Dataset
from search import service
from search.backends import reset_backends
from search.indexing import outbox_apply
from tests.factories import make_dataset

from . import test_datasets_search as search_suite
from .test_datasets_helpers import group_settings  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

# The suite, collected again in this module (where `world` is the indexed one below).
globals().update({n: getattr(search_suite, n) for n in dir(search_suite) if n.startswith("test_")})


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """This module's own, empty search index (the backend instances are dropped after it)."""
    with override_settings(SEARCH_INDEX_DIR=tmp_path_factory.mktemp("fullsearch-index")):
        reset_backends()
        yield
    reset_backends()


def indexed_world(suite, django_db_setup, django_db_blocker):
    """A suite's own module world (made inside a transaction rolled back at the end), with its
    outbox applied to the index while that transaction is open."""
    made = suite.world.__wrapped__(django_db_setup, django_db_blocker)
    world = next(made)
    with django_db_blocker.unblock():
        outbox_apply()
    yield world
    next(made, None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, indexed):
    yield from indexed_world(search_suite, django_db_setup, django_db_blocker)


# Suite tests the database answers on purpose: facets the index does not hold.
DATABASE_ANSWERS = {
    "test_fullfacet_of_json_values",
    "test_fullfacet_shape_unwinds_arrays_and_sorts_descending",
}


@pytest.fixture(autouse=True)
def engine_answers(request, monkeypatch):
    """Records the engine's answers (None: the database answered) and, for the suite's tests,
    checks the engine answered every request the database path did not have to."""
    answers: list = []
    real = fullsearch.engine_search

    def spy(*args, **kwargs):
        answers.append(real(*args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(views, "engine_search", spy)
    yield answers
    name = request.node.originalname
    if name in DATABASE_ANSWERS:
        assert None in answers
    elif request.node.function.__module__ != __name__:
        assert None not in answers, "the database answered"


def _get(world, path, persona="owner", **params):
    return search_suite._get(world, path, persona, **params)


# --- where the engine answers differently, on purpose -------------------------------------------


def test_text_also_finds_words_of_the_scientific_metadata(world, engine_answers):
    assert search_suite.found(world, {"text": "capillary"}) == {"saxs"}  # sample.holder.name
    assert search_suite.found(world, {"text": "CAPILLARY b2"}) == {"saxs"}
    assert None not in engine_answers


def _listed(response) -> list[str]:
    return [dataset["pid"] for dataset in response.json()]


def test_text_without_an_order_ranks_by_relevance(world):
    response = _get(world, "fullquery", fields={"text": "saxs"})

    assert _listed(response) == ["fedcat/saxs", "fedcat/derived"]  # the name beats a keyword


def test_no_text_and_no_order_is_the_order_datasets_were_added_in(world):
    """createdAt ascending, to the second the index keeps, then pid."""
    response = _get(world, "fullquery", "admin", fields={})

    added = Dataset.objects.order_by("created_at", "pk").values_list("created_at", "pid")
    expected = sorted(added, key=lambda row: (row[0].replace(microsecond=0), row[1]))
    assert _listed(response) == [pid for _, pid in expected]


def test_a_condition_also_matches_a_number_in_a_list(world, settings, tmp_path, engine_answers):
    settings.SEARCH_INDEX_DIR = tmp_path / "index"  # the module's index stays as it is
    range_ = {"q_range": {"value": [0.1, 0.5], "unit": ""}}
    make_dataset(pid="fedcat/q", scientific_metadata=range_)
    outbox_apply()
    condition = {"lhs": "q_range", "relation": "GREATER_THAN", "rhs": 0.4, "unit": ""}

    assert search_suite.found(world, {"scientific": [condition]}) == {"q"}
    assert None not in engine_answers


# --- when the database answers -----------------------------------------------------------------


def test_a_field_the_index_does_not_hold_is_answered_by_the_database(world, engine_answers):
    assert search_suite.found(world, {"description": "Fast scan of a weld"}) == {"tomo"}
    assert engine_answers == [None]


def test_a_change_not_yet_indexed_is_found_through_the_database(world, engine_answers):
    """Read-your-writes: a dataset created a moment ago is found before the worker indexed it."""
    make_dataset(pid="fedcat/fresh", keywords=["saxs"])

    assert search_suite.found(world, {"keywords": ["saxs"]}) == {"saxs", "derived", "fresh"}
    assert engine_answers == [None]


def test_a_change_outside_the_users_scope_leaves_the_engine_answering(world, engine_answers):
    make_dataset(pid="fedcat/elsewhere", owner_group="q-other", keywords=["saxs"])

    assert search_suite.found(world, {"keywords": ["saxs"]}) == {"saxs", "derived"}
    assert None not in engine_answers


def test_a_failing_engine_leaves_the_answer_to_the_database(world, monkeypatch, engine_answers):
    class Broken:
        def search(self, request, access):
            raise ConnectionError("the index is gone")

    monkeypatch.setattr(service, "get_backend", Broken)
    response = _get(world, "fullfacet", fields={"type": "raw"}, facets=["type"])

    assert response.json() == [{"type": [{"_id": "raw", "count": 2}], "all": [{"totalSets": 2}]}]
    assert engine_answers == [None]


def test_pages_beyond_the_engines_window_are_answered_by_the_database(world, engine_answers):
    response = _get(world, "fullquery", "admin", fields={}, limits={"skip": 10_000, "limit": 5})

    assert response.json() == []
    assert engine_answers == [None]


def test_fullfacet_from_the_engine_has_the_shape_and_null_counts_of_the_database(
    world, engine_answers, monkeypatch
):
    facets = ["type", "creationLocation", "ownerGroup", "keywords", "license", "instrumentIds"]

    engine = _get(world, "fullfacet", facets=facets).json()
    assert engine_answers and None not in engine_answers
    monkeypatch.setattr(views, "engine_search", lambda *args, **kwargs: None)
    with_database = _get(world, "fullfacet", facets=facets)

    (result,) = engine
    assert result["creationLocation"] == [
        {"_id": "/PSI/SLS/cSAXS", "count": 1},
        {"_id": "/PSI/SLS/TOMCAT", "count": 1},
        {"_id": None, "count": 1},
    ]
    assert list(result) == [*facets, "all"]
    assert engine == with_database.json()
