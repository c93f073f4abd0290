"""The /users and /useridentities endpoints: own record, admins see all, tokens for ingestors."""

from __future__ import annotations

import json

import pytest

from catalogue.models import ApiToken
from tests.factories import make_user

from .clients import client_for

UNAUTHENTICATED = {"statusCode": 401, "message": "Unauthenticated", "error": "Unauthorized"}
NOT_YOURS = {"statusCode": 403, "message": "Access Forbidden or Unauthorized", "error": "Forbidden"}


def lifetime(token: ApiToken) -> int:
    return round((token.expires_at - token.created_at).total_seconds())


# --- Own record and identity ----------------------------------------------------------------------


def test_my_self_is_the_users_record(owner):
    response = client_for(owner).get("/api/v3/users/my/self")

    assert response.status_code == 200
    assert response.json() == {
        "id": str(owner.pk),
        "username": "olivia",
        "email": "olivia@example.org",
        "emailVerified": False,
        "realm": "local",
        "authStrategy": "local",
    }


def test_my_identity_carries_the_groups_the_access_rules_use(db, settings):
    settings.ACCESS_GROUPS_STATIC_VALUES = ["everyone"]
    user = make_user("gina", "p-owner", "p-readers", first_name="Gina", last_name="Gauss")

    response = client_for(user).get("/api/v3/Users/My/Identity")

    assert response.status_code == 200
    assert response.json() == {
        "userId": str(user.pk),
        "provider": "local",
        "authStrategy": "local",
        "externalId": "",
        "profile": {
            "id": str(user.pk),
            "username": "gina",
            "email": "gina@example.org",
            "displayName": "Gina Gauss",
            "accessGroups": ["everyone", "p-owner", "p-readers"],
            "emails": [{"value": "gina@example.org"}],
        },
    }


def test_an_account_without_a_password_came_from_an_external_login(db):
    user = make_user("otto")
    user.set_unusable_password()
    user.save()

    body = client_for(user).get("/api/v3/users/my/self").json()

    assert body["authStrategy"] == "oidc"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/users/my/self",
        "/api/v3/users/my/identity",
        "/api/v3/users",
        "/api/v3/users/1",
        "/api/v3/users/1/userIdentity",
        "/api/v3/users/1/authorization/dataset/create",
        '/api/v3/useridentities/findOne?filter={"where":{"userId":"1"}}',
    ],
)
def test_anonymous_callers_get_401_unauthenticated(db, path):
    response = client_for().get(path)

    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# --- Other users ----------------------------------------------------------------------------------


def test_a_user_reads_their_own_record_by_id(owner):
    response = client_for(owner).get(f"/api/v3/users/{owner.pk}")

    assert response.status_code == 200
    assert response.json()["username"] == "olivia"


@pytest.mark.parametrize("suffix", ["", "/userIdentity", "/userIdentities"])
def test_a_user_cannot_read_another_users_record(owner, member, suffix):
    response = client_for(owner).get(f"/api/v3/users/{member.pk}{suffix}")

    assert response.status_code == 403
    assert response.json() == NOT_YOURS


def test_a_user_gets_403_even_for_ids_that_do_not_exist(owner):
    assert client_for(owner).get("/api/v3/users/99999").status_code == 403


def test_an_admin_reads_any_users_record_and_identity(admin, member):
    api = client_for(admin)

    assert api.get(f"/api/v3/users/{member.pk}").json()["username"] == "mike"
    identity = api.get(f"/api/v3/users/{member.pk}/userIdentity").json()
    assert identity["profile"]["accessGroups"] == ["p-readers"]


@pytest.mark.parametrize("user_id", ["99999", "not-a-number"])
def test_an_admin_gets_404_for_a_missing_user(admin, user_id):
    response = client_for(admin).get(f"/api/v3/users/{user_id}")

    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


def test_the_user_list_is_everyone_for_admins_and_yourself_for_others(admin, owner, member):
    everyone = client_for(admin).get("/api/v3/users").json()
    mine = client_for(owner).get("/api/v3/Users").json()

    assert [user["username"] for user in everyone] == ["ada", "olivia", "mike"]
    assert [user["username"] for user in mine] == ["olivia"]


def test_the_user_list_honours_limits(admin, owner, member):
    response = client_for(admin).get(
        "/api/v3/users", {"filter": json.dumps({"limits": {"skip": 1, "limit": 1}})}
    )

    assert [user["username"] for user in response.json()] == ["olivia"]


# --- May this user create datasets? -------------------------------------------------------------


def test_a_user_in_a_create_group_may_create_datasets(owner):
    response = client_for(owner).get(f"/api/v3/users/{owner.pk}/authorization/dataset/create")

    assert response.status_code == 200
    assert response.json() == {"authorization": True}


def test_a_user_outside_the_create_groups_may_not(db, settings):
    settings.CREATE_DATASET_GROUPS = ["group1"]
    user4 = make_user("user4", "group4")

    response = client_for(user4).get(f"/api/v3/users/{user4.pk}/authorization/dataset/create")

    assert response.json() == {"authorization": False}


def test_a_user_in_no_group_has_nowhere_to_create_datasets(db):
    loner = make_user("lonely")

    response = client_for(loner).get(f"/api/v3/users/{loner.pk}/authorization/dataset/create")

    assert response.json() == {"authorization": False}


def test_an_admin_asks_about_another_user_and_a_user_may_not(db, admin, owner, settings):
    settings.CREATE_DATASET_GROUPS = ["group1"]
    user4 = make_user("user4", "group4")
    path = f"/api/v3/users/{user4.pk}/authorization/dataset/create"

    assert client_for(admin).get(path).json() == {"authorization": False}
    assert client_for(owner).get(path).status_code == 403


def test_privileged_creators_may_create_datasets_whatever_their_groups(db, settings):
    settings.CREATE_DATASET_GROUPS = []
    settings.CREATE_DATASET_PRIVILEGED_GROUPS = ["ingestor"]
    ingestor = make_user("ingo", "ingestor")

    response = client_for(ingestor).get(f"/api/v3/users/{ingestor.pk}/authorization/dataset/create")

    assert response.json() == {"authorization": True}


# --- useridentities/findOne -----------------------------------------------------------------------


def find_one(api, where, *, header: bool = False):
    raw = json.dumps({"where": where})
    if header:
        return api.get("/api/v3/useridentities/findOne", HTTP_FILTER=raw)
    return api.get("/api/v3/useridentities/findOne", {"filter": raw})


def test_a_user_finds_their_own_identity_by_id_or_email(owner):
    api = client_for(owner)

    by_id = find_one(api, {"userId": str(owner.pk)})
    by_email = find_one(api, {"profile.email": "OLIVIA@example.org"}, header=True)

    assert by_id.status_code == by_email.status_code == 200
    assert by_id.json() == by_email.json()
    assert by_id.json()["profile"]["username"] == "olivia"


def test_a_user_cannot_find_another_users_identity(owner, member):
    api = client_for(owner)

    by_id = find_one(api, {"userId": str(member.pk)})
    by_email = find_one(api, {"profile.email": "mike@example.org"})

    assert by_id.status_code == 403
    assert by_email.status_code == 404


def test_an_admin_finds_anyones_identity(admin, member):
    response = find_one(client_for(admin), {"profile.username": "mike"})

    assert response.status_code == 200
    assert response.json()["userId"] == str(member.pk)


def test_an_admin_gets_404_when_no_identity_matches(admin):
    response = find_one(client_for(admin), {"profile.email": "nobody@example.org"})

    assert response.status_code == 404


def test_the_filter_may_be_just_the_where_clause(admin, member):
    response = client_for(admin).get(
        "/api/v3/useridentities/findOne", {"filter": json.dumps({"profile.username": "mike"})}
    )

    assert response.json()["profile"]["username"] == "mike"


def test_without_a_filter_a_user_finds_themselves(member):
    response = client_for(member).get("/api/v3/UserIdentities/findOne")

    assert response.json()["profile"]["username"] == "mike"


@pytest.mark.parametrize(
    "raw",
    [
        '{"where": ',
        '{"where": {"profile.thumbnailPhoto": "x"}}',
        '{"where": {"userId": {"gt": 1}}}',
        "[1]",
    ],
    ids=["malformed", "unknown key", "operator", "not an object"],
)
def test_a_bad_identity_filter_is_400(admin, raw):
    response = client_for(admin).get("/api/v3/useridentities/findOne", {"filter": raw})

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


# --- Tokens: POST users/jwt and users/{id}/jwt ----------------------------------------------------


def test_a_user_gets_a_fresh_token_that_works(owner, settings):
    settings.API_TOKEN_TTL_SECONDS = 600

    response = client_for(owner).post("/api/v3/users/jwt")

    assert response.status_code == 201
    fresh = response.json()["jwt"]
    assert client_for().get("/api/v3/users/my/self", {"access_token": fresh}).status_code == 200
    assert lifetime(ApiToken.objects.get(name="users/jwt")) == 600


def test_anonymous_callers_get_no_token(db):
    response = client_for().post("/api/v3/users/jwt")

    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_an_admin_issues_a_long_lived_ingestor_token_that_authenticates(admin, db, settings):
    settings.API_TOKEN_MAX_TTL_SECONDS = 5 * 365 * 86400
    ingestor = make_user("ingestor", "p-owner")

    response = client_for(admin).post(f"/api/v3/users/{ingestor.pk}/jwt")

    assert response.status_code == 201
    raw = response.json()["jwt"]
    token = ApiToken.objects.get(user=ingestor)
    assert lifetime(token) == 365 * 86400
    me = client_for().get("/api/v3/users/my/self", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.json()["username"] == "ingestor"


@pytest.mark.parametrize(
    "expires_in, seconds",
    [(7200, 7200), ("7200", 7200), ("30d", 30 * 86400), ("2 weeks", 14 * 86400)],
)
def test_an_admin_chooses_the_ingestor_tokens_lifetime(admin, member, expires_in, seconds):
    response = client_for(admin).post(
        f"/api/v3/users/{member.pk}/jwt", {"expiresIn": expires_in}, format="json"
    )

    assert response.status_code == 201
    assert lifetime(ApiToken.objects.get(user=member)) == seconds


def test_never_expiring_means_the_longest_lifetime_the_site_allows(admin, member, settings):
    settings.API_TOKEN_MAX_TTL_SECONDS = 10 * 365 * 86400

    client_for(admin).post(f"/api/v3/users/{member.pk}/jwt", {"expiresIn": "never"}, format="json")

    assert lifetime(ApiToken.objects.get(user=member)) == 10 * 365 * 86400


@pytest.mark.parametrize(
    "body",
    [
        {"expiresIn": 0},
        {"expiresIn": "soon"},
        {"expiresIn": True},
        {"expiresIn": 10**12},
        {"x": 1},
        [1],
    ],
    ids=["zero", "word", "bool", "over the cap", "unknown key", "list"],
)
def test_a_bad_ingestor_token_request_is_400_and_issues_nothing(admin, member, body):
    response = client_for(admin).post(f"/api/v3/users/{member.pk}/jwt", body, format="json")

    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=member).exists()


def test_only_admins_issue_tokens_for_users(owner, member):
    response = client_for(owner).post(f"/api/v3/users/{owner.pk}/jwt")

    assert response.status_code == 403
    assert response.json()["message"] == "Forbidden resource"
    assert ApiToken.objects.filter(name__startswith="issued by").count() == 0


def test_an_ingestor_token_for_a_missing_user_is_404(admin):
    assert client_for(admin).post("/api/v3/users/99999/jwt").status_code == 404


def test_an_inactive_user_gets_no_ingestor_token(admin, db):
    sleeper = make_user("sleeper", is_active=False)

    response = client_for(admin).post(f"/api/v3/users/{sleeper.pk}/jwt")

    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=sleeper).exists()
