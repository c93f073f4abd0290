"""The pure parts: filter parsing, where trees, LIKE patterns and PaNET expansion (no database)."""

import json

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from search.panosc import panet
from search.panosc.errors import BadFilter
from search.panosc.filters import parse_scope, scope_from_request
from search.panosc.where import NOTHING, compare, like_regex, matches, parse_where

PANET = panet.PANET_BASE


def request(**params):
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = value
    return RequestFactory().get("/panosc-api/Datasets?" + query.urlencode())


# --- filters ------------------------------------------------------------------------------------
def test_a_json_filter_is_parsed_with_its_nested_scopes():
    flt = {
        "limit": "0",
        "offset": 5,
        "order": ["title DESC", "size"],
        "fields": {"pid": True, "size": False},
        "query": " water ",
        "include": ["techniques", {"relation": "document", "scope": {"where": {"type": "x"}}}],
    }

    scope = scope_from_request(request(filter=json.dumps(flt)))

    assert (scope.limit, scope.skip, scope.query) == (None, 5, "water")
    assert scope.order == (("title", True), ("size", False))
    assert scope.fields == (frozenset({"pid"}), frozenset({"size"}))
    assert [(r.name, r.key, r.conditional) for r in scope.include] == [
        ("techniques", "techniques", False),
        ("document", "documents", True),
    ]
    assert scope.conditional


def test_a_where_deeper_down_makes_the_outer_relation_conditional():
    inner = {"relation": "parameters", "scope": {"where": {"name": "x"}}}
    scope = parse_scope({"include": [{"relation": "datasets", "scope": {"include": [inner]}}]})

    assert scope.include[0].conditional


def test_the_bracket_form_builds_lists_from_indices():
    scope = scope_from_request(
        request(**{"filter[include][0][relation]": "files", "filter[where][title]": "x"})
    )

    assert scope.where == {"title": "x"}
    assert [r.name for r in scope.include] == ["files"]


@pytest.mark.parametrize(
    "flt",
    [
        '{"where": [1]}',
        '{"limit": -2}',
        '{"limit": "ten"}',
        "[1]",
        '{"include": [{"relation": 3}]}',
    ],
)
def test_malformed_structure_is_a_bad_filter(flt):
    with pytest.raises(BadFilter):
        scope_from_request(request(filter=flt))


# --- where --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("%file1%", "panosc-file1.hdf", True),
        ("file_.hdf", "file1.hdf", True),
        ("file_.hdf", "file12.hdf", False),
        ("100\\%", "100%", True),
        ("100\\%", "1000", False),
        ("a.b", "axb", False),
    ],
)
def test_like_patterns_are_anchored_sql_patterns(pattern, text, expected):
    assert (compare(text, "like", pattern)) is expected
    assert bool(__import__("re").match(like_regex(pattern), text)) is expected


def test_an_unknown_operator_matches_nothing():
    assert parse_where({"title": {"near": "x"}}) == NOTHING


def test_text_searches_the_entity_text_fields_ignoring_case():
    node = parse_where({"text": "CU"}, text_fields=("name", "description"))

    assert matches(node, {"name": "x", "description": "solid cu cylinder"})
    assert not matches(node, {"name": "x", "description": "gold"})


@pytest.mark.parametrize(
    ("actual", "op", "value", "expected"),
    [
        (["a", "b"], "eq", "b", True),
        (["a", "b"], "nin", ["b"], False),
        (5, "between", [1, 5], True),
        (5, "gt", "4", True),
        ("5", "gt", 4, False),
        ("Lise Meitner", "ilike", "lise%", True),
        ("Lise Meitner", "regexp", "/^lise/i", True),
        ("Lise Meitner", "regexp", "^lise", False),
        (None, "neq", "x", True),
        (True, "eq", "true", True),
    ],
)
def test_compare_follows_loopback(actual, op, value, expected):
    assert compare(actual, op, value) is expected


def test_and_or_must_hold_lists():
    with pytest.raises(BadFilter):
        parse_where({"or": {"title": "x"}})


# --- PaNET --------------------------------------------------------------------------------------
def test_the_shipped_panet_table_is_closed_acyclic_and_sourced():
    data = json.loads(panet.Path(panet.__file__).with_name("panet.json").read_text())
    pids = {t["pid"] for t in data["terms"]}

    assert "PaNET.csv" in data["source"]
    assert all(p in pids for t in data["terms"] for p in t["parents"])
    for term in data["terms"]:  # no parent is also below the term: no cycle
        assert not set(term["parents"]) & panet.descendants(term["pid"])


def test_descendants_of_x_ray_absorption():
    found = panet.descendants(PANET + "PaNET01227")

    assert {PANET + n for n in ("PaNET01227", "PaNET01196", "PaNET01197", "PaNET01198")} <= found
    assert PANET + "PaNET01188" not in found


def test_technique_names_match_deeply_and_ignoring_case():
    vocabulary = [("local:xanes", "X-ray absorption near edge structure"), ("local:saxs", "SAXS")]

    found = panet.matching_pids({"name": "X-Ray Absorption"}, vocabulary)

    assert "local:xanes" in found
    assert PANET + "PaNET01199" in found
    assert "local:saxs" not in found


def test_a_pattern_is_not_expanded():
    found = panet.matching_pids({"name": {"like": "x-ray absorption"}}, [])

    assert found == {PANET + "PaNET01227"}


def test_nin_keeps_techniques_outside_every_set():
    found = panet.matching_pids({"pid": {"nin": ["PaNET00200", "PaNET00202"]}}, [])

    assert PANET + "PaNET01188" not in found  # a scattering technique
    assert PANET + "PaNET01151" not in found  # an absorption technique
    assert PANET + "PaNET01207" in found  # x-ray tomography is neither
