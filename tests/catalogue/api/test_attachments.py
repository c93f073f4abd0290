"""Datasets/{pid}/attachments through the SciCat v3 API: pyscicat's bodies, limits, permissions."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Attachment
from catalogue.services.attachments import MAX_THUMBNAIL_BYTES, attachment_add
from tests.catalogue.api.clients import client_for
from tests.factories import make_dataset, make_user

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def attachments(dataset, suffix: str = "") -> str:
    return f"/api/v3/Datasets/{quote(dataset.pid, safe='')}/attachments{suffix}"


def pyscicat_attachment(dataset, **overrides) -> dict:
    """pyscicat 0.4.8's Attachment dump: an id of its own, datasetId and the Ownable fields."""
    data = {
        "id": "client-chosen-id",
        "thumbnail": PNG,
        "caption": "Detector image",
        "datasetId": dataset.pid,
        "ownerGroup": "somebody-else",
        "accessGroups": ["x"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def dataset(db):
    return make_dataset(
        pid="20.500.12269/att-1", access_groups=["p-readers"], shared_with=["sam@example.org"]
    )


@pytest.fixture
def preview(dataset):
    return attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG, caption="first")


@pytest.fixture
def personas(owner, member, outsider, admin):
    return {
        "anonymous": None,
        "owner": owner,
        "member": member,
        "outsider": outsider,
        "admin": admin,
        "shared": make_user("sam", "nobody"),
    }


# --- Creating ------------------------------------------------------------------------------------


def test_pyscicat_attachment_is_created_on_the_dataset_of_the_path(owner, dataset):
    response = client_for(owner).post(
        attachments(dataset), pyscicat_attachment(dataset, datasetId="ignored"), format="json"
    )

    assert response.status_code == 201
    created = response.json()
    stored = Attachment.objects.get()
    assert created["id"] == created["_id"] == str(stored.pk) != "client-chosen-id"
    assert (created["datasetId"], stored.dataset_id) == (dataset.pid, dataset.pk)
    assert (created["ownerGroup"], created["accessGroups"]) == ("p-owner", ["p-readers"])
    assert (created["thumbnail"], created["caption"]) == (PNG, "Detector image")
    assert created["createdBy"] == "olivia"


def test_caption_may_be_left_out_and_the_path_is_case_insensitive(owner, dataset):
    data = pyscicat_attachment(dataset)
    del data["caption"]
    path = f"/api/v3/DATASETS/{quote(dataset.pid, safe='')}/Attachments"

    response = client_for(owner).post(path, data, format="json")

    assert (response.status_code, response.json()["caption"]) == (201, "")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thumbnail": "iVBORw0KGgo="}, "thumbnail must be a data URI"),
        ({"thumbnail": 12}, "thumbnail must be a data URI"),
        ({"caption": ["a"]}, "caption must be a string"),
        ({"relationships": []}, "property relationships should not exist"),
        ({"thumbnail": "data:image/png;base64," + "A" * MAX_THUMBNAIL_BYTES}, "too large"),
    ],
)
def test_bad_attachments_are_refused_with_a_message(owner, dataset, change, message):
    response = client_for(owner).post(
        attachments(dataset), pyscicat_attachment(dataset, **change), format="json"
    )

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Attachment.objects.exists()


def test_attaching_to_a_missing_dataset_is_not_found(owner):
    response = client_for(owner).post(
        "/api/v3/Datasets/no%2Fsuch/attachments", {"thumbnail": PNG}, format="json"
    )

    assert (response.status_code, response.json()["message"]) == (404, "dataset: no/such not found")


# --- Reading, changing, deleting -----------------------------------------------------------------


def test_list_count_and_one(member, dataset, preview):
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG, caption="second")
    client = client_for(member)

    listed = client.get(attachments(dataset)).json()
    one = client.get(attachments(dataset, f"/{preview.pk}")).json()

    assert [item["caption"] for item in listed] == ["first", "second"]
    assert client.get(attachments(dataset, "/count")).json() == {"count": 2}
    assert (one["id"], one["datasetId"]) == (str(preview.pk), dataset.pid)


def test_put_changes_the_fields_sent_and_keeps_the_rest(owner, dataset, preview):
    path = attachments(dataset, f"/{preview.pk}")

    response = client_for(owner).put(path, {"caption": "renamed"}, format="json")

    assert response.status_code == 200
    assert (response.json()["caption"], response.json()["thumbnail"]) == ("renamed", PNG)
    patched = client_for(owner).patch(path, {"thumbnail": "not a uri"}, format="json")
    assert patched.status_code == 400
    preview.refresh_from_db()
    assert (preview.caption, preview.thumbnail) == ("renamed", PNG)


def test_delete_one_answers_it_and_delete_all_counts(owner, dataset, preview):
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG)
    client = client_for(owner)

    deleted = client.delete(attachments(dataset, f"/{preview.pk}"))

    assert (deleted.status_code, deleted.json()["id"]) == (200, str(preview.pk))
    assert client.delete(attachments(dataset)).json() == {"count": 1}
    assert not Attachment.objects.exists()


def test_an_attachment_of_another_dataset_is_not_found(owner, dataset):
    other = attachment_add(user=SYSTEM, dataset=make_dataset(), thumbnail=PNG)
    client = client_for(owner)

    assert client.get(attachments(dataset, f"/{other.pk}")).status_code == 404
    assert client.delete(attachments(dataset, f"/{other.pk}")).status_code == 404
    assert client.put(attachments(dataset, "/not-a-uuid"), {}, format="json").status_code == 404
    assert Attachment.objects.filter(pk=other.pk).exists()


# --- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "owner", "member", "outsider", "admin", "shared"])
def test_reading_needs_a_readable_dataset(personas, dataset, preview, persona):
    client = client_for(personas[persona])

    codes = {
        client.get(attachments(dataset)).status_code,
        client.get(attachments(dataset, "/count")).status_code,
        client.get(attachments(dataset, f"/{preview.pk}")).status_code,
    }

    assert codes == ({403} if persona in {"anonymous", "outsider"} else {200})


@pytest.mark.parametrize("persona", ["anonymous", "owner", "member", "outsider", "admin", "shared"])
def test_writing_needs_the_owner_or_an_admin(personas, dataset, preview, persona):
    client = client_for(personas[persona])

    created = client.post(attachments(dataset), {"thumbnail": PNG}, format="json")
    changed = client.put(attachments(dataset, f"/{preview.pk}"), {"caption": "x"}, format="json")
    deleted = client.delete(attachments(dataset, f"/{preview.pk}"))

    allowed = persona in {"owner", "admin"}
    expected = (201, 200, 200) if allowed else (403, 403, 403)
    assert (created.status_code, changed.status_code, deleted.status_code) == expected
    assert Attachment.objects.filter(pk=preview.pk).exists() is not allowed


def test_anyone_reads_the_attachments_of_a_published_dataset(db):
    dataset = make_dataset(is_published=True)
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG)

    assert len(client_for().get(attachments(dataset)).json()) == 1
