"""PATCH, PUT and DELETE /Datasets/{pid}, datasetlifecycle, appendToArrayField, thumbnail."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from django.utils.http import http_date

from catalogue.access import SYSTEM
from catalogue.models import Dataset, HistoryEntry
from catalogue.services import attachment_add
from tests.factories import make_dataset, make_user

from .clients import client_for
from .test_datasets_helpers import (
    group_settings,  # noqa: F401 (autouse)
    item_url,
    with_params,
)

pytestmark = pytest.mark.django_db
PNG = "data:image/png;base64,iVBORw0KGgo="


@pytest.fixture
def dataset(db):
    return make_dataset(
        pid="fedcat/run-1",
        access_groups=["p-readers"],
        keywords=["a"],
        description="before",
        scientific_metadata={"energy": {"value": 12, "unit": "keV"}, "mode": "fast"},
        embargo_end=None,
    )


def _patch(user, pid, body, **headers):
    return client_for(user).patch(item_url(pid), body, format="json", **headers)


def test_patch_replaces_top_level_fields_and_answers_the_dataset(owner, dataset):
    response = _patch(owner, dataset.pid, {"scientificMetadata": {"mode": "slow"}})

    assert response.status_code == 200, response.content
    assert response.json()["scientificMetadata"] == {"mode": "slow"}
    assert response.json()["description"] == "before"
    dataset.refresh_from_db()
    assert dataset.scientific_metadata == {"mode": "slow"}


def test_pyscicat_patch_with_type_pid_and_is_published_is_accepted(owner, dataset):
    body = {
        "pid": dataset.pid,
        "type": "derived",
        "version": "3",
        "isPublished": False,
        "ownerGroup": "p-owner",
        "description": "after",
        "principalInvestigator": "Ada",
    }

    response = _patch(owner, dataset.pid, body)

    assert response.status_code == 200, response.content
    assert response.json()["type"] == "raw"
    assert response.json()["description"] == "after"
    assert response.json()["principalInvestigators"] == ["Ada"]


def test_patch_as_merge_patch_json(owner, dataset):
    response = client_for(owner).patch(
        item_url(dataset.pid),
        json.dumps({"description": "merged"}),
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["description"] == "merged"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"colour": "blue"}, "property colour should not exist"),
        ({"history": []}, "property history should not exist"),
        ({"size": "big"}, "size must be an integer"),
        ({"keywords": "a"}, "keywords must be a list"),
    ],
)
def test_bad_patch_is_a_400_and_nothing_changes(owner, dataset, body, message):
    response = _patch(owner, dataset.pid, {"description": "after", **body})

    assert response.status_code == 400
    assert any(message in text for text in response.json()["message"])
    dataset.refresh_from_db()
    assert dataset.description == "before"


def test_patch_records_history_shown_by_get(owner, dataset):
    _patch(owner, dataset.pid, {"description": "after"})

    history = client_for(owner).get(item_url(dataset.pid)).json()["history"]

    assert history[0]["description"] == {"currentValue": "after", "previousValue": "before"}
    assert history[0]["updatedBy"] == "olivia"


def test_if_unmodified_since_before_the_last_change_is_a_412(owner, dataset):
    an_hour_ago = http_date(timezone.now().timestamp() - 3600)

    response = _patch(
        owner, dataset.pid, {"description": "late"}, HTTP_IF_UNMODIFIED_SINCE=an_hour_ago
    )

    assert response.status_code == 412
    assert response.json()["error"] == "Precondition Failed"
    dataset.refresh_from_db()
    assert dataset.description == "before"


def test_if_unmodified_since_after_the_last_change_lets_the_patch_through(owner, dataset):
    later = http_date(timezone.now().timestamp() + 60)

    response = _patch(owner, dataset.pid, {"description": "ok"}, HTTP_IF_UNMODIFIED_SINCE=later)

    assert response.status_code == 200


def test_if_unmodified_since_accepts_iso_dates(owner, dataset):
    response = _patch(
        owner,
        dataset.pid,
        {"description": "late"},
        HTTP_IF_UNMODIFIED_SINCE="2020-01-01T00:00:00Z",
    )

    assert response.status_code == 412


@pytest.mark.parametrize(
    ("persona", "status"), [("member", 403), ("outsider", 403), ("anonymous", 403)]
)
def test_only_owners_and_admins_may_patch(request, dataset, persona, status):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)

    response = _patch(user, dataset.pid, {"description": "hacked"})

    assert response.status_code == status
    dataset.refresh_from_db()
    assert dataset.description == "before"


def test_patch_of_a_missing_dataset_is_a_404(owner, db):
    assert _patch(owner, "fedcat/none", {"description": "x"}).status_code == 404


def test_put_replaces_the_record_but_keeps_pid_and_creation(owner, dataset):
    body = {
        "type": "raw",
        "ownerGroup": "p-owner",
        "owner": "New Owner",
        "contactEmail": "new@example.org",
        "sourceFolder": "/data/new/place",
        "creationTime": "2026-05-01T00:00:00Z",
        "principalInvestigator": "Ada",
        "creationLocation": "/PSI",
    }

    response = client_for(owner).put(item_url(dataset.pid), body, format="json")

    assert response.status_code == 200, response.content
    doc = response.json()
    assert doc["pid"] == dataset.pid and doc["createdBy"] == dataset.created_by
    assert doc["owner"] == "New Owner"
    assert doc["description"] == "" and doc["keywords"] == [] and doc["accessGroups"] == []
    assert doc["scientificMetadata"] == {}
    assert doc["datasetName"] == "new/place"
    assert doc["datasetlifecycle"] == dataset.datasetlifecycle


def test_put_without_the_required_fields_is_a_400(owner, dataset):
    response = client_for(owner).put(item_url(dataset.pid), {"owner": "x"}, format="json")

    assert response.status_code == 400
    assert "contactEmail should not be empty" in response.json()["message"]
    dataset.refresh_from_db()
    assert dataset.description == "before"


def test_delete_needs_a_delete_group_and_answers_the_deleted_dataset(owner, admin, dataset):
    deleter = make_user("dora", "deleters")

    refused_owner = client_for(owner).delete(item_url(dataset.pid))
    refused_admin = client_for(admin).delete(item_url(dataset.pid))
    deleted = client_for(deleter).delete(item_url(dataset.pid))

    assert refused_owner.status_code == 403 and refused_admin.status_code == 403
    assert deleted.status_code == 200, deleted.content
    assert deleted.json()["pid"] == dataset.pid
    assert deleted.json()["creationTime"] == "2026-01-15T10:00:00.000Z"
    assert not Dataset.objects.filter(pid=dataset.pid).exists()
    assert HistoryEntry.objects.filter(document_id=dataset.pid, operation="delete").exists()


def test_delete_of_a_missing_dataset_is_a_404(db):
    deleter = make_user("dora", "deleters")

    assert client_for(deleter).delete(item_url("fedcat/none")).status_code == 404


def test_lifecycle_get_and_merging_patch(owner, dataset):
    client = client_for(owner)
    url = item_url(dataset.pid, "/datasetlifecycle")

    patched = client.patch(
        url, {"archiveStatusMessage": "archived", "publishedOn": "2026-01-01"}, format="json"
    )
    got = client.get(url)

    assert patched.status_code == 200, patched.content
    assert patched.json()["archiveStatusMessage"] == "archived"
    assert patched.json()["publishedOn"] == "2026-01-01T00:00:00.000Z"
    assert patched.json()["archivable"] is True  # kept from before
    assert got.json() == patched.json()


def test_lifecycle_null_resets_a_property_to_its_default(owner, dataset):
    url = item_url(dataset.pid, "/datasetlifecycle")
    client_for(owner).patch(url, {"archivable": False, "exportedTo": "tape"}, format="json")

    response = client_for(owner).patch(url, {"archivable": None, "exportedTo": None}, format="json")

    assert response.json()["archivable"] is True
    assert "exportedTo" not in response.json()


def test_lifecycle_patch_may_be_done_by_a_lifecycle_manager(dataset):
    manager = make_user("archie", "archivemanager")

    response = client_for(manager).patch(
        item_url(dataset.pid, "/DatasetLifecycle"), {"retrievable": True}, format="json"
    )

    assert response.status_code == 200, response.content
    dataset.refresh_from_db()
    assert dataset.datasetlifecycle["retrievable"] is True


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 400), ({"archivable": "yes"}, 400), ({"colour": "blue"}, 400), ({"colour": None}, 400)],
)
def test_bad_lifecycle_patch_is_a_400(owner, dataset, body, status):
    url = item_url(dataset.pid, "/datasetlifecycle")

    response = client_for(owner).patch(url, body, format="json")

    assert response.status_code == status
    dataset.refresh_from_db()
    assert dataset.datasetlifecycle["archivable"] is True


def test_lifecycle_patch_by_a_reader_is_a_403(member, dataset):
    url = item_url(dataset.pid, "/datasetlifecycle")

    assert client_for(member).patch(url, {"archivable": False}, format="json").status_code == 403


def test_append_to_array_field_adds_each_value_once(owner, dataset):
    url = with_params(
        item_url(dataset.pid, "/appendToArrayField"), fieldName="keywords", data=["a", "b", "b"]
    )

    response = client_for(owner).post(url)

    assert response.status_code == 201, response.content
    assert response.json()["keywords"] == ["a", "b"]
    keyword_list = client_for(owner).get(
        with_params("/api/v3/Datasets/count", filter={"where": {"keywords": "b"}})
    )
    assert keyword_list.json() == {"count": 1}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fieldName": "keywords", "data": "not json"}, "Invalid JSON in data"),
        ({"fieldName": "keywords", "data": {"a": 1}}, "data must be a JSON array"),
        ({"fieldName": "description", "data": ["x"]}, "fieldName must name an array field"),
        ({"fieldName": "keywords", "data": [1]}, "each value in keywords must be a string"),
    ],
)
def test_bad_append_is_a_400(owner, dataset, params, message):
    url = with_params(item_url(dataset.pid, "/appendToArrayField"), **params)

    response = client_for(owner).post(url)

    assert response.status_code == 400
    assert message in str(response.json()["message"])
    dataset.refresh_from_db()
    assert dataset.keywords == ["a"]


def test_append_needs_the_right_to_update(member, dataset):
    url = with_params(
        item_url(dataset.pid, "/appendToArrayField"), fieldName="keywords", data=["x"]
    )

    assert client_for(member).post(url).status_code == 403


def test_thumbnail_is_the_first_attachment_or_empty(member, dataset):
    empty = client_for(member).get(item_url(dataset.pid, "/thumbnail"))
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG, caption="first")
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=PNG + "AA", caption="second")

    found = client_for(member).get(item_url(dataset.pid, "/thumbnail"))

    assert empty.status_code == 200 and empty.json() == {}
    assert found.json() == {"thumbnail": PNG}


def test_thumbnail_of_an_unreadable_dataset_is_a_403(outsider, dataset):
    assert client_for(outsider).get(item_url(dataset.pid, "/thumbnail")).status_code == 403
