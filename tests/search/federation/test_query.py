"""What partners are asked: the portal's search written as a PaNOSC filter, and the window."""

from dataclasses import replace

import pytest

from search.federation.query import (
    FederationQueryError,
    from_panosc,
    from_portal,
    where_query,
)
from search.query import parse_panosc, parse_query_string


@pytest.mark.parametrize(
    "q",
    [
        'lysozyme "crystal form" -ferritin',
        'datasetName:"My set"',
        "pid:abc/1",
        "creationTime>=2020-01-01",
        "size>1GB",
        'technique:"x-ray absorption"',
        "wavelength<1.5 Å",
        "sample_state:solid",
        "energy>=12 keV energy<=14 keV",
        "(temperature<10 K OR pressure>1 bar)",
        "chemical_formula~Cu",
        "isPublished:true",
    ],
)
def test_a_portal_search_becomes_a_filter_fedcat_reads_back_the_same(q):
    request = parse_query_string(q)

    query = from_portal(request)
    back = parse_panosc(query.filter)

    assert query.unsupported == ()
    assert replace(back, offset=0, limit=request.limit, sort=None, facets=()) == replace(
        request, facets=(), sort=None
    )


def test_a_year_becomes_a_date_range():
    query = from_portal(parse_query_string("year:2021"))

    assert query.filter["where"] == {
        "and": [
            {"creationDate": {"gte": "2021-01-01T00:00:00.000Z"}},
            {"creationDate": {"lt": "2022-01-01T00:00:00.000Z"}},
        ]
    }


@pytest.mark.parametrize(
    ("q", "unsupported"),
    [
        ("type:raw", ("type",)),
        ("lysozyme instrument:loki ownerGroup:p1", ("instrument", "ownerGroup")),
        ("-pid:x", ("-pid",)),
        ("-temperature>10 K", ("-temperature",)),
    ],
)
def test_filters_partners_cannot_apply_are_named(q, unsupported):
    assert from_portal(parse_query_string(q)).unsupported == unsupported


def test_partners_are_asked_for_the_whole_window_in_the_declared_order():
    query = from_panosc("Datasets", {"where": {"title": "x"}, "limit": 10, "skip": 20})

    assert query.partner_filter() == {
        "where": {"title": "x"},
        "limit": 30,
        "skip": 0,
        "order": "creationDate DESC",
    }
    assert query.countable


def test_a_query_is_ranked_by_the_partner_not_ordered():
    query = from_panosc("Documents", {"query": "water", "order": "title DESC", "limit": 5})

    assert query.partner_filter() == {"query": "water", "limit": 5, "skip": 0}
    assert not query.countable


def test_unknown_keys_are_ignored_and_offset_means_skip():
    query = from_panosc("Datasets", {"offset": 4, "limit": 2, "colour": "blue"})

    assert (query.skip, query.limit, query.filter) == (4, 2, {})


def test_the_question_key_ignores_the_window():
    first = from_panosc("Datasets", {"query": "x", "limit": 5})
    second = from_panosc("Datasets", {"query": "x", "limit": 5, "skip": 5})

    assert first.key() == second.key()
    assert first.key() != from_panosc("Documents", {"query": "x"}).key()


@pytest.mark.parametrize(
    "flt",
    [
        [1],
        {"where": "title"},
        {"query": 3},
        {"limit": -1},
        {"limit": "ten"},
        {"skip": 999, "limit": 2},
        {"limit": 1.5},
        {"limit": 10**400},
        {"skip": float("inf")},
        {"limit": "9" * 5000},
    ],
)
def test_a_malformed_filter_is_refused_with_a_message(flt):
    with pytest.raises(FederationQueryError) as caught:
        from_panosc("Datasets", flt)
    assert caught.value.message


def test_a_count_takes_only_a_where():
    assert where_query("Datasets", {"title": "x"}).filter == {"where": {"title": "x"}}
    with pytest.raises(FederationQueryError):
        where_query("Datasets", ["x"])
