"""search.query.parse_panosc: PaNOSC Common Search API filters for /Datasets."""

import json
from datetime import UTC, datetime

import pytest

from search.query import (
    MAX_LIMIT,
    AnyOf,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    parse_panosc,
)


def parameters(where):
    return {"include": [{"relation": "parameters", "scope": {"where": where}}]}


def only_condition(where):
    (c,) = parse_panosc(parameters(where)).scientific
    return c


# --- the reference provider's test filters (panosc-eu/search-api test/dataset.test.js) -------
def test_technique_include_filters_by_name():
    r = parse_panosc(
        {"include": [{"relation": "techniques", "scope": {"where": {"name": "x-ray absorption"}}}]}
    )
    assert r.filters == (FieldFilter("techniques", ("x-ray absorption",)),)


def test_parameter_between_with_unit_is_an_inclusive_si_range():
    c = only_condition(
        {"and": [{"name": "photon_energy"}, {"value": {"between": [880, 990]}}, {"unit": "eV"}]}
    )
    assert (c.key, c.relation, c.value, c.unit, c.bounds, c.unit_si) == (
        "photon_energy",
        "RANGE",
        (880, 990),
        "eV",
        "[]",
        "J",
    )
    assert c.value_si == pytest.approx((880 * 1.602176634e-19, 990 * 1.602176634e-19))


def test_parameter_or_of_two_rows_is_any_of():
    c = only_condition(
        {
            "or": [
                {"and": [{"name": "sample_state"}, {"value": "solid"}]},
                {"and": [{"name": "chemical_formula"}, {"value": "Cu"}]},
            ]
        }
    )
    assert c == AnyOf(
        (
            ScientificCondition("sample_state", "EQUAL_TO_STRING", "solid"),
            ScientificCondition("chemical_formula", "EQUAL_TO_STRING", "Cu"),
        )
    )


def test_parameter_less_than_in_celsius_converts_to_kelvin():
    c = only_condition(
        {"and": [{"name": "temperature"}, {"value": {"lt": 80}}, {"unit": "celsius"}]}
    )
    assert c == ScientificCondition("temperature", "LESS_THAN", 80, "celsius", 353.15, "K")


def test_filter_on_file_include_is_refused_not_ignored():
    with pytest.raises(QueryError) as error:
        parse_panosc({"include": [{"relation": "files", "scope": {"where": {"text": "file1"}}}]})
    assert error.value.field == "include"


# --- more of the language --------------------------------------------------------------------
def test_each_parameter_include_is_a_separate_anded_condition():
    r = parse_panosc(
        {
            "include": [
                {"relation": "parameters", "scope": {"where": {"name": "a", "value": 1}}},
                {"relation": "parameters", "scope": {"where": {"name": "b", "value": "x"}}},
                "files",
            ]
        }
    )
    assert [(c.key, c.relation) for c in r.scientific] == [
        ("a", "EQUAL_TO_NUMERIC"),
        ("b", "EQUAL_TO_STRING"),
    ]


def test_parameter_value_inq_is_any_of_equalities():
    c = only_condition({"name": "state", "value": {"inq": ["solid", "liquid"]}})
    assert [x.value for x in c.conditions] == ["solid", "liquid"]


def test_parameter_unit_inq_is_any_of_units():
    c = only_condition({"name": "t", "value": {"gt": 300}, "unit": {"inq": ["K", "kelvin"]}})
    assert [x.unit for x in c.conditions] == ["K", "kelvin"]


def test_parameter_lower_and_upper_bound_make_a_range():
    c = only_condition({"name": "t", "value": {"gte": 1, "lt": 5}})
    assert (c.relation, c.value, c.bounds) == ("RANGE", (1, 5), "[)")


def test_parameter_neq_and_nlike_are_negated():
    assert only_condition({"name": "s", "value": {"neq": "solid"}}).negate is True
    c = only_condition({"name": "f", "value": {"nilike": "%Cu%"}})
    assert (c.relation, c.value, c.negate) == ("CONTAINS_STRING", "Cu", True)


def test_numeric_string_with_unit_is_numeric():
    c = only_condition({"name": "e", "value": "930", "unit": "eV"})
    assert (c.relation, c.value) == ("EQUAL_TO_NUMERIC", 930)


def test_dataset_where_maps_to_canonical_fields():
    r = parse_panosc(
        {
            "where": {
                "title": {"ilike": "%powder%"},
                "isPublic": True,
                "pid": {"inq": ["a/1", "a/2"]},
                "size": {"gt": 1000},
                "creationDate": {"between": ["2020-01-01", "2020-12-31"]},
                "text": "copper",
            }
        }
    )
    assert r.filters == (
        FieldFilter("dataset_name", ("powder",), "contains"),
        FieldFilter("is_published", (True,)),
        FieldFilter("pid", ("a/1", "a/2")),
        RangeFilter("size", 1000, None, "(]"),
        RangeFilter(
            "creation_time",
            datetime(2020, 1, 1, tzinfo=UTC),
            datetime(2021, 1, 1, tzinfo=UTC),
            "[)",
        ),
        FieldFilter("dataset_name", ("copper",), "contains"),
    )


def test_or_between_values_of_one_field_is_any_of():
    r = parse_panosc({"where": {"or": [{"pid": "a"}, {"pid": "b"}]}})
    assert r.filters == (FieldFilter("pid", ("a", "b")),)


def test_nin_is_a_negated_any_of():
    r = parse_panosc({"where": {"pid": {"nin": ["a", "b"]}}})
    assert r.filters == (FieldFilter("pid", ("a", "b"), negate=True),)


def test_query_limit_skip_and_order():
    r = parse_panosc({"query": "temperature beam", "limit": 10, "skip": 20, "order": "title DESC"})
    assert (r.words, r.limit, r.offset, r.sort) == (("temperature", "beam"), 10, 20, "-name")


def test_limit_zero_means_as_many_as_allowed():
    assert parse_panosc({"limit": 0}).limit == MAX_LIMIT
    assert parse_panosc({}).limit == MAX_LIMIT


def test_unknown_top_level_keys_are_ignored_and_json_text_is_accepted():
    r = parse_panosc(json.dumps({"fields": ["pid"], "whatever": 1, "where": {"pid": "x"}}))
    assert r.filters == (FieldFilter("pid", ("x",)),)


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flt",
    [
        {"where": {"colour": "red"}},
        {"where": {"title": {"regexp": "^a.*"}}},
        {"where": {"title": {"like": "a%b"}}},
        {"where": {"title": {"like": 5}}},
        {"where": {"size": {"like": "big"}}},
        {"where": {"size": {"gt": "big"}}},
        {"where": {"creationDate": {"between": ["2021-01-01"]}}},
        {"where": {"or": [{"pid": "a"}, {"title": "b"}]}},
        {"where": {"and": "pid"}},
        {"where": []},
        {"where": {"pid": None}},
        {"where": {"isPublic": "perhaps"}},
        {"include": [{"scope": {}}]},
        {"include": [{"relation": "parameters", "scope": "x"}]},
        parameters({"value": 5}),
        parameters({"name": "a"}),
        parameters({"and": [{"name": "a"}, {"name": "b"}, {"value": 1}]}),
        parameters({"name": "a", "value": {"nin": [1, 2]}}),
        parameters({"name": "a", "value": {"gt": 1, "eq": 2}}),
        parameters({"name": "a", "value": {"lt": 5}, "unit": "zorgs"}),
        parameters({"name": "a", "value": {"between": [5, 1]}}),
        parameters({"name": "a", "value": True}),
        parameters({"name": "a", "colour": 1, "value": 1}),
        parameters({"name": "a", "value": {"inq": [1] * 40}}),
        parameters(
            {
                "name": "a",
                "value": 1,
                "and": [
                    {"and": [{"and": [{"and": [{"and": [{"and": [{"and": [{"name": "a"}]}]}]}]}]}]}
                ],
            }
        ),
        {"limit": -1},
        {"limit": 5000},
        {"skip": "many"},
        {"order": ["pid ASC"]},
        {"order": {"title": "asc"}},
        {"query": ["beam"]},
        "not json",
        [],
    ],
)
def test_unsupported_or_malformed_filters_raise_query_error(flt):
    with pytest.raises(QueryError):
        parse_panosc(flt)
