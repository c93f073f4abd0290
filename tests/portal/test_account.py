"""The account page: API tokens created (shown once) and revoked, only one's own."""

import re

from django.urls import reverse

from catalogue.models import ApiToken
from catalogue.services.tokens import token_issue, token_user


def create(client, name="ingestor P05", days=90):
    return client.post(reverse("portal:token-create"), {"name": name, "days": days})


def shown_token(response) -> str:
    match = re.search(rb'value="(fc_[A-Za-z0-9_-]+)"', response.content)
    assert match, "the new token is shown"
    return match.group(1).decode()


def test_account_page_needs_sign_in(client):
    answer = client.get(reverse("portal:account"))
    assert answer.status_code == 302
    assert answer["Location"].startswith("/login?next=")


def test_account_page_lists_groups(client, owner):
    client.force_login(owner)
    page = client.get(reverse("portal:account"))
    assert page.status_code == 200
    assert b"<code>p-owner</code>" in page.content
    assert b"a local account" in page.content


def test_created_token_is_shown_once_and_works(client, owner):
    client.force_login(owner)
    answer = create(client)
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    raw = shown_token(answer)
    assert token_user(raw) == owner
    token = ApiToken.objects.get(user=owner)
    assert token.name == "ingestor P05"
    assert 89 <= (token.expires_at - token.created_at).days <= 90
    again = client.get(reverse("portal:account"))
    assert raw.encode() not in again.content
    assert token.prefix.encode() in again.content


def test_token_is_usable_on_the_api(client, owner):
    client.force_login(owner)
    raw = shown_token(create(client))
    client.logout()
    whoami = client.get("/api/v3/auth/whoami", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert whoami.status_code == 200


def test_lifetime_beyond_the_site_limit_is_not_offered(client, owner, settings):
    settings.API_TOKEN_MAX_TTL_SECONDS = 100 * 24 * 3600
    client.force_login(owner)
    assert create(client, days=365).status_code == 400
    assert not ApiToken.objects.filter(user=owner).exists()


def test_name_is_required(client, owner):
    client.force_login(owner)
    assert create(client, name="").status_code == 400


def test_revoke_ends_the_token(client, owner):
    raw, token = token_issue(user=owner, name="old")
    client.force_login(owner)
    answer = client.post(reverse("portal:token-revoke", kwargs={"token_id": token.pk}))
    assert answer.status_code == 302
    assert token_user(raw) is None


def test_nobody_revokes_another_users_token(client, owner, outsider):
    raw, token = token_issue(user=owner, name="olivia's")
    client.force_login(outsider)
    client.post(reverse("portal:token-revoke", kwargs={"token_id": token.pk}))
    assert token_user(raw) == owner


def test_revoke_by_get_is_refused(client, owner):
    _, token = token_issue(user=owner)
    client.force_login(owner)
    answer = client.get(reverse("portal:token-revoke", kwargs={"token_id": token.pk}))
    assert answer.status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_nav_links_account_and_sign_out(client, owner):
    client.force_login(owner)
    page = client.get(reverse("portal:search"))
    assert reverse("portal:account").encode() in page.content
    assert reverse("portal:logout").encode() in page.content
