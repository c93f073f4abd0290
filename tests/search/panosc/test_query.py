"""`query`: scores strictly between 0 and 1, best first, computed before limit and skip."""

import pytest

from catalogue.access import SYSTEM
from catalogue.services import proposal_create

from .conftest import dataset_pid, document_pid

pytestmark = pytest.mark.django_db


def scores(found):
    return [d["score"] for d in found]


def assert_ranked(found):
    assert all(0 < s < 1 for s in scores(found))
    assert scores(found) == sorted(scores(found), reverse=True)


@pytest.fixture
def water(add_dataset):
    """Three datasets that mention water more or less prominently, and one that does not."""
    return {
        "title": add_dataset(dataset_name="Water water everywhere", description="water"),
        "description": add_dataset(dataset_name="Ice study", description="frozen water"),
        "keyword": add_dataset(dataset_name="Steam", keywords=["water"]),
        "none": add_dataset(dataset_name="Copper foil", description="dry"),
    }


def test_a_query_ranks_with_scores_strictly_between_0_and_1(water, api):
    found = api.json("Datasets", {"query": "water"})

    assert_ranked(found)
    assert found[0]["pid"] == water["title"].pid
    assert {d["pid"] for d in found} == {water[k].pid for k in ("title", "description", "keyword")}
    assert found[0]["score"] < 1


def test_limit_and_skip_apply_after_scoring(water, api):
    everything = api.json("Datasets", {"query": "water"})

    page = api.json("Datasets", {"query": "water", "limit": 1, "skip": 1})

    assert page == everything[1:2]


def test_a_query_with_a_database_condition_scans_the_ranking(water, api, reference):
    files = {"relation": "files", "scope": {"where": {"text": "file"}}}

    assert api.json("Datasets", {"query": "water", "include": [files]}) == []
    found = api.json("Datasets", {"query": "PaNOSC", "include": [files], "limit": 2, "skip": 1})
    assert len(found) == 2
    assert_ranked(found)


def test_a_query_combines_with_parameter_filters(reference, api):
    where = {"and": [{"name": "photon_energy"}, {"value": {"gt": 900}}, {"unit": "eV"}]}
    include = [{"relation": "parameters", "scope": {"where": where}}]

    found = api.json("Datasets", {"query": "dataset", "include": include})

    assert [d["pid"] for d in found] == [dataset_pid(2)]
    assert 0 < found[0]["score"] < 1


def test_a_top_level_query_parameter_is_accepted(water, api):
    assert api.json("Datasets", query="water")[0]["pid"] == water["title"].pid


def test_without_a_query_every_score_is_neutral(reference, api):
    assert set(scores(api.json("Datasets"))) == {0.5}


def test_documents_rank_title_matches_first(reference, api):
    for pid, title, abstract in (
        ("p-abstract", "Metals", "A study of copper"),
        ("p-title", "Copper under pressure", "Metals"),
        ("p-none", "Iron", "Metals"),
    ):
        proposal_create(
            user=SYSTEM,
            data={
                "proposal_id": pid,
                "title": title,
                "abstract": abstract,
                "is_published": True,
                "email": "a@example.org",
                "owner_group": "ess",
            },
        )

    found = api.json("Documents", {"query": "copper"})

    assert [d["pid"] for d in found] == ["p-title", "p-abstract"]
    assert_ranked(found)
    assert document_pid("document1") in [
        d["pid"] for d in api.json("Documents", {"query": "PaNOSC"})
    ]


def test_instruments_rank_by_name(reference, api):
    found = api.json("Instruments", {"query": "loki"})

    assert [i["name"] for i in found] == ["LoKI"]
    assert 0 < found[0]["score"] < 1


def test_a_query_when_the_engine_is_down_is_a_503(reference, api, settings):
    settings.SEARCH_BACKEND = "tests.search.panosc.test_filters.BrokenBackend"

    response = api.get("Datasets", {"query": "water"})

    assert response.status_code == 503
    assert response.json()["error"]["statusCode"] == 503


def test_with_a_query_the_order_is_the_score(water, api):
    found = api.json("Datasets", {"query": "water", "order": "title ASC"})

    assert found[0]["pid"] == water["title"].pid
    assert_ranked(found)
    assert len(set(scores(found))) > 1
