import pytest

from catalogue.access import SYSTEM
from catalogue.api.fields import dataset_field
from catalogue.api.where import FilterError, where_to_q
from catalogue.models import Dataset
from catalogue.services import dataset_update
from tests.factories import make_dataset


@pytest.fixture
def corpus(db):
    return {
        "saxs": make_dataset(
            dataset_name="SAXS of lysozyme",
            keywords=["saxs", "protein"],
            access_groups=["p-readers"],
            proposal_ids=["20260001"],
            size=5_000,
            scientific_metadata={"sample": {"temperature": {"value": 300, "unit": "K"}}},
        ),
        "tomo": make_dataset(
            dataset_name="Tomography of a steel weld",
            keywords=["tomography"],
            creation_time="2024-03-01T00:00:00Z",
            size=50_000,
            scientific_metadata={"sample": {"temperature": {"value": 77, "unit": "K"}}},
        ),
        "derived": make_dataset(
            type="derived",
            dataset_name="Reduced SAXS curves",
            keywords=["saxs"],
            shared_with=["Friend@Example.org"],
        ),
    }


def names(where) -> set[str]:
    query = Dataset.objects.filter(where_to_q(where, dataset_field))
    return set(query.values_list("dataset_name", flat=True))


def test_equality_and_camel_case_names(corpus):
    assert names({"type": "derived"}) == {"Reduced SAXS curves"}
    assert names({"datasetName": "SAXS of lysozyme"}) == {"SAXS of lysozyme"}


def test_array_fields_match_any_element_like_mongo(corpus):
    assert names({"keywords": "saxs"}) == {"SAXS of lysozyme", "Reduced SAXS curves"}
    assert names({"keywords": {"inq": ["tomography", "protein"]}}) == {
        "SAXS of lysozyme",
        "Tomography of a steel weld",
    }
    assert names({"keywords": {"nin": ["saxs"]}}) == {"Tomography of a steel weld"}


def test_v3_singular_names_map_to_the_arrays(corpus):
    assert names({"proposalId": "20260001"}) == {"SAXS of lysozyme"}


def test_shared_with_matches_case_insensitively(corpus):
    assert names({"sharedWith": "friend@example.org"}) == {"Reduced SAXS curves"}


def test_comparisons_between_and_mongo_operators(corpus):
    assert names({"size": {"gt": 10_000}}) == {"Tomography of a steel weld"}
    assert names({"size": {"$gte": 5_000, "$lt": 50_000}}) == {"SAXS of lysozyme"}
    assert names({"size": {"between": [1, 5_000]}}) == {"SAXS of lysozyme"}


def test_dates_compare_as_dates(corpus):
    assert names({"creationTime": {"lt": "2025-01-01T00:00:00Z"}}) == {"Tomography of a steel weld"}


def test_like_is_a_regex_and_ilike_ignores_case(corpus):
    assert names({"datasetName": {"like": "^SAXS"}}) == {"SAXS of lysozyme"}
    assert names({"datasetName": {"ilike": "saxs"}}) == {"SAXS of lysozyme", "Reduced SAXS curves"}
    assert names({"datasetName": {"$regex": "saxs", "$options": "i"}}) == {
        "SAXS of lysozyme",
        "Reduced SAXS curves",
    }
    assert names({"datasetName": {"like": "/steel/i"}}) == {"Tomography of a steel weld"}


def test_and_or_combine(corpus):
    where = {"or": [{"type": "derived"}, {"and": [{"keywords": "saxs"}, {"size": {"gt": 1}}]}]}
    assert names(where) == {"Reduced SAXS curves", "SAXS of lysozyme"}


def test_nested_scientific_metadata_paths_work(corpus):
    where = {"scientificMetadata.sample.temperature.value": {"gt": 100}}
    assert names(where) == {"SAXS of lysozyme"}
    assert names({"scientificMetadata.sample.temperature.valueSI": {"lt": 100}}) == {
        "Tomography of a steel weld"
    }


def test_exists_and_neq(corpus):
    assert names({"sharedWith": {"exists": True}}) == {"Reduced SAXS curves"}
    assert names({"type": {"neq": "raw"}}) == {"Reduced SAXS curves"}


def test_term_index_follows_updates(corpus):
    dataset_update(user=SYSTEM, dataset=corpus["tomo"], changes={"keywords": ["saxs"]})
    assert "Tomography of a steel weld" in names({"keywords": "saxs"})


@pytest.mark.parametrize(
    "where, message",
    [
        ({"nosuchfield": 1}, "unknown field"),
        ({"size": {"gt": "big"}}, "needs a number"),
        ({"size": {"foo": 1}}, "unsupported operator"),
        ({"$where": "sleep(1)"}, "unsupported operator"),
        ({"keywords": {"gt": "a"}}, "not supported on the array"),
        ({"creationTime": {"gt": "yesterday"}}, "ISO-8601"),
        ({"datasetName": {"like": "(unclosed"}}, "invalid regular expression"),
        ({"or": {}}, "non-empty list"),
        ({"size": {"between": [1]}}, "between"),
        ({"type": {"inq": "raw"}}, "needs a list"),
        ({"type": ["raw", "derived"]}, "use inq"),
        ({"size.deep": 1}, "no nested fields"),
        ([1, 2], "JSON object"),
        ({"isPublished": {"exists": "yes"}}, "true or false"),
    ],
)
def test_bad_filters_are_clear_errors(db, where, message):
    with pytest.raises(FilterError, match=message):
        Dataset.objects.filter(where_to_q(where, dataset_field)).count()
