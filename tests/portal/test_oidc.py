"""Sign-in through a real OpenID Connect provider on loopback (authorization code + PKCE), the
entitlement-to-group mapping, and the provider's access tokens on the SciCat API."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from portal.auth.groups import group_name, groups_from_claims, parse_mapping
from portal.auth.models import OidcIdentity
from tests.factories import make_dataset, make_user
from tests.portal.e2e.provider import s256

HELMHOLTZ = ["urn:geant:helmholtz.de:group:"]


def sign_in(client, provider, sub: str, next_url: str = "/mydata"):
    """The browser's round trip: site -> provider (person picks the account) -> site."""
    start = client.get(reverse("portal:oidc-login"), {"next": next_url})
    assert start.status_code == 302
    callback = provider.authorize(start["Location"], sub)
    parts = urlparse(callback)
    assert parts.path == reverse("portal:oidc-callback")
    return client.get(parts.path + "?" + parts.query)


def api_get(client, path, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(path, **headers)


def dataset_api_url(dataset) -> str:
    from urllib.parse import quote

    return "/api/v3/datasets/" + quote(dataset.pid, safe="")


# --- Entitlements to groups (pure) ---------------------------------------------------------------


def test_helmholtz_entitlement_names_its_group_path():
    name = group_name("urn:geant:helmholtz.de:group:HZB:p12345#login.helmholtz.de", HELMHOLTZ)
    assert name == "HZB:p12345"


def test_role_suffix_and_percent_escapes_are_removed():
    value = "urn:geant:helmholtz.de:group:My%20VO:sub:role=owner#login.helmholtz.de"
    assert group_name(value, HELMHOLTZ) == "My VO:sub"


def test_longer_prefix_gives_the_short_name():
    prefixes = [*HELMHOLTZ, "urn:geant:helmholtz.de:group:HZB:"]
    value = "urn:geant:helmholtz.de:group:HZB:p12345#login.helmholtz.de"
    assert group_name(value, prefixes) == "p12345"


def test_entitlements_outside_the_prefixes_are_ignored():
    claims = {
        "eduperson_entitlement": [
            "urn:mace:dir:entitlement:common-lib-terms",
            "urn:geant:other.org:group:X#other.org",
            "urn:geant:helmholtz.de:group:#login.helmholtz.de",
            "urn:geant:helmholtz.de:group:" + "x" * 200,
            42,
        ]
    }
    found = groups_from_claims(
        claims, claim="eduperson_entitlement", prefixes=HELMHOLTZ, mapping={}
    )
    assert found == set()


def test_mapping_renames_and_drops_groups():
    mapping = parse_mapping(["HZB:admins=admin", "HZB=", "no-equals-sign"])
    claims = {
        "eduperson_entitlement": [
            "urn:geant:helmholtz.de:group:HZB#login.helmholtz.de",
            "urn:geant:helmholtz.de:group:HZB:admins#login.helmholtz.de",
            "urn:geant:helmholtz.de:group:HZB:p1#login.helmholtz.de",
        ]
    }
    found = groups_from_claims(
        claims, claim="eduperson_entitlement", prefixes=HELMHOLTZ, mapping=mapping
    )
    assert found == {"admin", "HZB:p1"}


def test_a_single_string_claim_counts_as_one_entitlement():
    claims = {"eduperson_entitlement": "urn:geant:helmholtz.de:group:DESY#login.helmholtz.de"}
    assert groups_from_claims(
        claims, claim="eduperson_entitlement", prefixes=HELMHOLTZ, mapping={}
    ) == {"DESY"}


# --- The login page ----------------------------------------------------------------------------


def test_login_page_offers_the_provider_when_configured(client, oidc_settings):
    page = client.get(reverse("portal:login"))
    assert page.status_code == 200
    assert b"Sign in with Helmholtz AAI" in page.content
    assert b'name="password"' in page.content


def test_login_page_without_provider_offers_local_accounts_only(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    page = client.get(reverse("portal:login"))
    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert client.get(reverse("portal:oidc-login")).status_code == 404


def test_local_account_signs_in_and_returns_to_next(client, owner):
    answer = client.post(
        reverse("portal:login"),
        {"username": "olivia", "password": "pw-olivia", "next": "/account"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/account"
    assert client.get("/account").status_code == 200


def test_local_sign_in_refuses_an_offsite_next(client, owner):
    answer = client.post(
        reverse("portal:login"),
        {"username": "olivia", "password": "pw-olivia", "next": "https://evil.example/x"},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:mydata")


def test_wrong_password_is_a_400_with_a_message(client, owner):
    answer = client.post(reverse("portal:login"), {"username": "olivia", "password": "nope"})
    assert answer.status_code == 400
    assert b"user name or the password is wrong" in answer.content


def test_repeated_failures_are_braked(client, owner, settings):
    settings.API_LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post(reverse("portal:login"), {"username": "olivia", "password": "nope"})
    answer = client.post(reverse("portal:login"), {"username": "olivia", "password": "pw-olivia"})
    assert answer.status_code == 429
    assert not answer.wsgi_request.user.is_authenticated


def test_logout_needs_a_post(client, owner):
    client.force_login(owner)
    assert client.get(reverse("portal:logout")).status_code == 200  # a confirmation button
    assert client.get("/account").status_code == 200
    assert client.post(reverse("portal:logout")).status_code == 302
    assert client.get("/account").status_code == 302  # to the sign-in page


# --- The authorization code flow ---------------------------------------------------------------


@pytest.mark.django_db
def test_authorization_request_carries_pkce_state_and_nonce(client, oidc_settings, oidc_provider):
    start = client.get(reverse("portal:oidc-login"))
    query = {k: v[0] for k, v in parse_qs(urlparse(start["Location"]).query).items()}
    assert start["Location"].startswith(oidc_provider.url + "/oauth2/authorize")
    assert query["response_type"] == "code"
    assert query["client_id"] == "fedcat"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"]
    assert "eduperson_entitlement" in query["scope"].split()


@pytest.mark.django_db
def test_sign_in_through_provider_creates_the_user_with_groups(
    client, oidc_settings, oidc_provider
):
    answer = sign_in(client, oidc_provider, "olivia-sub")
    assert answer.status_code == 302 and answer["Location"] == "/mydata"
    user = User.objects.get(oidc_identity__subject="olivia-sub")
    assert user.username == "olivia"
    assert user.email == "olivia@hzdr.example"
    assert user.get_full_name() == "Olivia Owner"
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {"HZB", "p-owner"}
    token_request = oidc_provider.calls.token[-1]
    assert (
        s256(token_request["code_verifier"]) == oidc_provider.calls.authorize[-1]["code_challenge"]
    )
    page = client.get("/mydata")
    assert page.status_code == 200 and b"Olivia Owner" in page.content


@pytest.mark.django_db
def test_private_dataset_of_the_provider_group_is_readable_after_sign_in(
    client, oidc_settings, oidc_provider
):
    dataset = make_dataset(owner_group="p-owner", embargo_end=None, dataset_name="Secret scan")
    page_url = reverse("portal:dataset", kwargs={"pid": dataset.pid})
    assert client.get(page_url).status_code == 403
    sign_in(client, oidc_provider, "olivia-sub", next_url=page_url)
    page = client.get(page_url)
    assert page.status_code == 200 and b"Secret scan" in page.content


@pytest.mark.django_db
def test_groups_follow_the_provider_and_hand_given_groups_stay(
    client, oidc_settings, oidc_provider
):
    sign_in(client, oidc_provider, "oscar-sub")
    user = User.objects.get(oidc_identity__subject="oscar-sub")
    user.groups.add(Group.objects.get_or_create(name="beamline-staff")[0])
    claims = {
        "email": "oscar@desy.example",
        "eduperson_entitlement": ["urn:geant:helmholtz.de:group:HZB:p-new#login.helmholtz.de"],
    }
    oidc_provider.set_user("oscar-sub", claims)
    client.logout()
    sign_in(client, oidc_provider, "oscar-sub")
    assert set(user.groups.values_list("name", flat=True)) == {"p-new", "beamline-staff"}
    assert OidcIdentity.objects.get(subject="oscar-sub").groups == ["p-new"]


@pytest.mark.django_db
def test_provider_email_never_takes_over_a_local_account(client, oidc_settings, oidc_provider):
    local = make_user("olivia", "admin", email="olivia@hzdr.example")
    sign_in(client, oidc_provider, "olivia-sub")
    user = User.objects.get(oidc_identity__subject="olivia-sub")
    assert user.pk != local.pk
    assert user.username == "olivia-2"
    assert not user.groups.filter(name="admin").exists()


@pytest.mark.django_db
def test_deactivated_account_cannot_sign_in(client, oidc_settings, oidc_provider):
    sign_in(client, oidc_provider, "oscar-sub")
    User.objects.filter(oidc_identity__subject="oscar-sub").update(is_active=False)
    client.logout()
    answer = sign_in(client, oidc_provider, "oscar-sub")
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:login")
    assert client.get("/account").status_code == 302


@pytest.mark.django_db
def test_a_forged_pkce_verifier_is_refused_by_the_provider_and_nobody_signs_in(
    client, oidc_settings, oidc_provider
):
    start = client.get(reverse("portal:oidc-login"))
    callback = oidc_provider.authorize(start["Location"], "olivia-sub")
    session = client.session
    for state in session["oidc_states"].values():
        state["code_verifier"] = "x" * 64
    session.save()
    parts = urlparse(callback)
    answer = client.get(parts.path + "?" + parts.query)
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:login")
    assert not User.objects.filter(oidc_identity__subject="olivia-sub").exists()


@pytest.mark.django_db
def test_provider_down_is_a_503_page_not_a_crash(client, settings):
    settings.OIDC_RP_CLIENT_ID = "fedcat"
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = ""
    settings.OIDC_TIMEOUT = 2
    answer = client.get(reverse("portal:oidc-login"))
    assert answer.status_code == 503


@pytest.mark.django_db
def test_unknown_state_at_the_callback_is_a_400(client, oidc_settings):
    client.get(reverse("portal:oidc-login"))
    answer = client.get(reverse("portal:oidc-callback"), {"code": "x", "state": "forged"})
    assert answer.status_code == 400


# --- Access tokens of the provider on the API --------------------------------------------------


@pytest.mark.django_db
def test_provider_access_token_is_accepted_by_the_api(client, oidc_settings, oidc_provider):
    dataset = make_dataset(owner_group="p-owner", embargo_end=None)
    token = oidc_provider.access_token("olivia-sub")
    assert api_get(client, dataset_api_url(dataset)).status_code == 403
    answer = api_get(client, dataset_api_url(dataset), token)
    assert answer.status_code == 200 and answer.json()["pid"] == dataset.pid
    whoami = api_get(client, "/api/v3/auth/whoami", token)
    assert whoami.status_code == 200


@pytest.mark.django_db
def test_provider_answers_are_cached_then_revocation_counts(client, oidc_settings, oidc_provider):
    dataset = make_dataset(owner_group="p-owner", embargo_end=None)
    token = oidc_provider.access_token("olivia-sub")
    before = oidc_provider.calls.userinfo
    for _ in range(3):
        assert api_get(client, dataset_api_url(dataset), token).status_code == 200
    assert oidc_provider.calls.userinfo == before + 1
    oidc_provider.revoke_tokens("olivia-sub")
    oidc_settings.OIDC_TOKEN_CACHE_SECONDS = 0
    fresh = oidc_provider.access_token("olivia-sub")
    oidc_provider.revoke_tokens("olivia-sub")
    assert api_get(client, dataset_api_url(dataset), fresh).status_code == 403


@pytest.mark.django_db
def test_invalid_bearer_token_is_anonymous_not_an_error(client, oidc_settings):
    published = make_dataset(is_published=True)
    answer = api_get(client, dataset_api_url(published), "not-a-real-token")
    assert answer.status_code == 200  # public data, read anonymously
    private = make_dataset(owner_group="p-owner", embargo_end=None)
    assert api_get(client, dataset_api_url(private), "not-a-real-token").status_code == 403


@pytest.mark.django_db
def test_local_tokens_still_work_beside_provider_tokens(client, oidc_settings, owner):
    from catalogue.services.tokens import token_issue

    raw, _ = token_issue(user=owner)
    dataset = make_dataset(owner_group="p-owner", embargo_end=None)
    assert api_get(client, dataset_api_url(dataset), raw).status_code == 200


@pytest.mark.django_db
def test_without_a_provider_foreign_tokens_are_anonymous_without_network(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    dataset = make_dataset(owner_group="p-owner", embargo_end=None)
    assert api_get(client, dataset_api_url(dataset), "eyJhbGciOi.x.y").status_code == 403


@pytest.mark.django_db
def test_provider_access_token_opens_a_private_download(
    client, oidc_settings, oidc_provider, storage
):
    from tests.portal.conftest import file_url, with_files

    dataset = make_dataset(owner_group="p-owner", embargo_end=None, source_folder=str(storage))
    datafile = with_files(dataset, ["scan.nxs"])[0]
    token = oidc_provider.access_token("olivia-sub")

    assert api_get(client, file_url(dataset, datafile)).status_code == 403
    answer = api_get(client, file_url(dataset, datafile), token)
    # Recognised as the owner: the file, or first the licence to accept; never "not allowed".
    assert answer.status_code in (200, 302)
    if answer.status_code == 302:
        assert "licence" in answer["Location"]
