"""Merging and cleaning partner answers (pure functions)."""

import pytest

from search.federation import clean, merge
from search.federation.http import PartnerError
from search.federation.partners import PartnerConfig
from search.federation.query import from_panosc

A = PartnerConfig("a", "panosc", "http://a/api")
B = PartnerConfig("b", "panosc", "http://b/api")


def test_identities_ignore_resolver_prefixes_and_case():
    item = {"pid": "https://doi.org/10.1234/ABC", "doi": "doi:10.1234/abc"}
    assert merge.keys(item) == {"10.1234/abc"}
    assert merge.keys({"pid": "hdl:20.500.1/X"}) == {"20.500.1/x"}


def test_scores_are_scaled_to_each_partners_best_within_0_and_1():
    assert merge.scale(0.2, 0.2) == 0.95
    assert merge.scale(0.1, 0.2) == 0.5
    assert merge.scale(0, 0.2) == 0.05
    assert merge.scale(0.3, 0) == 0.05


def test_a_later_duplicate_adds_its_partner_to_also_at():
    query = from_panosc("Datasets", {"query": "x"})
    answers = [(A, [{"pid": "p1", "score": 1.0}]), (B, [{"pid": "P1", "score": 3.0}])]

    entries = merge.ranked(query, answers)

    assert [(e.partner.name, [p.name for p in e.also]) for e in entries] == [("a", ["b"])]


def test_documents_without_a_query_are_ordered_by_title():
    query = from_panosc("Documents", {})
    answers = [(A, [{"pid": "1", "title": "beta"}]), (B, [{"pid": "2", "title": "Alpha"}])]

    assert [e.item["pid"] for e in merge.ranked(query, answers)] == ["2", "1"]


def test_unparseable_dates_sort_last():
    query = from_panosc("Datasets", {})
    items = [{"pid": "x", "creationDate": "yesterday"}, {"pid": "y", "creationDate": "2020-01-01"}]

    assert [e.item["pid"] for e in merge.ranked(query, [(A, items)])] == ["y", "x"]


def test_a_record_is_cleaned_to_its_types():
    raw = {
        "pid": 186715647,
        "title": "T\x00itle " + "x" * 2000,
        "isPublic": "yes",
        "size": "big",
        "score": "0.9",
        "doi": " ",
        "provider": "forged",
        "url": "javascript:alert(1)",
        "techniques": [{"name": "<b>x</b>", "pid": "p"}],
        "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}},
    }

    cleaned = clean.record(raw)

    assert cleaned["pid"] == "186715647"
    assert cleaned["title"].startswith("Title ") and len(cleaned["title"]) == 1000
    assert "isPublic" not in cleaned and "size" not in cleaned and "doi" not in cleaned
    assert cleaned["score"] == 0.0
    assert "provider" not in cleaned and "url" not in cleaned
    assert cleaned["techniques"] == [{"name": "<b>x</b>", "pid": "p"}]
    assert cleaned["deep"]["a"]["b"]["c"]["d"]["e"] is None


def test_records_without_a_pid_are_dropped_and_a_non_list_is_an_error():
    assert clean.records([{"title": "no pid"}, "text", {"pid": "ok"}], 10) == [
        {"pid": "ok", "score": 0.0}
    ]
    with pytest.raises(PartnerError):
        clean.records({"error": "x"}, 10)


@pytest.mark.parametrize(("raw", "count"), [({"count": 3}, 3), (4, 4), ({"count": "8"}, 8)])
def test_counts_are_read_as_numbers(raw, count):
    assert clean.count(raw) == count


@pytest.mark.parametrize("raw", [{"count": -1}, {"count": True}, [], {"count": "many"}])
def test_a_count_that_is_not_a_number_is_an_error(raw):
    with pytest.raises(PartnerError):
        clean.count(raw)
