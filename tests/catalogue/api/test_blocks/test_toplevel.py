"""The v3 collections /origdatablocks and /datablocks: create by datasetId, filter, fullquery."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Dataset, OrigDatablock
from catalogue.services import origdatablock_add
from tests.factories import make_dataset

from ..clients import client_for
from .helpers import body, counters, files, pyscicat_block

BASE = "/api/v3/origdatablocks"


def url(path: str = "", **params) -> str:
    query = "&".join(f"{name}={quote(json.dumps(value))}" for name, value in params.items())
    return f"{BASE}{path}" + (f"?{query}" if query else "")


@pytest.fixture
def blocks(dataset):
    """Two blocks on the fixture dataset and one on another group's dataset."""
    elsewhere = make_dataset(owner_group="p-other", pid="other/1")
    return {
        "small": origdatablock_add(user=SYSTEM, dataset=dataset, files=files(2, size=5)),
        "big": origdatablock_add(user=SYSTEM, dataset=dataset, files=files(3, size=50, start=2)),
        "other": origdatablock_add(user=SYSTEM, dataset=elsewhere, files=files(1, size=1, start=9)),
    }


# --- POST ----------------------------------------------------------------------------------------


def test_create_names_its_dataset_and_takes_the_datasets_groups(owner, dataset):
    data = {**pyscicat_block(2), "datasetId": dataset.pid, "ownerGroup": "p-elsewhere"}

    response = client_for(owner).post(BASE, data, format="json")

    assert response.status_code == 201
    block = body(response)
    assert (block["datasetId"], block["ownerGroup"]) == (dataset.pid, "p-owner")
    assert len(block["dataFileList"]) == 2
    assert counters(dataset) == (200, 2)


def test_create_for_a_missing_dataset_is_not_found_and_without_one_a_400(owner):
    client = client_for(owner)

    missing = client.post(BASE, {**pyscicat_block(), "datasetId": "no/such"}, format="json")
    unnamed = client.post(BASE, pyscicat_block(), format="json")

    assert (missing.status_code, missing.json()["message"]) == (404, "dataset: no/such not found")
    assert (unnamed.status_code, unnamed.json()["message"]) == (400, "datasetId is required")
    assert not OrigDatablock.objects.exists()


def test_is_valid_checks_a_top_level_body(owner, dataset):
    client = client_for(owner)

    good = client.post(
        f"{BASE}/isValid", {**pyscicat_block(), "datasetId": dataset.pid}, format="json"
    )
    bad = client.post(
        f"{BASE}/isvalid", {"datasetId": dataset.pid, "dataFileList": []}, format="json"
    )

    assert good.json() == {"valid": True, "errors": []}
    assert (bad.status_code, bad.json()) == (
        200,
        {"valid": False, "errors": ["dataFileList must not be empty"]},
    )
    assert not OrigDatablock.objects.exists()


# --- GET ?filter= ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "seen"),
    [("anonymous", set()), ("outsider", set()), ("member", {"small", "big"}), ("admin", None)],
)
def test_lists_show_only_blocks_of_readable_datasets(request, blocks, persona, seen):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)

    listed = {block["id"] for block in body(client_for(user).get(BASE))}

    expected = set(blocks) if seen is None else seen
    assert listed == {str(blocks[name].pk) for name in expected}
    counted = client_for(user).get(f"{BASE}/count").json()
    assert counted == {"count": len(expected)}


def test_filter_where_fields_and_limits_apply(admin, blocks, dataset):
    client = client_for(admin)

    by_dataset = body(client.get(url(filter={"where": {"datasetId": dataset.pid}})))
    by_size = body(client.get(url(filter={"where": {"size": {"gt": 20}}})))
    by_file = body(client.get(url(filter={"where": {"dataFileList.path": {"like": "_000009"}}})))
    paged = body(client.get(url(filter={"limits": {"order": "size:desc", "skip": 1, "limit": 1}})))
    slim = client.get(
        url(filter={"fields": ["id", "size"], "where": {"_id": str(blocks["big"].pk)}})
    )

    assert {b["id"] for b in by_dataset} == {str(blocks["small"].pk), str(blocks["big"].pk)}
    assert [b["size"] for b in by_size] == [150]
    assert [b["id"] for b in by_file] == [str(blocks["other"].pk)]
    assert [b["size"] for b in paged] == [10]
    assert not slim.streaming
    assert slim.json() == [{"id": str(blocks["big"].pk), "size": 150}]


@pytest.mark.parametrize(
    "query",
    [
        "filter={not json",
        "filter=" + quote('{"where": {"_id": "not-a-uuid"}}'),
        "filter=" + quote('{"where": {"dataset": 1}}'),
        "filter=" + quote('{"where": {"dataFileList.mode": 1}}'),
        "filter=" + quote('{"limits": {"order": "dataFileList.path:asc"}}'),
        "where=" + quote('{"size": {"gt": "big"}}'),
    ],
)
def test_bad_filters_are_400s(admin, blocks, query):
    path = f"{BASE}/count" if query.startswith("where") else BASE

    response = client_for(admin).get(f"{path}?{query}")

    assert (response.status_code, response.json()["statusCode"]) == (400, 400)


# --- fullquery -----------------------------------------------------------------------------------


def test_fullquery_returns_matching_blocks_with_their_files(member, blocks, dataset):
    response = client_for(member).get(
        url("/fullquery", fields={"datasetId": [dataset.pid], "size": {"min": 100}})
    )

    assert response.streaming
    assert [(b["id"], len(b["dataFileList"])) for b in body(response)] == [
        (str(blocks["big"].pk), 3)
    ]
    text = body(client_for(member).get(url("/fullquery", fields={"text": "SCAN_000001"})))
    assert [b["id"] for b in text] == [str(blocks["small"].pk)]


def test_fullquery_user_groups_narrow_but_never_widen(admin, member, blocks):
    groups = {"userGroups": ["p-other"]}

    by_admin = body(client_for(admin).get(url("/fullquery", fields=groups)))
    by_member = body(client_for(member).get(url("/fullquery", fields=groups)))

    assert [b["id"] for b in by_admin] == [str(blocks["other"].pk)]
    assert by_member == []


def test_fullquery_files_gives_one_row_per_file_paged_by_limits(member, blocks, dataset):
    limits = {"skip": 1, "limit": 3, "order": "dataFileList.path:desc"}

    rows = client_for(member).get(url("/fullquery/files", fields={}, limits=limits)).json()

    assert [row["dataFileList"]["path"] for row in rows] == [
        "raw/scan_000003.h5",
        "raw/scan_000002.h5",
        "raw/scan_000001.h5",
    ]
    assert rows[0]["id"] == str(blocks["big"].pk) and rows[0]["datasetId"] == dataset.pid
    assert all(row["datasetExist"] is True for row in rows)
    assert rows[0]["dataFileList"]["size"] == 50


# --- /{id} ---------------------------------------------------------------------------------------


def test_one_block_by_id_is_read_changed_and_deleted(owner, member, outsider, deleter, blocks):
    big = blocks["big"]
    path = f"{BASE}/{big.pk}"

    assert len(body(client_for(member).get(path))["dataFileList"]) == 3
    assert client_for(outsider).get(path).status_code == 403
    assert client_for(member).patch(path, {"size": 1}, format="json").status_code == 403
    assert body(client_for(owner).patch(path, {"size": 1}, format="json"))["size"] == 1
    assert Dataset.objects.get(pk=big.dataset_id).size == 11
    assert client_for(owner).delete(path).status_code == 403
    assert client_for(deleter).delete(path).json()["id"] == str(big.pk)
    assert client_for(member).get(path).status_code == 404
    assert client_for(member).get(f"{BASE}/not-a-uuid").status_code == 404


def test_datablocks_collection_creates_lists_and_counts(owner, member, dataset):
    data = {"datasetId": dataset.pid, "archiveId": "a-1", "version": "1", "packedSize": 9}
    data["dataFileList"] = [{"path": "a.tar", "size": 9}]

    created = client_for(owner).post("/api/v3/Datablocks", data, format="json")

    assert created.status_code == 201
    block_id = body(created)["id"]
    assert [b["archiveId"] for b in body(client_for(member).get("/api/v3/datablocks"))] == ["a-1"]
    assert client_for(member).get("/api/v3/datablocks/count").json() == {"count": 1}
    one = body(client_for(member).get(f"/api/v3/datablocks/{block_id}"))
    assert one["dataFileList"] == [{"path": "a.tar", "size": 9}]
    renamed = client_for(owner).patch(
        f"/api/v3/datablocks/{block_id}", {"archiveId": "a-2"}, format="json"
    )
    assert body(renamed)["archiveId"] == "a-2"
