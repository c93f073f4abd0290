"""GET /Datasets/fullquery, /fullfacet and /metadataKeys: the `fields` vocabulary, scientific
conditions with and without units, facet shapes, metadata keys, and bad input.

One corpus for the module (rolled back at the end). The owner's scope holds saxs, tomo and
derived; `other` belongs to another group and must never show up for the owner.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from catalogue.services.tokens import token_issue
from tests.factories import make_dataset, make_user

from .test_datasets_helpers import (
    BASE,
    group_settings,  # noqa: F401 (autouse)
    pids,
    with_params,
)

CORPUS = {
    "saxs": {
        "dataset_name": "SAXS of lysozyme",
        "description": "Small-angle scattering",
        "keywords": ["saxs", "protein"],
        "proposal_ids": ["20260001"],
        "creation_time": "2026-01-10T08:00:00Z",
        "size": 100,
        "creation_location": "/PSI/SLS/cSAXS",
        "scientific_metadata": {
            "wavelength": {"value": 15, "unit": "Angstrom"},
            "temperature": {"value": 300, "unit": "K"},
            "sample": {"holder": {"name": "Capillary B2"}, "mass": {"v": 3, "u": "mg"}},
            "mode": "fast",
            "count": 5,
        },
    },
    "tomo": {
        "dataset_name": "Tomography of a steel weld",
        "description": "Fast scan of a weld",
        "keywords": ["tomography"],
        "creation_time": "2026-03-05T23:30:00Z",
        "size": 5000,
        "creation_location": "/PSI/SLS/TOMCAT",
        "scientific_metadata": {
            "wavelength": {"value": 0.5, "unit": "nm"},
            "temperature": {"value": 10, "unit": "degC"},
            "mode": "slow scan",
            "count": 8,
        },
    },
    "derived": {
        "type": "derived",
        "dataset_name": "Reduced curves",
        "description": "Azimuthally integrated",
        "keywords": ["saxs"],
        "creation_time": "2025-12-31T12:00:00Z",
        "size": 10,
        "is_published": True,
        "creation_location": "",
        "scientific_metadata": {"count": {"value": 6, "unit": ""}, "note": "n/a"},
    },
    "other": {
        "owner_group": "q-other",
        "dataset_name": "SAXS elsewhere",
        "description": "Secret scan",
        "keywords": ["saxs", "secret"],
        "scientific_metadata": {"secret_key": 1, "count": 7},
    },
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        owner = make_user("olga", "p-owner")
        admin = make_user("adam", "admin")
        for name, fields in CORPUS.items():
            make_dataset(pid=f"fedcat/{name}", embargo_end=None, **fields)
        tokens = {"owner": token_issue(user=owner)[0], "admin": token_issue(user=admin)[0]}
        yield tokens
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def _get(world, path, persona="owner", **params):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world[persona]}")
    return client.get(with_params(f"{BASE}/{path}", **params))


def found(world, fields, persona="owner") -> set[str]:
    response = _get(world, "fullquery", persona, fields=fields)
    return {pid.removeprefix("fedcat/") for pid in pids(response)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lysozyme", {"saxs"}),
        ("SAXS", {"saxs", "derived"}),  # the name, or a keyword
        ("scan", {"tomo"}),  # a whole word of the description
        ("scat", set()),  # not a part of a word
        ('"steel weld"', {"tomo"}),
        ("saxs -protein", {"derived"}),
        ("saxs lysozyme", {"saxs"}),  # every word must match
        ("20260001", {"saxs"}),  # a proposal id
        ("secret", set()),  # another group's keyword stays hidden
    ],
)
def test_text_matches_whole_words_ignoring_case(world, text, expected):
    assert found(world, {"text": text}) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"type": "derived"}, {"derived"}),
        ({"creationLocation": ["/PSI/SLS/cSAXS", "/PSI/SLS/TOMCAT"]}, {"saxs", "tomo"}),
        ({"keywords": ["tomography", "protein"]}, {"saxs", "tomo"}),
        ({"keywords": ["saxs"], "type": "raw"}, {"saxs"}),
        ({"creationTime": {"begin": "2026-01-01", "end": "2026-02-01"}}, {"saxs"}),
        ({"creationTime": {"begin": "2026-01-01"}}, {"saxs", "tomo"}),
        ({"size": {"min": 50, "max": 1000}}, {"saxs"}),
        ({"size": {"min": 0, "max": 50}}, {"derived"}),
        ({"isPublished": True}, {"derived"}),
        ({"mode": {"type": "raw", "pid": "fedcat/tomo"}}, {"tomo"}),
        ({"mode": {"datasetlifecycle.archivable": True}}, {"saxs", "tomo", "derived"}),
        ({"mode": {}, "keywords": [], "text": ""}, {"saxs", "tomo", "derived"}),
        ({"userGroups": ["q-other"]}, {"saxs", "tomo", "derived"}),  # ignored
    ],
)
def test_fields_filter_the_owners_scope(world, fields, expected):
    assert found(world, fields) == expected


def _condition(lhs, relation, rhs, unit=""):
    return {"scientific": [{"lhs": lhs, "relation": relation, "rhs": rhs, "unit": unit}]}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # With a unit: compared in SI, whatever unit the value was stored in.
        (("wavelength", "GREATER_THAN", 1, "nm"), {"saxs"}),  # 15 Angstrom = 1.5 nm
        (("wavelength", "LESS_THAN", 1, "nm"), {"tomo"}),
        (("wavelength", "EQUAL_TO_NUMERIC", 1.5, "nm"), {"saxs"}),
        (("wavelength", "RANGE", [0.1, 1], "nm"), {"tomo"}),
        (("temperature", "GREATER_THAN", 20, "celsius"), {"saxs"}),  # 300 K, not 10 degC
        (("temperature", "LESS_THAN_OR_EQUAL", 283.15, "K"), {"tomo"}),
        (("sample.mass", "LESS_THAN", 1, "g"), {"saxs"}),  # the short v/u form, nested
        # Without a unit: the value at lhs, lhs.v or lhs.value.
        (("count", "GREATER_THAN", 5), {"tomo", "derived"}),
        (("count", "EQUAL_TO_NUMERIC", 5), {"saxs"}),
        (("count", "GREATER_THAN_OR_EQUAL", 6), {"tomo", "derived"}),
        (("count", "LESS_THAN_OR_EQUAL", 6), {"saxs", "derived"}),
        (("count", "LESS_THAN", 6), {"saxs"}),
        (("count", "RANGE", [5, 8]), {"derived"}),  # bounds excluded
        (("sample.mass", "GREATER_THAN", 1), {"saxs"}),
        (("mode", "EQUAL_TO_STRING", "fast"), {"saxs"}),
        (("mode", "CONTAINS_STRING", "SCAN"), {"tomo"}),
        (("sample.holder.name", "EQUAL_TO_STRING", "Capillary B2"), {"saxs"}),
        (("sample.holder.name", "CONTAINS_STRING", "capil"), {"saxs"}),
        (("note", "LESS_THAN", 5), set()),  # text never compares as a number
        (("count", "EQUAL_TO_STRING", "5"), set()),  # nor a number as text
        (("secret_key", "EQUAL_TO_NUMERIC", 1), set()),  # another group's dataset
    ],
)
def test_scientific_conditions(world, condition, expected):
    assert found(world, _condition(*condition)) == expected


def test_scientific_conditions_are_anded(world):
    fields = {
        "scientific": [
            {"lhs": "count", "relation": "GREATER_THAN", "rhs": 4, "unit": ""},
            {"lhs": "mode", "relation": "CONTAINS_STRING", "rhs": "a", "unit": ""},
        ]
    }

    assert found(world, fields) == {"saxs", "tomo"}


def test_a_unit_with_a_string_relation_is_ignored(world):
    assert found(world, _condition("mode", "EQUAL_TO_STRING", "fast", "K")) == {"saxs"}


def test_fullquery_limits_order_and_page(world):
    limits = {"order": "creationTime:desc", "skip": 1, "limit": 1}

    response = _get(world, "fullquery", fields={}, limits=limits)

    assert [d["pid"] for d in response.json()] == ["fedcat/saxs"]
    assert response.json()[0]["__v"] == 0


def test_admin_searches_every_group(world):
    assert found(world, {"keywords": "saxs"}, persona="admin") == {"saxs", "derived", "other"}


BAD_FIELDS = [
    ("{oops", "Invalid JSON in fields"),
    ('["text"]', "fields must be a JSON object"),
    ('{"colour": "blue"}', "unknown field 'colour'"),
    ('{"mode": {"$or": [{"type": "raw"}]}}', "Mongo operators are not supported"),
    ('{"mode": {"size": {"$gt": 1}}}', "Mongo operators are not supported"),
    ('{"creationTime": {"from": "2026-01-01"}}', "creationTime takes {begin, end}"),
    ('{"creationTime": {"begin": "soon"}}', "creationTime"),
    ('{"type": {"min": 1}}', "type takes a value or a list of values"),
    ('{"scientific": {"lhs": "a"}}', "scientific must be a list of conditions"),
    ('{"scientific": [{"lhs": "a"}]}', "each scientific condition is"),
    (
        '{"scientific": [{"lhs": "a", "relation": "BIGGER", "rhs": 1, "unit": ""}]}',
        "unknown relation 'BIGGER'",
    ),
    (
        '{"scientific": [{"lhs": "a", "relation": "GREATER_THAN", "rhs": 1, "unit": "blargs"}]}',
        "unknown unit 'blargs'",
    ),
    (
        '{"scientific": [{"lhs": "a", "relation": "LESS_THAN", "rhs": "many", "unit": ""}]}',
        "is not a number",
    ),
    ('{"scientific": [{"lhs": "a", "relation": "RANGE", "rhs": 3, "unit": ""}]}', "RANGE takes"),
]


@pytest.mark.parametrize("endpoint", ["fullquery", "fullfacet", "metadataKeys"])
@pytest.mark.parametrize(("raw", "message"), BAD_FIELDS)
def test_bad_fields_are_a_400_with_a_message(world, endpoint, raw, message):
    response = _get(world, endpoint, fields=raw)

    assert response.status_code == 400
    assert message in response.json()["message"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limits": "{oops"}, "Invalid JSON in limits"),
        ({"limits": {"order": "keywords:desc"}}, "cannot sort by the array field"),
        ({"limits": {"skip": -1}}, "skip must be a non-negative integer"),
    ],
)
def test_bad_limits_are_a_400(world, params, message):
    response = _get(world, "fullquery", **params)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_fullfacet_shape_unwinds_arrays_and_sorts_descending(world):
    facets = ["type", "keywords", "creationTime", "creationLocation", "ownerGroup"]

    response = _get(world, "fullfacet", facets=facets)

    assert response.status_code == 200
    (result,) = response.json()
    assert result["type"] == [{"_id": "raw", "count": 2}, {"_id": "derived", "count": 1}]
    assert result["keywords"] == [
        {"_id": "tomography", "count": 1},
        {"_id": "saxs", "count": 2},
        {"_id": "protein", "count": 1},
    ]
    assert result["creationTime"] == [
        {"_id": {"year": 2026, "month": 3, "day": 5}, "count": 1},
        {"_id": {"year": 2026, "month": 1, "day": 10}, "count": 1},
        {"_id": {"year": 2025, "month": 12, "day": 31}, "count": 1},
    ]
    assert result["creationLocation"] == [
        {"_id": "/PSI/SLS/cSAXS", "count": 1},
        {"_id": "/PSI/SLS/TOMCAT", "count": 1},
        {"_id": None, "count": 1},
    ]
    assert result["ownerGroup"] == [{"_id": "p-owner", "count": 3}]
    assert result["all"] == [{"totalSets": 3}]
    assert list(result) == [*facets, "all"]


def test_fullfacet_counts_after_the_fields_conditions(world):
    response = _get(world, "fullfacet", fields={"type": "raw"}, facets=["keywords"])

    assert response.json()[0]["keywords"] == [
        {"_id": "tomography", "count": 1},
        {"_id": "saxs", "count": 1},
        {"_id": "protein", "count": 1},
    ]


def test_fullfacet_of_json_values(world):
    response = _get(
        world, "fullfacet", facets=["datasetlifecycle.archivable", "principalInvestigators"]
    )

    result = response.json()[0]
    assert result["datasetlifecycle.archivable"] == [{"_id": True, "count": 3}]
    assert result["principalInvestigators"] == [{"_id": "Ada Lovelace", "count": 3}]


def test_fullfacet_with_no_match_has_an_empty_all(world):
    response = _get(world, "fullfacet", fields={"text": "nothing-like-this"}, facets=["type"])

    assert response.json() == [{"type": [], "all": []}]


@pytest.mark.parametrize(
    ("facets", "message"),
    [
        ('"type"', "facets must be a JSON array of field names"),
        ('["colour"]', "unknown field 'colour'"),
        ("[oops", "Invalid JSON in facets"),
    ],
)
def test_bad_facets_are_a_400(world, facets, message):
    response = _get(world, "fullfacet", facets=facets)

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_metadata_keys_are_sorted_dotted_paths_of_the_users_datasets(world):
    response = _get(world, "metadataKeys", fields={})

    assert response.status_code == 200
    assert response.json() == [
        "count",
        "mode",
        "note",
        "sample.holder.name",
        "sample.mass",
        "temperature",
        "wavelength",
    ]


def test_metadata_keys_filtered_by_metadata_key_and_limits(world):
    filtered = _get(world, "metadataKeys", fields={"metadataKey": "SAM"})
    one = _get(world, "metadataKeys", fields={}, limits={"limit": 1, "order": "creationTime:asc"})

    assert filtered.json() == ["sample.holder.name", "sample.mass"]
    assert one.json() == ["count", "note"]


def test_metadata_keys_of_admin_include_every_group(world):
    assert "secret_key" in _get(world, "metadataKeys", "admin", fields={}).json()


def test_search_paths_are_case_insensitive(world):
    response = _get(world, "FullQuery", fields={"type": "derived"})

    assert [d["pid"] for d in response.json()] == ["fedcat/derived"]


def test_fullquery_shows_searched_quantities_in_the_requested_unit(world):
    fields = {
        "scientific": [
            {"lhs": "wavelength", "relation": "GREATER_THAN", "rhs": 1, "unit": "nm"},
            {"lhs": "temperature", "relation": "GREATER_THAN", "rhs": 20, "unit": "celsius"},
        ]
    }

    (doc,) = _get(world, "fullquery", fields=fields).json()

    metadata = doc["scientificMetadata"]
    assert metadata["wavelength"]["value"] == 1.5 and metadata["wavelength"]["unit"] == "nm"
    assert metadata["temperature"]["value"] == 26.9
    assert metadata["temperature"]["unit"] == "celsius"
    assert metadata["temperature"]["valueSI"] == 300 and metadata["temperature"]["unitSI"] == "K"
