"""Datasets/{pid}/origdatablocks: creating, reading (streamed), changing, deleting."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import DataFile, OrigDatablock
from catalogue.services import origdatablock_add
from tests.factories import make_dataset

from ..clients import client_for
from .helpers import FILE_TIME, body, counters, files, nested, pyscicat_block

# --- Creating ------------------------------------------------------------------------------------


def test_pyscicat_body_creates_a_block_and_grows_the_dataset(owner, dataset):
    response = client_for(owner).post(nested(dataset), pyscicat_block(3), format="json")

    assert response.status_code == 201
    block = body(response)
    assert block["_id"] == block["id"] == str(OrigDatablock.objects.get().pk)
    assert block["datasetId"] == dataset.pid
    assert (block["size"], block["chkAlg"]) == (300, "1")
    assert (block["ownerGroup"], block["accessGroups"]) == ("p-owner", ["p-readers"])
    assert block["isPublished"] is False
    assert block["createdBy"] == "olivia" and block["createdAt"].endswith("Z")
    assert block["dataFileList"][0] == {"path": "f0.tif", "size": 100, "perm": "-rw-r--r--"}
    assert counters(dataset) == (300, 3)


def test_naive_space_separated_file_times_are_accepted(owner, dataset):
    data = {"size": 1, "dataFileList": [{"path": "a.h5", "size": 1, "time": FILE_TIME}]}

    response = client_for(owner).post(nested(dataset), data, format="json")

    assert response.status_code == 201
    assert body(response)["dataFileList"][0]["time"] == "2026-01-15T10:00:00.123Z"


def test_encoded_pids_and_any_case_of_the_path_reach_the_dataset(owner, db):
    dataset = make_dataset(pid="20.500.12269/4f8c-a1", owner_group="p-owner")
    path = f"/api/v3/datasets/{quote(dataset.pid, safe='')}/OrigDatablocks"

    response = client_for(owner).post(path, pyscicat_block(1), format="json")

    assert response.status_code == 201
    assert body(response)["datasetId"] == "20.500.12269/4f8c-a1"
    listed = client_for(owner).get(f"/api/v3/DATASETS/{quote(dataset.pid, safe='')}/origdatablocks")
    assert [block["datasetId"] for block in body(listed)] == [dataset.pid]


BAD_BODIES = {
    "unknown property": {**pyscicat_block(), "ownerGroup": "p-owner"},
    "unknown file field": {"size": 1, "dataFileList": [{"path": "a", "size": 1, "mode": 7}]},
    "empty file list": {"size": 0, "dataFileList": []},
    "missing file list": {"size": 0},
    "file list not a list": {"size": 1, "dataFileList": {"path": "a", "size": 1}},
    "file without size": {"dataFileList": [{"path": "a"}]},
    "negative size": {"size": -1, "dataFileList": [{"path": "a", "size": 1}]},
    "size as text": {"size": "12", "dataFileList": [{"path": "a", "size": 1}]},
    "bad time": {"dataFileList": [{"path": "a", "size": 1, "time": "yesterday"}]},
    "chkAlg a list": {"chkAlg": ["md5"], "dataFileList": [{"path": "a", "size": 1}]},
    "an array body": [{"path": "a", "size": 1}],
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_bad_bodies_are_refused_and_nothing_is_written(owner, dataset, name):
    response = client_for(owner).post(nested(dataset), BAD_BODIES[name], format="json")

    assert response.status_code == 400
    error = response.json()
    assert (error["statusCode"], error["error"]) == (400, "Bad Request")
    assert error["message"]
    assert not OrigDatablock.objects.exists() and not DataFile.objects.exists()
    assert counters(dataset) == (0, 0)


def test_malformed_json_is_a_400(owner, dataset):
    response = client_for(owner).post(
        nested(dataset), data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_is_valid_reports_problems_and_writes_nothing(owner, dataset):
    client = client_for(owner)

    good = client.post(nested(dataset, "origdatablocks/isValid"), pyscicat_block(), format="json")
    bad = client.post(
        nested(dataset, "origdatablocks/isValid"),
        {"extra": 1, "dataFileList": [{"path": "a"}, {"size": 1}]},
        format="json",
    )

    assert (good.status_code, good.json()) == (200, {"valid": True, "errors": []})
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert bad.json()["errors"] == [
        "property extra should not exist",
        "dataFileList[0].size is required",
        "dataFileList[1].path must be a non-empty string",
    ]
    assert not OrigDatablock.objects.exists()


# --- Reading -------------------------------------------------------------------------------------


def test_list_is_streamed_with_each_blocks_files(owner, member, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(3))
    origdatablock_add(user=owner, dataset=dataset, files=files(2, start=3), chk_alg="md5")

    response = client_for(member).get(nested(dataset))

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/json"
    blocks = body(response)
    assert [len(block["dataFileList"]) for block in blocks] == [3, 2]
    assert blocks[1]["chkAlg"] == "md5"
    assert blocks[1]["dataFileList"][0] == {
        "path": "raw/scan_000003.h5",
        "size": 100,
        "time": "2026-01-15T10:00:00.123Z",
        "uid": "1000",
    }
    count = client_for(member).get(nested(dataset, "origdatablocks/count"))
    assert count.json() == {"count": 2}


def test_empty_dataset_lists_no_blocks(owner, dataset):
    assert body(client_for(owner).get(nested(dataset))) == []


def test_50000_files_stream_out_page_by_page_as_one_json_array(owner, dataset):
    for start in (0, 25_000):
        origdatablock_add(user=owner, dataset=dataset, files=files(25_000, start=start, size=2))

    response = client_for(owner).get(nested(dataset))

    assert response.streaming
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first_page:
        head = [next(stream) for _ in range(3)]  # "[", the first block's head, its first page
    with CaptureQueriesContext(connection) as the_rest:
        chunks = head + list(stream)
    # Lazy: the first page was read alone, the others only as the response was consumed.
    assert len(first_page) <= 2 < len(the_rest)
    assert max(len(chunk) for chunk in chunks) < 1_000_000  # ~4.5 MB in all
    blocks = json.loads(b"".join(chunks))
    paths = [file["path"] for block in blocks for file in block["dataFileList"]]
    assert len(paths) == 50_000 == len(set(paths))
    assert paths[-1] == "raw/scan_049999.h5"


@pytest.mark.slow
def test_200000_files_stream_out_as_one_json_array(owner, dataset):
    for start in range(0, 200_000, 100_000):
        origdatablock_add(user=owner, dataset=dataset, files=files(100_000, start=start))

    response = client_for(owner).get(nested(dataset))

    assert response.streaming
    blocks = json.loads(b"".join(response.streaming_content))
    assert [len(block["dataFileList"]) for block in blocks] == [100_000, 100_000]


# --- Changing and deleting -----------------------------------------------------------------------


def test_patching_a_blocks_files_moves_the_datasets_counters(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(3, size=10))
    url = nested(dataset, f"origdatablocks/{block.pk}")

    response = client_for(owner).patch(
        url, {"dataFileList": [{"path": "x", "size": 7}]}, format="json"
    )

    assert response.status_code == 200
    assert (body(response)["size"], len(body(response)["dataFileList"])) == (7, 1)
    assert counters(dataset) == (7, 1)
    resized = client_for(owner).patch(url, {"size": 70, "chkAlg": "sha1"}, format="json")
    assert (body(resized)["size"], body(resized)["chkAlg"]) == (70, "sha1")
    assert counters(dataset) == (70, 1)


def test_patch_accepts_merge_patch_json(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(1))

    response = client_for(owner).patch(
        nested(dataset, f"origdatablocks/{block.pk}"),
        data=json.dumps({"size": 3}),
        content_type="application/merge-patch+json",
    )

    assert (response.status_code, body(response)["size"]) == (200, 3)


def test_bad_patches_change_nothing(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(2, size=10))
    url = nested(dataset, f"origdatablocks/{block.pk}")
    client = client_for(owner)

    for change in ({"dataFileList": []}, {"datasetId": "other"}, {"size": -3}, {"archiveId": "a"}):
        assert client.patch(url, change, format="json").status_code == 400
    assert counters(dataset) == (20, 2)
    assert DataFile.objects.filter(origdatablock=block).count() == 2


def test_a_block_of_another_dataset_or_no_uuid_is_not_found(owner, dataset):
    other = make_dataset()
    block = origdatablock_add(user=owner, dataset=other, files=files(1))
    client = client_for(owner)

    assert client.get(nested(dataset, f"origdatablocks/{block.pk}")).status_code == 404
    assert (
        client.patch(nested(dataset, "origdatablocks/not-a-uuid"), {}, format="json").status_code
        == 404
    )


def test_deleting_blocks_shrinks_the_dataset(deleter, owner, dataset):
    first = origdatablock_add(user=owner, dataset=dataset, files=files(2, size=10))
    origdatablock_add(user=owner, dataset=dataset, files=files(3, size=10, start=2))
    client = client_for(deleter)

    client.delete(nested(dataset, f"origdatablocks/{first.pk}"))
    assert counters(dataset) == (30, 3)
    assert client.delete(nested(dataset)).json() == {"count": 1}
    assert counters(dataset) == (0, 0)
    assert not DataFile.objects.exists()
