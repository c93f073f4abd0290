"""Who may read, add, change and delete a dataset's blocks (docs/access-rules.md)."""

from __future__ import annotations

import pytest

from catalogue.access import SYSTEM
from catalogue.models import OrigDatablock
from catalogue.services import origdatablock_add
from tests.factories import make_dataset

from ..clients import client_for
from .helpers import body, files, nested, pyscicat_block

# --- Permissions ---------------------------------------------------------------------------------

READERS = {"owner", "member", "shared", "admin"}


@pytest.mark.parametrize(
    "persona", ["anonymous", "owner", "member", "outsider", "admin", "shared", "deleter"]
)
def test_reading_blocks_follows_the_datasets_read_rule(personas, dataset, persona):
    origdatablock_add(user=SYSTEM, dataset=dataset, files=files(1))
    client = client_for(personas[persona])

    responses = [
        client.get(nested(dataset)),
        client.get(nested(dataset, "origdatablocks/count")),
        client.get(nested(dataset, "datablocks")),
    ]

    expected = 200 if persona in READERS else 403
    assert [r.status_code for r in responses] == [expected] * 3
    missing = client.get("/api/v3/Datasets/nope%2F1/origdatablocks")
    assert (missing.status_code, missing.json()["message"]) == (404, "dataset: nope/1 not found")


def test_anyone_reads_the_blocks_of_a_published_dataset(db):
    dataset = make_dataset(is_published=True)
    origdatablock_add(user=SYSTEM, dataset=dataset, files=files(1))

    assert len(body(client_for().get(nested(dataset)))) == 1


@pytest.mark.parametrize(
    "persona", ["anonymous", "owner", "member", "outsider", "admin", "shared", "deleter"]
)
def test_adding_and_changing_blocks_needs_the_owner_or_an_admin(personas, dataset, persona):
    block = origdatablock_add(user=SYSTEM, dataset=dataset, files=files(1))
    client = client_for(personas[persona])

    added = client.post(nested(dataset), pyscicat_block(1), format="json")
    changed = client.patch(
        nested(dataset, f"origdatablocks/{block.pk}"), {"size": 5}, format="json"
    )

    expected = (201, 200) if persona in {"owner", "admin"} else (403, 403)
    assert (added.status_code, changed.status_code) == expected


@pytest.mark.parametrize("persona", ["anonymous", "owner", "member", "admin", "deleter"])
def test_deleting_blocks_needs_a_delete_group(personas, dataset, persona):
    block = origdatablock_add(user=SYSTEM, dataset=dataset, files=files(1))
    client = client_for(personas[persona])

    one = client.delete(nested(dataset, f"origdatablocks/{block.pk}"))
    every = client.delete(nested(dataset))

    if persona == "deleter":
        assert (one.status_code, one.json()["id"]) == (200, str(block.pk))
        assert (every.status_code, every.json()) == (200, {"count": 0})
    else:
        assert (one.status_code, every.status_code) == (403, 403)
        assert OrigDatablock.objects.filter(pk=block.pk).exists()


def test_writes_to_a_missing_dataset_are_not_found(owner, deleter):
    assert (
        client_for(owner)
        .post("/api/v3/Datasets/nope/origdatablocks", pyscicat_block(), format="json")
        .status_code
        == 404
    )
    assert client_for(deleter).delete("/api/v3/Datasets/nope/origdatablocks").status_code == 404
