"""GET /Datasets reads its page as rows, JSON columns kept as text (output.datasets_v3), and
leaves the access filter out when the where itself keeps to groups the user reads whole
(selectors.datasets_visible). Both must answer exactly what the plain path answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from catalogue.access import SYSTEM
from catalogue.api.datasets.output import dataset_v3
from catalogue.api.datasets.reads import pinned_owner_groups
from catalogue.models import Dataset
from catalogue.services import dataset_update
from tests.factories import make_dataset

from .test_datasets_helpers import (
    BASE,
    group_settings,  # noqa: F401 (autouse)
    pids,
    with_params,
)

pytestmark = pytest.mark.django_db
NESTED = {
    "sample": {"temperature": {"value": 100.5, "unit": "K"}, "name": "lysozyme ü"},
    "scan": {"angles": [0, 90.25, 180], "ok": True, "note": None, "count": 2**40},
}


@pytest.fixture
def corpus(db):
    derived = make_dataset(
        type="derived",
        principal_investigators=["Grace Hopper", "Ada Lovelace"],
        input_datasets=["fedcat/in-1"],
        used_software=["reduce 1.2"],
        proposal_ids=["20260001"],
        sample_ids=["s-1"],
        scientific_metadata=NESTED,
        job_parameters={"threads": 8},
        end_time="2026-01-15T12:30:00.123456+02:00",
    )
    raw = make_dataset(keywords=["saxs", "ü"], instrument_ids=["i-1"], shared_with=["x@y.org"])
    hidden = make_dataset(owner_group="p-other", embargo_end=None)
    public = make_dataset(owner_group="p-other")
    dataset_update(user=SYSTEM, dataset=public, changes={"is_published": True})
    return [derived, raw, hidden, public]


def as_documents(datasets, fields=()):
    """dataset_v3 of each, in pid order (what `order: "pid"` gives)."""
    found = Dataset.objects.filter(pk__in=[d.pk for d in datasets]).order_by("pid")
    return [dataset_v3(dataset, fields=fields) for dataset in found]


def test_list_documents_equal_the_single_dataset_documents(api, admin, corpus):
    body = api(admin).get(with_params(BASE, filter={"order": "pid:asc"})).json()
    assert body == as_documents(corpus)
    derived = next(doc for doc in body if doc["type"] == "derived")
    assert derived["investigator"] == "Grace Hopper" == derived["principalInvestigator"]
    assert (derived["proposalId"], derived["sampleId"]) == ("20260001", "s-1")
    assert derived["scientificMetadata"]["scan"]["count"] == 2**40
    assert derived["endTime"] == "2026-01-15T10:30:00.123Z"


def test_list_projection_keeps_the_same_keys_as_single_documents(api, admin, corpus):
    fields = ["pid", "proposalIds", "scientificMetadata"]
    url = with_params(BASE, filter={"fields": fields, "order": "pid:asc"})
    body = api(admin).get(url).json()
    assert body == as_documents(corpus, fields=fields)
    derived = next(doc for doc in body if doc["pid"] == corpus[0].pid)
    assert set(derived) == {"_id", "pid", "proposalIds", "proposalId", "scientificMetadata"}


def test_list_asked_for_indentation_is_the_same_json(api, admin, corpus):
    plain = api(admin).get(BASE).json()
    indented = api(admin).get(BASE, HTTP_ACCEPT="application/json; indent=4")
    assert indented.content.startswith(b"[\n") and indented.json() == plain


def test_owner_group_where_gives_members_every_dataset_of_their_group(api, owner, corpus):
    where = {"ownerGroup": "p-owner"}
    listed = api(owner).get(with_params(BASE, filter={"where": where}))
    count = api(owner).get(with_params(f"{BASE}/count", filter={"where": where})).json()
    assert pids(listed) == {corpus[0].pid, corpus[1].pid}
    assert count == {"count": 2}


def test_owner_group_where_of_another_group_still_applies_the_access_rules(api, owner, corpus):
    own = {corpus[0].pid, corpus[1].pid}
    both = {"ownerGroup": {"inq": ["p-owner", "p-other"]}}
    cases = [({"ownerGroup": "p-other"}, set()), (both, own)]
    for where, also in cases:
        listed = api(owner).get(with_params(BASE, filter={"where": where}))
        count = api(owner).get(with_params(f"{BASE}/count", filter={"where": where})).json()
        assert pids(listed) == {corpus[3].pid} | also
        assert count == {"count": 1 + len(also)}


def test_anonymous_owner_group_where_sees_only_public_datasets(api, corpus):
    body = api().get(with_params(BASE, filter={"where": {"ownerGroup": "p-other"}})).json()
    assert [doc["pid"] for doc in body] == [corpus[3].pid]


def test_pinned_owner_groups_reads_equality_inq_and_top_level_and():
    assert pinned_owner_groups({"ownerGroup": "a"}) == {"a"}
    assert pinned_owner_groups({"ownerGroup": {"inq": ["a", "b"]}, "type": "raw"}) == {"a", "b"}
    both = {"and": [{"ownerGroup": {"$in": ["a", "b"]}}, {"ownerGroup": {"eq": "b"}}]}
    assert pinned_owner_groups(both) == {"b"}
    assert pinned_owner_groups({"and": [{"ownerGroup": {"in": ["a"]}}]}) == frozenset()
    for where in (
        {},
        {"or": [{"ownerGroup": "a"}]},
        {"ownerGroup": {"neq": "a"}},
        {"ownerGroup": {"inq": []}},
        {"ownerGroup": {"like": "a"}},
        {"ownerGroup": 5},
        {"accessGroups": "a"},
        {"nope": "a"},
    ):
        assert pinned_owner_groups(where) == frozenset(), where


def test_an_embargo_ending_later_does_not_change_what_members_of_the_group_see(api, owner, corpus):
    future = datetime.now(UTC) + timedelta(days=365)
    Dataset.objects.filter(pk=corpus[1].pk).update(embargo_end=future)
    url = with_params(f"{BASE}/count", filter={"where": {"ownerGroup": "p-owner"}})
    assert api(owner).get(url).json() == {"count": 2}


# --- The page as rows (output.v3_rows): on PostgreSQL, one statement around the ORM's page of
# ids, the dates written by the database. The same documents as everywhere else.


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        datetime(999, 3, 4, 5, 6, 7, 500, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_list_dates_are_written_as_single_documents_write_them(api, admin, when):
    dataset = make_dataset()
    Dataset.objects.filter(pk=dataset.pk).update(creation_time=when, end_time=None)

    body = api(admin).get(BASE).json()

    assert body == as_documents([dataset])
    assert body[0]["endTime"] is None


@pytest.mark.parametrize(
    ("order", "orm_order"),
    [("datasetName:desc", "-dataset_name"), ("creationTime:asc", "creation_time")],
)
def test_a_page_keeps_the_order_and_offset_the_filter_asks_for(api, admin, order, orm_order):
    for number, name in enumerate(["b", "a", "c", "a", "b"]):
        make_dataset(dataset_name=name, creation_time=f"2026-01-0{5 - number}T10:00:00Z")
    expected = list(Dataset.objects.order_by(orm_order, "pk").values_list("pid", flat=True))

    url = with_params(BASE, filter={"order": order, "skip": 1, "limit": 3})
    body = api(admin).get(url).json()

    assert [doc["pid"] for doc in body] == expected[1:4]


def test_a_where_nothing_can_match_gives_an_empty_page(api, admin, corpus):
    response = api(admin).get(with_params(BASE, filter={"where": {"pid": {"inq": []}}}))

    assert response.status_code == 200
    assert response.json() == []
