"""GET /Datasets, /Datasets/count, /Datasets/findOne and /Datasets/{pid}: filters, projection,
order, pagination, include, history, pids with '/', case-insensitive paths, bad filters."""

from __future__ import annotations

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Dataset, Proposal
from catalogue.services import attachment_add, dataset_bulk_create, dataset_update
from catalogue.services.datablocks import origdatablock_add
from tests.factories import dataset_data, make_dataset

from .clients import client_for
from .test_datasets_helpers import (
    BASE,
    group_settings,  # noqa: F401 (autouse)
    item_url,
    pids,
    with_params,
)

pytestmark = pytest.mark.django_db
PNG = "data:image/png;base64,iVBORw0KGgo="


@pytest.fixture
def corpus(db):
    return {
        "saxs": make_dataset(
            pid="fedcat/saxs-1",
            dataset_name="SAXS of lysozyme",
            creation_time="2026-01-10T00:00:00Z",
            proposal_ids=["20260001"],
            keywords=["saxs"],
            size=10,
            embargo_end=None,
        ),
        "tomo": make_dataset(
            pid="fedcat/tomo-1",
            dataset_name="Tomography of a weld",
            creation_time="2026-03-10T00:00:00Z",
            size=30,
            embargo_end=None,
        ),
        "other": make_dataset(
            pid="fedcat/other-1",
            owner_group="q-other",
            dataset_name="Not yours",
            creation_time="2026-02-10T00:00:00Z",
            size=20,
            embargo_end=None,
        ),
    }


def test_list_returns_the_readable_datasets_in_the_v3_shape(owner, corpus):
    response = client_for(owner).get(BASE)

    assert pids(response) == {"fedcat/saxs-1", "fedcat/tomo-1"}
    first = response.json()[0]
    assert first["_id"] == first["pid"] and first["__v"] == 0
    assert "history" not in first


def test_where_uses_legacy_singular_names(owner, corpus):
    url = with_params(BASE, filter={"where": {"proposalId": "20260001"}})

    assert pids(client_for(owner).get(url)) == {"fedcat/saxs-1"}


def test_where_with_a_regex_and_count_agree(owner, corpus):
    flt = {"where": {"datasetName": {"like": "of"}}}

    listed = client_for(owner).get(with_params(BASE, filter=flt))
    counted = client_for(owner).get(with_params(f"{BASE}/count", filter=flt))

    assert pids(listed) == {"fedcat/saxs-1", "fedcat/tomo-1"}
    assert counted.status_code == 200
    assert counted.json() == {"count": 2}


def test_filter_may_come_as_a_header(owner, corpus):
    response = client_for(owner).get(BASE, HTTP_FILTER='{"where": {"size": {"gt": 15}}}')

    assert pids(response) == {"fedcat/tomo-1"}


def test_order_and_limits_page_through_the_results(admin, corpus):
    client = client_for(admin)
    flt = {"limits": {"order": "creationTime:desc", "limit": 2, "skip": 0}}

    first = client.get(with_params(BASE, filter=flt)).json()
    flt["limits"]["skip"] = 2
    second = client.get(with_params(BASE, filter=flt)).json()

    assert [d["pid"] for d in first] == ["fedcat/tomo-1", "fedcat/other-1"]
    assert [d["pid"] for d in second] == ["fedcat/saxs-1"]


def test_order_by_another_field_ascending(admin, corpus):
    flt = {"limits": {"order": "size:asc"}}

    response = client_for(admin).get(with_params(BASE, filter=flt))

    assert [d["size"] for d in response.json()] == [10, 20, 30]


def test_default_limit_is_100(admin):
    dataset_bulk_create(user=SYSTEM, drafts=(dataset_data() for _ in range(101)))

    response = client_for(admin).get(BASE)

    assert len(response.json()) == 100


def test_fields_project_the_answer_and_keep_the_id(owner, corpus):
    flt = {"where": {"pid": "fedcat/saxs-1"}, "fields": ["datasetName", "proposalIds"]}

    response = client_for(owner).get(with_params(BASE, filter=flt))

    assert response.json() == [
        {
            "_id": "fedcat/saxs-1",
            "datasetName": "SAXS of lysozyme",
            "proposalIds": ["20260001"],
            "proposalId": "20260001",
        }
    ]


def test_include_adds_related_records(owner, corpus):
    saxs = corpus["saxs"]
    Proposal.objects.create(
        proposal_id="20260001", email="pi@example.org", title="Lysozyme", owner_group="p-owner"
    )
    origdatablock_add(user=SYSTEM, dataset=saxs, files=[{"path": "a.h5", "size": 5, "chk": "abc"}])
    attachment_add(user=SYSTEM, dataset=saxs, thumbnail=PNG, caption="preview")
    flt = {"where": {"pid": saxs.pid}, "include": ["all"]}

    body = client_for(owner).get(with_params(BASE, filter=flt)).json()[0]

    block = body["origdatablocks"][0]
    assert block["id"] == block["_id"] and block["datasetId"] == saxs.pid
    assert block["dataFileList"] == [{"path": "a.h5", "size": 5, "chk": "abc"}]
    assert body["attachments"][0]["caption"] == "preview"
    assert body["proposals"][0]["_id"] == "20260001"
    assert body["datablocks"] == [] and body["samples"] == [] and body["instruments"] == []


def test_include_leaves_out_proposals_the_user_cannot_read(member, corpus):
    dataset = make_dataset(access_groups=["p-readers"], proposal_ids=["secret"], embargo_end=None)
    Proposal.objects.create(proposal_id="secret", email="a@b.org", title="x", owner_group="z")
    flt = {"where": {"pid": dataset.pid}, "include": [{"relation": "proposals"}]}

    body = client_for(member).get(with_params(BASE, filter=flt)).json()[0]

    assert body["proposals"] == []


def test_find_one_returns_the_first_match_or_an_empty_body(owner, corpus):
    client = client_for(owner)
    found = client.get(
        with_params(f"{BASE}/findOne", filter={"where": {"datasetName": "Tomography of a weld"}})
    )
    missing = client.get(with_params(f"{BASE}/findOne", filter={"where": {"size": 999}}))

    assert found.status_code == 200 and found.json()["pid"] == "fedcat/tomo-1"
    assert missing.status_code == 200 and missing.content == b""


def test_find_one_never_returns_an_unreadable_dataset(owner, corpus):
    url = with_params(f"{BASE}/findOne", filter={"where": {"pid": "fedcat/other-1"}})

    assert client_for(owner).get(url).content == b""


def test_get_by_pid_with_an_encoded_slash_includes_the_history(owner, corpus):
    dataset_update(user=SYSTEM, dataset=corpus["saxs"], changes={"description": "new"})

    response = client_for(owner).get(item_url("fedcat/saxs-1"))

    assert response.status_code == 200
    body = response.json()
    assert body["pid"] == "fedcat/saxs-1"
    assert body["history"][0]["description"]["currentValue"] == "new"
    assert body["history"][0]["updatedBy"] == "system"
    assert "_id" in body["history"][0] and "updatedAt" in body["history"][0]


def test_get_by_pid_leaves_out_the_history_when_fields_are_given(owner, corpus):
    url = with_params(item_url("fedcat/saxs-1"), filter={"fields": ["pid", "size"]})

    body = client_for(owner).get(url).json()

    assert body == {"_id": "fedcat/saxs-1", "pid": "fedcat/saxs-1", "size": 10}


def test_get_by_pid_answers_404_then_403(owner, corpus):
    client = client_for(owner)

    missing = client.get(item_url("fedcat/nothing"))
    hidden = client.get(item_url("fedcat/other-1"))

    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "message": "dataset: fedcat/nothing not found",
        "error": "Not Found",
    }
    assert hidden.status_code == 403
    assert hidden.json()["message"] == "Unauthorized access"


@pytest.mark.parametrize("path", ["/api/v3/datasets", "/api/v3/DATASETS/", "/api/v3/Datasets"])
def test_paths_are_case_insensitive(owner, corpus, path):
    assert client_for(owner).get(path).status_code == 200


def test_fixed_names_are_case_insensitive_too(owner, corpus):
    response = client_for(owner).get(f"{BASE}/COUNT")

    assert response.json() == {"count": 2}


def test_pid_with_several_slashes_and_a_trailing_slash(owner):
    make_dataset(pid="20.500.12269/a/b", embargo_end=None)

    response = client_for(owner).get(item_url("20.500.12269/a/b") + "/")

    assert response.status_code == 200
    assert response.json()["pid"] == "20.500.12269/a/b"


def test_access_token_query_parameter_authenticates_too(owner, corpus):
    from catalogue.services.tokens import token_issue

    raw, _ = token_issue(user=owner)

    response = client_for().get(f"{BASE}/count?access_token={raw}")

    assert response.json() == {"count": 2}


BAD_WHERE = [
    ("{not json", "Invalid JSON in filter"),
    ('{"where": {"size": {"near": 3}}}', "unsupported operator 'near' on size"),
    ('{"where": {"size": {"gt": "big"}}}', "size needs a number"),
    ('{"where": {"colour": "blue"}}', "unknown field 'colour'"),
    ('{"where": "size > 3"}', "filter.where must be an object"),
]
BAD_REST = [
    ('{"include": ["friends"]}', "unknown relation 'friends'"),
    ('{"limits": {"order": "keywords:asc"}}', "cannot sort by the array field keywords"),
    ('{"limits": {"order": "colour:asc"}}', "unknown field 'colour'"),
    ('{"limits": {"limit": -1}}', "limit must be a non-negative integer"),
]
CASES = [(endpoint, *case) for endpoint in ("", "/count", "/findOne") for case in BAD_WHERE]
CASES += [(endpoint, *case) for endpoint in ("", "/findOne") for case in BAD_REST]


@pytest.mark.parametrize(("endpoint", "raw_filter", "message"), CASES)
def test_bad_filters_are_a_400_with_a_message(owner, corpus, endpoint, raw_filter, message):
    response = client_for(owner).get(with_params(f"{BASE}{endpoint}", filter=raw_filter))

    assert response.status_code == 400
    assert message in response.json()["message"]


def test_a_count_counted_before_still_refuses_a_bad_order(owner, corpus):
    """Counts remember their statement (selectors.count_remembered): not past the checks."""
    api = client_for(owner)
    good = {"where": {"keywords": "saxs"}}
    bad = {"where": {"keywords": "saxs"}, "limits": {"order": "keywords:asc"}}

    first = api.get(with_params(f"{BASE}/count", filter=good))
    refused = api.get(with_params(f"{BASE}/count", filter=bad))

    assert first.json() == {"count": 1}
    assert refused.status_code == 400
    assert "cannot sort by the array field keywords" in refused.json()["message"]


def test_bad_filter_on_get_by_pid_is_a_400(owner, corpus):
    response = client_for(owner).get(item_url("fedcat/saxs-1") + "?filter={oops")

    assert response.status_code == 400
    assert Dataset.objects.count() == 3


def test_list_adds_the_history_when_fields_name_it(owner, corpus):
    dataset_update(user=SYSTEM, dataset=corpus["tomo"], changes={"size": 31})
    flt = {"where": {"pid": "fedcat/tomo-1"}, "fields": ["size", "history"]}

    (doc,) = client_for(owner).get(with_params(BASE, filter=flt)).json()

    assert doc["size"] == 31
    assert doc["history"][0]["size"] == {"currentValue": 31, "previousValue": 30}
