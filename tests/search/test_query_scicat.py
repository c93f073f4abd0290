"""search.query.parse_scicat: SciCat fullquery/fullfacet ``fields``, ``limits``, ``facets``."""

import json
from datetime import UTC, datetime

import pytest

from search.query import (
    SCICAT_DEFAULT_LIMIT,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    parse_scicat,
)


def condition(**c):
    (result,) = parse_scicat({"scientific": [c]}).scientific
    return result


def test_frontend_dataset_list_fields_become_filters():
    r = parse_scicat(
        {
            "text": "powder",
            "creationLocation": ["ESS", "PSI"],
            "ownerGroup": ["p-1"],
            "type": "raw",
            "keywords": ["a"],
            "creationTime": {"begin": "2020-01-01T00:00:00.000Z", "end": "2020-12-31"},
            "isPublished": True,
        }
    )
    assert r.words == ("powder",)
    assert r.filters == (
        FieldFilter("creation_location", ("ESS", "PSI")),
        FieldFilter("owner_group", ("p-1",)),
        FieldFilter("type", ("raw",)),
        FieldFilter("keywords", ("a",)),
        RangeFilter(
            "creation_time",
            datetime(2020, 1, 1, tzinfo=UTC),
            datetime(2021, 1, 1, tzinfo=UTC),
            "[)",
        ),
        FieldFilter("is_published", (True,)),
    )


def test_text_keeps_phrases_and_exclusions():
    r = parse_scicat({"text": 'beam "dark field" -test'})
    assert (r.words, r.phrases, r.excluded) == (("beam",), ("dark field",), ("test",))


def test_text_is_not_read_as_field_syntax():
    assert parse_scicat({"text": "type:raw"}).words == ("type:raw",)


def test_number_range_takes_min_and_max():
    r = parse_scicat({"size": {"min": 10, "max": "2000"}})
    assert r.filters == (RangeFilter("size", 10, 2000, "[]"),)


def test_open_ended_and_empty_values_are_handled():
    r = parse_scicat({"size": {"min": 10}, "keywords": [], "type": None, "text": ""})
    assert r.filters == (RangeFilter("size", 10, None),)
    assert r.words == ()


def test_user_groups_and_metadata_key_are_ignored():
    r = parse_scicat({"userGroups": ["p-1", "admin"], "metadataKey": "temp"})
    assert r.filters == ()


def test_legacy_singular_names_map_to_canonical_fields():
    r = parse_scicat({"proposalId": "p1", "sampleIds": ["s1"], "pid": "20.500/x"})
    assert [f.field for f in r.filters] == ["proposal", "sample", "pid"]


def test_scientific_condition_with_unit_is_converted_to_si():
    c = condition(lhs="temperature", relation="GREATER_THAN", rhs=20, unit="celsius")
    assert c == ScientificCondition("temperature", "GREATER_THAN", 20, "celsius", 293.15, "K")


def test_scientific_condition_without_unit_keeps_the_raw_value():
    c = condition(lhs="test_field_1", relation="EQUAL_TO_NUMERIC", rhs="5", unit="")
    assert (c.value, c.unit, c.value_si, c.unit_si) == (5, "", None, None)


def test_scientific_range_is_exclusive_and_converts_both_bounds():
    c = condition(lhs="wavelength", relation="RANGE", rhs=[1, 2], unit="angstrom")
    assert (c.value, c.bounds, c.value_si, c.unit_si) == ((1, 2), "()", (1e-10, 2e-10), "m")


def test_string_relations_keep_the_string():
    c = condition(lhs="sample.state", relation="CONTAINS_STRING", rhs="sol")
    assert (c.key, c.relation, c.value) == ("sample.state", "CONTAINS_STRING", "sol")


def test_mode_field_value_pairs_become_filters():
    r = parse_scicat({"mode": {"datasetlifecycle.archivable": True, "_id": "x/1"}})
    assert r.filters == (
        FieldFilter("datasetlifecycle.archivable", (True,)),
        FieldFilter("pid", ("x/1",)),
    )
    assert parse_scicat({"mode": {}}).filters == ()


@pytest.mark.parametrize(
    "mode",
    [
        {"$or": [{"type": "raw"}]},
        {"datasetlifecycle.archiveStatusMessage": {"$ne": "failed"}},
        {"$where": "sleep(1000)"},
        {"ownerGroup.$": "x"},
        "raw",
    ],
)
def test_mode_with_mongo_operators_is_refused(mode):
    with pytest.raises(QueryError) as error:
        parse_scicat({"mode": mode})
    assert error.value.field == "mode"


def test_limits_give_page_and_sort():
    r = parse_scicat({}, limits={"skip": 20, "limit": 10, "order": "creationTime:desc"})
    assert (r.offset, r.limit, r.sort) == (20, 10, "-date")
    assert parse_scicat({}, limits={"order": "datasetName:asc"}).sort == "name"


def test_default_limit_is_scicats():
    assert parse_scicat(None).limit == SCICAT_DEFAULT_LIMIT


def test_json_text_is_accepted_for_every_parameter():
    r = parse_scicat(
        json.dumps({"type": ["raw"]}),
        limits=json.dumps({"limit": 5}),
        facets=json.dumps(["type", "creationLocation", "ownerGroup", "keywords"]),
    )
    assert r.filters == (FieldFilter("type", ("raw",)),)
    assert r.limit == 5
    assert r.facets == ("type", "creation_location", "owner_group", "keywords")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"colour": "red"}, "colour"),
        ({"sourceFolder": "/data"}, "sourceFolder"),
        ({"type": {"a": 1}}, "type"),
        ({"type": True}, "type"),
        ({"isPublished": "maybe"}, "isPublished"),
        ({"creationTime": {"begin": "yesterday"}}, "creationTime"),
        ({"creationTime": {"from": "2020"}}, "creationTime"),
        ({"creationTime": {"begin": "2021-01-01", "end": "2020-01-01"}}, "creationTime"),
        ({"size": {"min": "big"}}, "size"),
        ({"size": [1, 2]}, "size"),
        ({"scientific": {"lhs": "a"}}, "scientific"),
        ({"scientific": [{"lhs": "a", "relation": "EQUAL_TO_NUMERIC"}]}, "scientific"),
        ({"scientific": [{"lhs": "a", "relation": "BIGGER", "rhs": 1}]}, "a"),
        ({"scientific": [{"lhs": "a", "relation": "LESS_THAN", "rhs": "x"}]}, "a"),
        ({"scientific": [{"lhs": "a", "relation": "LESS_THAN", "rhs": 1, "unit": "zorg"}]}, "a"),
        ({"scientific": [{"lhs": "a", "relation": "RANGE", "rhs": [2, 1]}]}, "a"),
        ({"scientific": [{"lhs": "a", "relation": "RANGE", "rhs": 5}]}, "a"),
        ({"scientific": [{"lhs": "a..b", "relation": "LESS_THAN", "rhs": 1}]}, "a..b"),
        (
            {"scientific": [{"lhs": "a", "relation": "CONTAINS_STRING", "rhs": "x", "unit": "K"}]},
            "a",
        ),
        ({"text": ["a"]}, "text"),
    ],
)
def test_bad_fields_raise_query_error_naming_the_field(fields, field):
    with pytest.raises(QueryError) as error:
        parse_scicat(fields)
    assert error.value.field == field


@pytest.mark.parametrize(
    "limits",
    [{"limit": 0}, {"limit": 5000}, {"skip": -1}, {"skip": 9990, "limit": 100}, {"limit": "ten"}],
)
def test_limits_out_of_bounds_raise_query_error(limits):
    with pytest.raises(QueryError):
        parse_scicat({}, limits=limits)


@pytest.mark.parametrize("order", ["ownerGroup:asc", "creationTime:sideways", 5])
def test_unknown_order_raises_query_error(order):
    with pytest.raises(QueryError):
        parse_scicat({}, limits={"order": order})


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "[" * 90_000, "[" * 200_000])
def test_invalid_json_or_wrong_shape_raises_query_error(text):
    with pytest.raises(QueryError):
        parse_scicat(text)
