"""Signing out at the provider (OpenID Connect RP-Initiated Logout) after signing in there,
against the same loopback provider as test_oidc.py; local accounts sign out here only."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from tests.portal.test_oidc import sign_in


def sign_out(client):
    answer = client.post(reverse("portal:logout"))
    assert answer.status_code == 302
    return answer["Location"]


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


@pytest.mark.django_db
def test_sign_out_after_provider_sign_in_ends_the_session_at_the_provider(
    client, oidc_settings, oidc_provider
):
    sign_in(client, oidc_provider, "olivia-sub")
    location = sign_out(client)
    assert location.startswith(oidc_provider.url + "/oauth2/end_session?")
    query = query_of(location)
    assert query["client_id"] == "fedcat"
    assert query["post_logout_redirect_uri"] == "http://testserver" + reverse("portal:search")
    claims = oidc_provider.id_token_claims(query["id_token_hint"], audience="fedcat")
    assert claims["sub"] == "olivia-sub"
    assert client.get("/account").status_code == 302  # signed out here before leaving
    back = oidc_provider.end_session(location)
    assert back == query["post_logout_redirect_uri"]
    assert oidc_provider.calls.end_session[-1]["id_token_hint"] == query["id_token_hint"]


@pytest.mark.django_db
def test_local_account_signs_out_here_only(client, oidc_settings, oidc_provider, owner):
    client.post(reverse("portal:login"), {"username": "olivia", "password": "pw-olivia"})
    assert client.get("/account").status_code == 200
    assert sign_out(client) == reverse("portal:search")
    assert client.get("/account").status_code == 302


@pytest.mark.django_db
def test_explicit_logout_endpoint_is_used_instead_of_discovery(
    client, oidc_settings, oidc_provider
):
    oidc_settings.OIDC_OP_LOGOUT_ENDPOINT = "https://login.example/logout?realm=hzb"
    sign_in(client, oidc_provider, "olivia-sub")
    location = sign_out(client)
    assert location.startswith("https://login.example/logout?realm=hzb&")
    assert query_of(location)["id_token_hint"]


@pytest.mark.django_db
def test_switched_off_sign_out_is_local_and_no_id_token_is_kept(
    client, oidc_settings, oidc_provider
):
    oidc_settings.OIDC_LOGOUT_AT_PROVIDER = False
    oidc_settings.OIDC_STORE_ID_TOKEN = False
    sign_in(client, oidc_provider, "olivia-sub")
    assert "oidc_id_token" not in client.session
    assert sign_out(client) == reverse("portal:search")
    assert client.get("/account").status_code == 302


@pytest.mark.django_db
def test_provider_down_at_sign_out_still_signs_out_here(client, oidc_settings, oidc_provider):
    sign_in(client, oidc_provider, "olivia-sub")
    oidc_settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    oidc_settings.OIDC_TIMEOUT = 2
    assert sign_out(client) == reverse("portal:search")
    assert client.get("/account").status_code == 302


@pytest.mark.django_db
def test_id_token_survives_signing_in_over_another_users_session(
    client, oidc_settings, oidc_provider, owner
):
    client.force_login(owner)
    sign_in(client, oidc_provider, "oscar-sub")
    assert client.get("/account").wsgi_request.user.username == "oscar"
    location = sign_out(client)
    claims = oidc_provider.id_token_claims(query_of(location)["id_token_hint"], audience="fedcat")
    assert claims["sub"] == "oscar-sub"


def test_sign_out_is_not_offered_to_other_methods(client, owner):
    client.force_login(owner)
    assert client.put(reverse("portal:logout")).status_code == 405
    assert client.get("/account").status_code == 200
