import json

import pytest

from catalogue.access import SYSTEM
from catalogue.models import HistoryEntry, Proposal
from catalogue.services.entities import proposal_create
from tests.factories import make_dataset

URL = "/api/v3/Proposals"


def make_proposal(**overrides) -> Proposal:
    data = {
        "proposal_id": "20260001",
        "email": "pi@example.org",
        "title": "Strain in additively manufactured steel",
        "owner_group": "p-owner",
        "access_groups": ["p-readers"],
    }
    return proposal_create(user=SYSTEM, data={**data, **overrides})


def body(**overrides) -> dict:
    data = {
        "proposalId": "20261234",
        "email": "pi@example.org",
        "title": "Grain growth in nickel superalloys",
        "ownerGroup": "p-owner",
        "pi_firstname": "Ada",
        "MeasurementPeriodList": [
            {"instrument": "TOMCAT", "start": "2026-01-01T08:00:00+01:00", "end": "2026-01-03"}
        ],
    }
    return {**data, **overrides}


@pytest.fixture
def corpus(db):
    return {
        "own": make_proposal(proposal_id="own", title="Strain in steel"),
        "foreign": make_proposal(
            proposal_id="foreign", owner_group="x", access_groups=[], title="Thin films"
        ),
        "public": make_proposal(
            proposal_id="public",
            owner_group="x",
            access_groups=[],
            is_published=True,
            title="Magnetic domains",
        ),
    }


def test_admin_creates_a_proposal_and_gets_201_with_its_id(admin, api):
    response = api(admin).post(URL, body(), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["proposalId"] == data["_id"] == "20261234"
    assert data["pi_firstname"] == "Ada"
    assert data["createdBy"] == "ada"
    period = data["MeasurementPeriodList"][0]
    assert (period["start"], period["end"]) == (
        "2026-01-01T07:00:00.000Z",
        "2026-01-03T00:00:00.000Z",
    )
    assert Proposal.objects.get().title == "Grain growth in nickel superalloys"


@pytest.mark.parametrize("who", ["anonymous", "owner", "outsider"])
def test_only_admins_and_proposal_groups_create_proposals(db, who, request, settings, api):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api(user).post(URL, body(), format="json")
    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"
    settings.PROPOSAL_GROUPS = ["p-owner"]
    expected = 201 if who == "owner" else 403
    assert api(user).post(URL, body(), format="json").status_code == expected
    assert Proposal.objects.count() == (1 if who == "owner" else 0)


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"email": "not-an-email"},
        {"color": "red"},
        {"title": ["a list"]},
        {"accessGroups": "p-readers"},
        {"startTime": "yesterday"},
        {"MeasurementPeriodList": [{"instrument": "TOMCAT", "start": "soon", "end": "2026-01-03"}]},
        {"MeasurementPeriodList": [{"start": "2026-01-01", "end": "2026-01-03"}]},
        {"MeasurementPeriodList": "TOMCAT"},
        {"proposalId": None},
    ],
)
def test_bad_proposal_input_is_400_and_writes_nothing(admin, bad, api):
    response = api(admin).post(URL, body(**bad), format="json")
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert not Proposal.objects.exists()


def test_a_body_that_is_not_an_object_is_400(admin, api):
    assert api(admin).post(URL, [body()], format="json").status_code == 400


def test_duplicate_proposal_id_is_409(admin, api):
    assert api(admin).post(URL, body(), format="json").status_code == 201
    response = api(admin).post(URL, body(title="again"), format="json")
    assert response.status_code == 409
    assert Proposal.objects.get().title == "Grain growth in nickel superalloys"


def test_is_valid_answers_200_for_writers_and_403_for_others(admin, outsider, api):
    client = api(admin)
    assert client.post(f"{URL}/isValid", body(), format="json").json() == {"valid": True}
    answer = client.post(f"{URL}/isValid", body(email="nope"), format="json")
    assert (answer.status_code, answer.json()) == (200, {"valid": False})
    assert client.post(f"{URL}/isValid", {"title": "only"}, format="json").json()["valid"]
    assert api(outsider).post(f"{URL}/isValid", body(), format="json").status_code == 403
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    "who, visible",
    [
        ("anonymous", {"public"}),
        ("outsider", {"public"}),
        ("owner", {"own", "public"}),
        ("member", {"own", "public"}),
        ("admin", {"own", "foreign", "public"}),
    ],
)
def test_list_count_and_get_follow_the_read_rules(corpus, request, who, visible, api):
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    assert {p["proposalId"] for p in client.get(URL).json()} == visible
    assert client.get(f"{URL}/count").json() == {"count": len(visible)}
    for pid in corpus:
        response = client.get(f"{URL}/{pid}")
        assert response.status_code == (200 if pid in visible else 403)
        assert client.get(f"{URL}/{pid}/authorization").json() == {"canAccess": pid in visible}


def test_missing_proposal_is_404_and_not_authorized(owner, api):
    response = api(owner).get(f"{URL}/nope")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": "Proposal: nope not found",
        "error": "Not Found",
    }
    assert api(owner).get(f"{URL}/nope/authorization").json() == {"canAccess": False}


def test_access_groups_match_whole_names_only(db, api):
    from tests.factories import make_user

    make_proposal(proposal_id="p", access_groups=["p-readers-2", "xp-readers"])
    assert api(make_user("rita", "p-readers")).get(f"{URL}/count").json() == {"count": 0}


def test_filter_where_order_limit_and_fields(corpus, admin, api):
    flt = {
        "where": {"ownerGroup": "x"},
        "limits": {"limit": 1, "order": "proposalId:desc"},
        "fields": ["proposalId", "title"],
    }
    response = api(admin).get(URL, {"filter": json.dumps(flt)})
    assert response.json() == [{"proposalId": "public", "title": corpus["public"].title}]
    where = {"where": {"accessGroups": {"inq": ["p-readers", "nobody"]}}}
    assert [p["proposalId"] for p in api(admin).get(URL, {"filter": json.dumps(where)}).json()] == [
        "own"
    ]


def test_bad_filter_is_400(admin, api):
    assert api(admin).get(URL, {"filter": "{not json"}).status_code == 400
    unknown = json.dumps({"where": {"colour": "red"}})
    assert api(admin).get(URL, {"filter": unknown}).status_code == 400


def test_paths_are_case_insensitive(corpus, admin, api):
    assert api(admin).get("/api/v3/proposals/COUNT").json() == {"count": 3}
    assert api(admin).get("/api/v3/PROPOSALS/own").json()["proposalId"] == "own"


def test_fullquery_matches_text_and_fields_within_what_the_user_reads(corpus, owner, api):
    client = api(owner)
    found = client.get(f"{URL}/fullquery", {"fields": json.dumps({"text": "STEEL"})}).json()
    assert [p["proposalId"] for p in found] == ["own"]
    fields = json.dumps({"ownerGroup": ["x"]})
    assert [p["proposalId"] for p in client.get(f"{URL}/fullquery", {"fields": fields}).json()] == [
        "public"
    ]
    limits = json.dumps({"limit": 1, "skip": 1, "order": "proposalId:asc"})
    assert [p["proposalId"] for p in client.get(f"{URL}/fullquery", {"limits": limits}).json()] == [
        "public"
    ]


def test_fullfacet_counts_per_value_and_in_all(corpus, admin, api):
    facets = json.dumps(["ownerGroup", "accessGroups"])
    data = api(admin).get(f"{URL}/fullfacet", {"facets": facets}).json()
    assert data == [
        {
            "ownerGroup": [{"_id": "x", "count": 2}, {"_id": "p-owner", "count": 1}],
            "accessGroups": [{"_id": "p-readers", "count": 1}],
            "all": [{"totalSets": 3}],
        }
    ]
    empty = api(admin).get(f"{URL}/fullfacet", {"fields": json.dumps({"text": "zzz"})}).json()
    assert empty == [{"all": []}]


def test_patch_without_proposal_id_updates_and_records_history(corpus, admin, api):
    response = api(admin).patch(f"{URL}/own", {"title": "New title"}, format="json")
    assert response.status_code == 200
    assert response.json()["proposalId"] == "own"
    assert response.json()["title"] == "New title"
    entry = HistoryEntry.objects.get(subsystem="Proposal", operation="update")
    assert entry.after == {"title": "New title"}


def test_patch_ignores_proposal_id_and_server_fields_sent_back(corpus, admin, api):
    record = api(admin).get(f"{URL}/own").json()
    record["abstract"] = "Changed"
    response = api(admin).patch(f"{URL}/own", record, format="json")
    assert response.status_code == 200
    assert Proposal.objects.get(pk="own").abstract == "Changed"


def test_patch_needs_write_rights_and_bad_input_changes_nothing(corpus, owner, admin, api):
    assert api(owner).patch(f"{URL}/own", {"title": "Mine"}, format="json").status_code == 403
    assert api(admin).patch(f"{URL}/own", {"title": ""}, format="json").status_code == 400
    assert api(admin).patch(f"{URL}/own", {"size": 3}, format="json").status_code == 400
    assert api(admin).patch(f"{URL}/nope", {"title": "x"}, format="json").status_code == 404
    assert Proposal.objects.get(pk="own").title == "Strain in steel"


def test_delete_needs_a_delete_group_and_answers_the_deleted_record(corpus, admin, settings, api):
    assert api(admin).delete(f"{URL}/own").status_code == 403
    settings.DELETE_GROUPS = ["admin"]
    response = api(admin).delete(f"{URL}/own")
    assert (response.status_code, response.json()["proposalId"]) == (200, "own")
    assert not Proposal.objects.filter(pk="own").exists()


def test_datasets_of_a_proposal_are_the_visible_ones(corpus, owner, outsider, api):
    mine = make_dataset(proposal_ids=["own"])
    make_dataset(proposal_ids=["own"], owner_group="x")
    make_dataset(proposal_ids=["other"])
    data = api(owner).get(f"{URL}/own/datasets").json()
    assert [d["pid"] for d in data] == [mine.pid]
    assert data[0]["proposalId"] == "own"
    assert api(outsider).get(f"{URL}/own/datasets").json() == []


def test_count_reads_filter_as_a_where_or_as_a_bare_where(corpus, admin, api):
    client = api(admin)
    wrapped = json.dumps({"where": {"ownerGroup": "x"}})
    assert client.get(f"{URL}/count", {"filter": wrapped}).json() == {"count": 2}
    bare = json.dumps({"ownerGroup": "p-owner"})  # upstream's /Proposals/count reads it so
    assert client.get(f"{URL}/count", {"filter": bare}).json() == {"count": 1}
    fields = json.dumps({"isPublished": True})
    assert client.get(f"{URL}/count", {"fields": fields}).json() == {"count": 1}
