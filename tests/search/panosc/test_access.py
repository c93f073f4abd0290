"""Anonymous clients see public data only; a Bearer token shows what its owner may read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.services import proposal_create, token_issue

from .conftest import LOKI, document_pid, encoded

pytestmark = pytest.mark.django_db

SECRET_WHERE = {"and": [{"name": "secret_level"}, {"value": {"gte": 1}}]}
SECRET_INCLUDE = [{"relation": "parameters", "scope": {"where": SECRET_WHERE}}]


@pytest.fixture
def secrets(add_dataset):
    """A private, an embargoed and an embargo-ended dataset of p-owner, all on LoKI and in
    document1, each with a secret_level parameter."""
    now = timezone.now()
    made = {}
    for kind, embargo_end in (
        ("private", None),
        ("embargoed", now + timedelta(days=30)),
        ("ended", now - timedelta(days=1)),
    ):
        made[kind] = add_dataset(
            dataset_name=f"Secret {kind} dataset",
            owner_group="p-owner",
            is_published=False,
            embargo_end=embargo_end.isoformat() if embargo_end else None,
            instrument_ids=[LOKI],
            proposal_ids=[document_pid("document1")],
            scientific_metadata={"secret_level": 3},
        )
    return made


@pytest.fixture
def owner_token(owner):
    raw, _ = token_issue(user=owner, ttl_seconds=3600)
    return raw


def visible(api, token=None):
    """Every way a client can reach the secret datasets, as sets of pids."""
    docs = api.json("Documents", {"include": ["datasets"]}, token=token)
    loki = api.json(f"Instruments/{encoded(LOKI)}", {"include": ["datasets"]}, token=token)
    return {
        "list": {
            d["pid"] for d in api.json("Datasets", {"where": {"text": "secret"}}, token=token)
        },
        "query": {d["pid"] for d in api.json("Datasets", {"query": "secret"}, token=token)},
        "parameter": {
            d["pid"] for d in api.json("Datasets", {"include": SECRET_INCLUDE}, token=token)
        },
        "documents": {x["pid"] for d in docs for x in d["datasets"] if "Secret" in x["title"]},
        "instrument": {x["pid"] for x in loki["datasets"] if "Secret" in x["title"]},
    }


def test_anonymous_clients_never_see_private_or_embargoed_datasets(secrets, api):
    found = visible(api)

    assert all(pids == {secrets["ended"].pid} for pids in found.values()), found
    assert api.json("Datasets/count", where={"text": "secret"}) == {"count": 1}


def test_a_hidden_dataset_is_not_found_by_pid(secrets, api):
    for kind in ("private", "embargoed"):
        pid = encoded(secrets[kind].pid)
        assert api.get(f"Datasets/{pid}").status_code == 404
        assert api.get(f"Datasets/{pid}/files").status_code == 404


def test_a_token_shows_its_owner_every_dataset_they_may_read(secrets, api, owner_token):
    found = visible(api, owner_token)

    assert all(pids == {d.pid for d in secrets.values()} for pids in found.values()), found
    pid = encoded(secrets["private"].pid)
    assert api.json(f"Datasets/{pid}", token=owner_token)["isPublic"] is False


def test_an_invalid_token_is_anonymous(secrets, api):
    found = visible(api, "fc_not-a-token")

    assert found["list"] == {secrets["ended"].pid}


def test_an_embargo_ended_dataset_is_public(secrets, api):
    found = api.json(f"Datasets/{encoded(secrets['ended'].pid)}")

    assert found["isPublic"] is True


def test_a_private_proposal_is_hidden_from_anonymous_clients(reference, api, owner_token):
    proposal_create(
        user=SYSTEM,
        data={
            "proposal_id": "p-private",
            "title": "Private",
            "email": "a@example.org",
            "owner_group": "p-owner",
        },
    )

    assert "p-private" not in {d["pid"] for d in api.json("Documents")}
    assert api.get("Documents/p-private").status_code == 404
    assert api.json("Documents/p-private", token=owner_token)["isPublic"] is False
