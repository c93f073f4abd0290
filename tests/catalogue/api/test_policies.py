import json
import uuid

import pytest

from catalogue.models import HistoryEntry, Policy
from tests.factories import make_dataset

URL = "/api/v3/Policies"


@pytest.fixture
def manager(outsider, settings):
    """A member of POLICY_GROUPS (and nothing else that matters)."""
    settings.POLICY_GROUPS = ["other-group"]
    return outsider


def create(client, **fields):
    body = {"ownerGroup": "p-owner", "manager": ["pi@example.org"], "embargoPeriod": 2, **fields}
    return client.post(URL, body, format="json")


def test_policy_group_member_creates_a_policy(manager, api):
    response = create(api(manager), tapeRedundancy="medium")
    assert response.status_code == 201
    data = response.json()
    assert data["_id"] == data["id"]
    assert (data["ownerGroup"], data["embargoPeriod"], data["tapeRedundancy"]) == (
        "p-owner",
        2,
        "medium",
    )
    assert data["autoArchive"] is True
    assert Policy.objects.get().created_by == "oscar"


@pytest.mark.parametrize("who", ["anonymous", "owner", "member"])
def test_others_may_not_create_or_read_policies(db, request, who, api):
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    assert create(client).status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/count").status_code == 403
    assert not Policy.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"ownerGroup": ""},
        {"embargoPeriod": "three"},
        {"manager": "pi@example.org"},
        {"autoArchive": "yes"},
        {"colour": "red"},
    ],
)
def test_bad_policy_input_is_400_and_writes_nothing(admin, bad, api):
    assert create(api(admin), **bad).status_code == 400
    assert not Policy.objects.exists()


def test_second_policy_for_a_group_is_409(admin, api):
    assert create(api(admin)).status_code == 201
    assert create(api(admin), embargoPeriod=9).status_code == 409
    assert Policy.objects.get().embargo_period == 2


def test_admin_lists_counts_and_filters_policies(admin, api):
    make_dataset(owner_group="auto-group")  # the first dataset of a group makes its policy
    create(api(admin))
    client = api(admin)
    assert {p["ownerGroup"] for p in client.get(URL).json()} == {"auto-group", "p-owner"}
    assert client.get(f"{URL}/count").json() == {"count": 2}
    where = json.dumps({"ownerGroup": "p-owner"})
    assert client.get(f"{URL}/count", {"where": where}).json() == {"count": 1}
    flt = json.dumps({"where": {"manager": "pi@example.org"}, "fields": ["ownerGroup"]})
    assert client.get(URL, {"filter": flt}).json() == [{"ownerGroup": "p-owner"}]


def test_get_patch_one_policy(manager, owner, api):
    pk = create(api(manager)).json()["id"]
    client = api(manager)
    assert client.get(f"{URL}/{pk}").json()["ownerGroup"] == "p-owner"
    response = client.patch(f"{URL}/{pk}", {"embargoPeriod": 0.5}, format="json")
    assert (response.status_code, response.json()["embargoPeriod"]) == (200, 0.5)
    entry = HistoryEntry.objects.get(subsystem="Policy", operation="update")
    assert entry.after == {"embargo_period": 0.5}
    assert api(owner).patch(f"{URL}/{pk}", {"embargoPeriod": 9}, format="json").status_code == 403
    assert client.patch(f"{URL}/{pk}", {"embargoPeriod": "x"}, format="json").status_code == 400
    assert Policy.objects.get().embargo_period == 0.5


def test_unknown_or_malformed_policy_ids_are_404(manager, api):
    assert api(manager).get(f"{URL}/{uuid.uuid4()}").status_code == 404
    assert api(manager).get(f"{URL}/not-a-uuid").status_code == 404


def test_delete_needs_a_delete_group(manager, admin, settings, api):
    pk = create(api(manager)).json()["id"]
    assert api(manager).delete(f"{URL}/{pk}").status_code == 403
    settings.DELETE_GROUPS = ["admin"]
    response = api(admin).delete(f"{URL}/{pk}")
    assert (response.status_code, response.json()["id"]) == (200, pk)
    assert not Policy.objects.exists()


def test_update_where_makes_missing_policies_and_updates_all(manager, api):
    create(api(manager), embargoPeriod=2)
    body = {"ownerGroupList": 'p-owner, "new-group"', "data": {"embargoPeriod": 5}}
    response = api(manager).post(f"{URL}/updateWhere", body, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "successful policy update"})
    periods = dict(Policy.objects.values_list("owner_group", "embargo_period"))
    assert periods == {"p-owner": 5, "new-group": 5}


@pytest.mark.parametrize(
    "bad",
    [
        {"ownerGroupList": "", "data": {"embargoPeriod": 5}},
        {"ownerGroupList": "p-owner"},
        {"ownerGroupList": "p-owner", "data": {"embargoPeriod": "long"}},
        {"ownerGroupList": "p-owner", "data": {"ownerGroup": "other"}},
        {"ownerGroupList": 7, "data": {}},
    ],
)
def test_bad_update_where_is_400_and_writes_nothing(manager, bad, api):
    assert api(manager).post(f"{URL}/updateWhere", bad, format="json").status_code == 400
    assert not Policy.objects.exists()


def test_update_where_needs_policy_rights(owner, api):
    body = {"ownerGroupList": "p-owner", "data": {"embargoPeriod": 5}}
    assert api(owner).post(f"{URL}/updateWhere", body, format="json").status_code == 403
    assert not Policy.objects.exists()


def test_policy_paths_are_case_insensitive(manager, api):
    create(api(manager))
    assert api(manager).get("/api/v3/policies/COUNT").json() == {"count": 1}
