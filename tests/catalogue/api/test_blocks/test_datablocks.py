"""Datasets/{pid}/datablocks: archive packages and the dataset's archive counters."""

from __future__ import annotations

from catalogue.models import Datablock, Dataset

from ..clients import client_for
from .helpers import body, nested


def archive(archive_id: str = "tape-1/pkg-1", count: int = 2) -> dict:
    return {
        "archiveId": archive_id,
        "size": 200,
        "packedSize": 150,
        "chkAlg": "sha256",
        "version": "1.0",
        "dataFileList": [{"path": f"pkg{n}.tar", "size": 100} for n in range(count)],
    }


def test_datablocks_are_added_listed_changed_and_counted(owner, dataset):
    client = client_for(owner)

    created = client.post(nested(dataset, "datablocks"), archive(), format="json")
    block_id = body(created)["id"]
    changed = client.patch(
        nested(dataset, f"datablocks/{block_id}"), {"packedSize": 120}, format="json"
    )

    assert created.status_code == 201
    assert {k: body(created)[k] for k in ("archiveId", "packedSize", "version")} == {
        "archiveId": "tape-1/pkg-1",
        "packedSize": 150,
        "version": "1.0",
    }
    assert body(changed)["packedSize"] == 120
    listed = body(client.get(nested(dataset, "datablocks")))
    assert [len(block["dataFileList"]) for block in listed] == [2]
    assert client.get(nested(dataset, "datablocks/count")).json() == {"count": 1}
    stored = Dataset.objects.get(pk=dataset.pk)
    assert (stored.packed_size, stored.number_of_files_archived, stored.number_of_files) == (
        120,
        2,
        0,
    )


def test_a_taken_archive_id_is_a_conflict(owner, dataset):
    client = client_for(owner)
    client.post(nested(dataset, "datablocks"), archive(), format="json")

    again = client.post(nested(dataset, "datablocks"), archive(), format="json")
    top = client.post("/api/v3/datablocks", {**archive(), "datasetId": dataset.pid}, format="json")

    assert (again.status_code, top.status_code) == (409, 409)
    assert Datablock.objects.count() == 1


def test_datablocks_without_archive_id_or_version_are_refused(owner, dataset):
    client = client_for(owner)
    for missing in ("archiveId", "version", "dataFileList"):
        data = {k: v for k, v in archive().items() if k != missing}
        response = client.post(nested(dataset, "datablocks"), data, format="json")
        assert (response.status_code, response.json()["message"]) == (400, f"{missing} is required")
    assert not Datablock.objects.exists()


def test_datablocks_are_deleted_by_delete_groups_only(owner, deleter, dataset):
    block_id = body(
        client_for(owner).post(nested(dataset, "datablocks"), archive(), format="json")
    )["id"]

    assert client_for(owner).delete(nested(dataset, f"datablocks/{block_id}")).status_code == 403
    assert client_for(deleter).delete(nested(dataset, "datablocks")).json() == {"count": 1}
    assert Dataset.objects.get(pk=dataset.pk).packed_size == 0
