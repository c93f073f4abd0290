"""Signing in and out of the SciCat API, tokens as pyscicat sends them, and the frontend's boot
configuration."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import ApiToken
from tests.factories import make_user

UNAUTHORIZED = {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}


@pytest.fixture(autouse=True)
def no_earlier_failures():
    cache.clear()  # failed sign-ins are counted in the cache
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def login(api, username: str, password: str | None = None, path: str = "/api/v3/auth/login"):
    body = {"username": username, "password": password or f"pw-{username}"}
    return api.post(path, body, format="json")


def token_of(api, user) -> str:
    response = login(api, user.username)
    assert response.status_code == 201, response.content
    return response.json()["id"]


# --- Login -------------------------------------------------------------------------------------


def test_login_answers_scicats_token_body(api, owner, settings):
    settings.API_TOKEN_TTL_SECONDS = 1800

    response = login(api, "olivia")

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == body["access_token"]
    assert body["expires_in"] == body["ttl"] == 1800
    assert body["userId"] == str(owner.pk)
    assert body["created"].endswith("Z")
    assert body["user"] == {
        "id": str(owner.pk),
        "username": "olivia",
        "email": "olivia@example.org",
        "emailVerified": False,
        "realm": "local",
        "authStrategy": "local",
    }


def test_a_token_from_login_expires_after_the_configured_lifetime(api, owner, settings):
    settings.API_TOKEN_TTL_SECONDS = 1800

    login(api, "olivia")

    token = ApiToken.objects.get(user=owner)
    assert round((token.expires_at - token.created_at).total_seconds()) == 1800


@pytest.mark.parametrize(
    "username, password",
    [("olivia", "wrong"), ("nobody", "pw-olivia"), ("nobody", "wrong")],
    ids=["wrong password", "unknown user", "both wrong"],
)
def test_failed_login_is_401_without_saying_which_part_was_wrong(api, owner, username, password):
    response = login(api, username, password)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert not ApiToken.objects.exists()


def test_an_inactive_user_cannot_log_in(api, db):
    make_user("ivan", "p-owner", is_active=False)

    response = login(api, "ivan")

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "olivia"}, {"password": "pw-olivia"}, {"username": 5, "password": "x"}, []],
    ids=["empty", "no password", "no username", "number", "list"],
)
def test_login_without_both_credentials_is_400(api, owner, body):
    response = api.post("/api/v3/auth/login", body, format="json")

    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert not ApiToken.objects.exists()


def test_login_with_malformed_json_is_400(api, owner):
    response = api.post(
        "/api/v3/auth/login", '{"username": "olivia", ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


def test_an_overlong_password_is_refused_before_hashing(api, owner):
    response = login(api, "olivia", "x" * 5000)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v3/Auth/Login", "/api/v3/auth/Login", "/api/v3/Users/Login"]
)
def test_login_paths_are_case_insensitive_and_users_login_is_an_alias(api, owner, path):
    assert login(api, "olivia", path=path).status_code == 201


def test_login_accepts_a_form_body(api, owner):
    response = api.post(
        "/api/v3/auth/login",
        "username=olivia&password=pw-olivia",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201


def test_a_portal_session_sent_along_does_not_stop_a_login(owner):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)  # a session cookie, and no CSRF token

    assert login(browser, "olivia").status_code == 201


def test_repeated_failures_are_slowed_down_even_for_the_right_password(api, owner, settings):
    settings.API_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(api, "olivia", "guess").status_code == 401

    response = login(api, "olivia")

    assert response.status_code == 429
    assert response.json()["statusCode"] == 429


def test_failures_for_one_name_do_not_block_another(api, owner, member, settings):
    settings.API_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        login(api, "olivia", "guess")

    assert login(api, "mike").status_code == 201


def test_a_success_clears_the_failures_of_that_name(api, owner, settings):
    settings.API_LOGIN_MAX_FAILURES = 2
    login(api, "olivia", "guess")
    assert login(api, "olivia").status_code == 201

    login(api, "olivia", "guess")
    assert login(api, "olivia").status_code == 201


# --- Using the token ----------------------------------------------------------------------------


def test_the_token_works_as_a_bearer_header(api, owner):
    token = token_of(api, owner)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api.get("/api/v3/users/my/self")

    assert response.status_code == 200
    assert response.json()["username"] == "olivia"


def test_the_token_works_as_an_access_token_parameter(api, owner):
    token = token_of(api, owner)

    response = api.get("/api/v3/users/my/self", {"access_token": token})

    assert response.status_code == 200
    assert response.json()["id"] == str(owner.pk)


def test_pyscicat_sends_the_token_both_ways_at_once(api, owner):
    token = token_of(api, owner)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api.get(f"/api/v3/users/my/self?access_token={token}")

    assert response.status_code == 200


def test_an_expired_token_makes_the_request_anonymous(api, owner):
    token = token_of(api, owner)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api.get("/api/v3/users/my/self").status_code == 401
    assert api.get("/api/v3/auth/whoami").status_code == 401


def test_a_garbage_token_makes_the_request_anonymous(api, owner):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api.get("/api/v3/users/my/self")

    assert response.status_code == 401
    assert response.json()["message"] == "Unauthenticated"


def test_the_token_of_a_deactivated_user_stops_working(api, db):
    user = make_user("dora", "p-owner")
    token = token_of(api, user)
    user.is_active = False
    user.save()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api.get("/api/v3/users/my/self").status_code == 401


def test_whoami_names_the_user_and_their_groups(api, owner):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_of(api, owner)}")

    response = api.get("/api/v3/auth/whoami")

    assert response.status_code == 200
    body = response.json()
    assert body["_id"] == body["id"] == str(owner.pk)
    assert body["username"] == "olivia"
    assert body["currentGroups"] == ["p-owner"]


def test_whoami_is_401_for_anonymous_callers(api, db):
    response = api.get("/api/v3/auth/whoami")

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


# --- Logout -------------------------------------------------------------------------------------


def test_logout_revokes_the_token(api, owner, member):
    token = token_of(api, owner)
    other_token = token_of(api, member)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api.post("/api/v3/auth/logout")

    assert response.status_code == 200
    assert response.json() == {"logout": "successful"}
    assert api.get("/api/v3/users/my/self").status_code == 401
    assert ApiToken.objects.filter(user=member).count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other_token}")
    assert api.get("/api/v3/users/my/self").status_code == 200


def test_logout_with_the_token_as_a_parameter(api, owner):
    token = token_of(api, owner)

    response = api.post(f"/api/v3/Auth/Logout?access_token={token}")

    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_logout_ends_a_portal_session(api, owner):
    api.force_login(owner)
    assert api.get("/api/v3/auth/whoami").status_code == 200

    assert api.post("/api/v3/auth/logout").status_code == 200

    assert api.get("/api/v3/auth/whoami").status_code == 401


def test_logout_is_401_for_anonymous_callers(api, db):
    response = api.post("/api/v3/auth/logout")

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_logging_out_twice_is_401_the_second_time(api, owner):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_of(api, owner)}")
    api.post("/api/v3/auth/logout")

    assert api.post("/api/v3/users/logout").status_code == 401


# --- Frontend configuration -----------------------------------------------------------------------


def test_the_frontend_config_is_public_and_names_the_token_prefix(api, db, settings):
    settings.FACILITY = "Example Light Source"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

    response = api.get("/api/v3/admin/config")

    assert response.status_code == 200
    body = response.json()
    assert body["accessTokenPrefix"] == "Bearer "
    assert body["facility"] == "Example Light Source"
    assert body["lbBaseURL"] == "http://testserver"
    assert body["maxFileUploadSizeInMb"] == "16mb"


def test_a_site_config_file_is_served_with_the_servers_upload_limit(api, db, settings, tmp_path):
    path = tmp_path / "frontend.config.json"
    path.write_text(
        json.dumps({"facility": "ELS", "jobsEnabled": False, "maxFileUploadSizeInMb": "1gb"})
    )
    settings.FRONTEND_CONFIG_FILE = str(path)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

    body = api.get("/api/v3/Admin/Config").json()

    assert body["facility"] == "ELS"
    assert body["jobsEnabled"] is False
    assert body["maxFileUploadSizeInMb"] == "32mb"


def test_an_unreadable_config_file_still_lets_the_frontend_boot(api, db, settings, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    settings.FRONTEND_CONFIG_FILE = str(path)

    response = api.get("/api/v3/admin/config")

    assert response.status_code == 200
    assert response.json()["accessTokenPrefix"] == "Bearer "


def test_the_theme_is_served_from_the_site_theme_file(api, db, settings, tmp_path):
    theme = {"name": "light", "properties": {"--theme-primary-default": "#1565c0"}}
    path = tmp_path / "frontend.theme.json"
    path.write_text(json.dumps(theme))
    settings.FRONTEND_THEME_FILE = str(path)

    response = api.get("/api/v3/admin/theme")

    assert response.status_code == 200
    assert response.json() == theme


def test_without_a_theme_file_the_theme_is_404_so_the_frontend_uses_its_own(api, db, settings):
    settings.FRONTEND_THEME_FILE = ""

    response = api.get("/api/v3/admin/theme")

    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
