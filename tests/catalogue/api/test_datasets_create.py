"""POST /Datasets and POST /Datasets/isValid: v3 bodies, the create tiers, the v3 shape."""

from __future__ import annotations

import pytest

from catalogue.models import Dataset, Proposal
from tests.factories import make_user

from .clients import client_for
from .test_datasets_helpers import (
    BASE,
    derived_body,
    group_settings,  # noqa: F401 (autouse)
    raw_body,
)

pytestmark = pytest.mark.django_db


def test_raw_dataset_is_created_and_answered_in_the_v3_shape(owner):
    response = client_for(owner).post(BASE, raw_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pid"].startswith("fedcat/") or "/" in body["pid"]
    assert body["_id"] == body["pid"]
    assert body["__v"] == 0
    assert body["proposalIds"] == ["20260001"] and body["proposalId"] == "20260001"
    assert body["sampleIds"] == ["sample-7"] and body["sampleId"] == "sample-7"
    assert body["instrumentIds"] == ["tomcat"] and body["instrumentId"] == "tomcat"
    assert body["principalInvestigators"] == ["Ada Lovelace"]
    assert body["principalInvestigator"] == "Ada Lovelace"
    assert "investigator" not in body
    assert body["creationTime"] == "2026-02-01T09:30:00.000Z"
    assert body["sourceFolder"] == "/data/p-owner/run0042"
    assert body["datasetName"] == "p-owner/run0042"
    assert body["scientificMetadata"]["energy"]["unitSI"] == "J"
    assert body["createdBy"] == "olivia"
    assert "id" not in body and "unitIssues" not in body and "history" not in body
    assert Dataset.objects.filter(pid=body["pid"]).exists()


def test_derived_dataset_maps_investigator_to_the_v4_array(owner):
    response = client_for(owner).post(BASE, derived_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["principalInvestigators"] == ["Grace Hopper"]
    assert body["investigator"] == "Grace Hopper"
    assert body["inputDatasets"] == ["fedcat/raw-1"]
    assert body["jobParameters"] == {"binning": 2}


def test_naive_space_separated_time_from_pyscicat_is_read_in_the_server_zone(owner, settings):
    settings.SERVER_TIME_ZONE = "Europe/Zurich"
    body = raw_body(creationTime="2026-01-02 03:04:05.123456")

    response = client_for(owner).post(BASE, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["creationTime"] == "2026-01-02T02:04:05.123Z"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"history": []}, "property history should not exist"),
        ({"colour": "blue"}, "property colour should not exist"),
        ({"createdBy": "mallory"}, "property createdBy should not exist"),
    ],
)
def test_unknown_properties_are_refused_and_nothing_is_written(owner, extra, message):
    response = client_for(owner).post(BASE, raw_body(**extra), format="json")

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert response.json()["error"] == "Bad Request"
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (raw_body(principalInvestigator=None), "principalInvestigator should not be empty"),
        (raw_body(creationLocation=""), "creationLocation should not be empty"),
        (derived_body(inputDatasets=[]), "inputDatasets should not be empty"),
        (derived_body(usedSoftware=None), "usedSoftware should not be empty"),
        (raw_body(type="simulation"), "type must be one of raw, derived"),
        (raw_body(size="big"), "size must be an integer, got 'big'"),
        (raw_body(keywords=["a", 3]), "each value in keywords must be a string"),
        (raw_body(creationTime="yesterday"), "creationTime must be an ISO-8601"),
        (raw_body(proposalId=42), "proposalId must be a string"),
    ],
)
def test_invalid_bodies_are_a_400_with_the_reason(owner, body, message):
    response = client_for(owner).post(BASE, body, format="json")

    assert response.status_code == 400
    assert any(message in text for text in response.json()["message"])
    assert not Dataset.objects.exists()


def test_body_that_is_not_an_object_is_a_400(owner):
    response = client_for(owner).post(BASE, [raw_body()], format="json")

    assert response.status_code == 400
    assert not Dataset.objects.exists()


def test_malformed_json_is_a_400(owner):
    response = client_for(owner).post(BASE, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_anonymous_users_cannot_create(db):
    response = client_for().post(BASE, raw_body(), format="json")

    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"


def test_anonymous_is_refused_before_the_body_is_validated(db):
    response = client_for().post(BASE, {"nonsense": True}, format="json")

    assert response.status_code == 403


def test_create_tier_cannot_create_for_another_group(owner):
    response = client_for(owner).post(BASE, raw_body(ownerGroup="q-other"), format="json")

    assert response.status_code == 403
    assert response.json()["message"] == "Unauthorized to create this dataset"
    assert not Dataset.objects.exists()


def test_create_tier_cannot_choose_a_pid(owner):
    response = client_for(owner).post(BASE, raw_body(pid="fedcat/mine"), format="json")

    assert response.status_code == 403
    assert not Dataset.objects.exists()


def test_with_pid_tier_may_choose_a_pid_and_a_duplicate_is_a_409(db):
    ingestor = make_user("ingrid", "p-owner", "pid-ingestors")
    client = client_for(ingestor)

    first = client.post(BASE, raw_body(pid="20.500.1/abc-1"), format="json")
    second = client.post(BASE, raw_body(pid="20.500.1/abc-1"), format="json")

    assert first.status_code == 201, first.content
    assert first.json()["pid"] == "20.500.1/abc-1"
    assert second.status_code == 409
    assert second.json()["message"] == "A dataset with pid 20.500.1/abc-1 already exists!"
    assert Dataset.objects.count() == 1


def test_privileged_tier_may_create_for_any_group(db):
    ingestor = make_user("ivo", "ingestors")

    response = client_for(ingestor).post(BASE, raw_body(ownerGroup="q-other"), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["ownerGroup"] == "q-other"


def test_creating_with_a_proposal_counts_it(owner):
    Proposal.objects.create(proposal_id="20260001", email="pi@example.org", title="Steel")

    client_for(owner).post(BASE, raw_body(), format="json")

    assert Proposal.objects.get(proposal_id="20260001").number_of_datasets == 1


def test_plural_v4_arrays_are_accepted_too(owner):
    body = raw_body(proposalIds=["p1", "p2"], principalInvestigators=["A", "B"])
    del body["proposalId"], body["principalInvestigator"]

    response = client_for(owner).post(BASE, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["proposalIds"] == ["p1", "p2"]
    assert response.json()["principalInvestigator"] == "A"


def test_is_valid_answers_200_true_for_a_good_body(owner):
    response = client_for(owner).post(f"{BASE}/isValid", raw_body(), format="json")

    assert response.status_code == 200
    assert response.json() == {"valid": True}
    assert not Dataset.objects.exists()


def test_is_valid_lists_the_problems_of_a_bad_body(owner):
    body = raw_body(creationLocation=None, colour="blue")

    response = client_for(owner).post(f"{BASE}/isvalid", body, format="json")

    assert response.status_code == 200
    assert response.json()["valid"] is False
    assert "creationLocation should not be empty" in response.json()["error"]
    assert "property colour should not exist" in response.json()["error"]


def test_is_valid_still_needs_the_right_to_create(outsider, db):
    anonymous = client_for().post(f"{BASE}/isValid", raw_body(), format="json")
    other_group = client_for(outsider).post(f"{BASE}/isValid", raw_body(), format="json")

    assert anonymous.status_code == 403
    assert other_group.status_code == 403
