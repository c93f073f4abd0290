"""API tokens: stored hashed, expiring, revocable, purged; and their read-only admin."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalogue.access import principal_for
from catalogue.errors import InvalidInput
from catalogue.models import ApiToken
from catalogue.services.tokens import (
    token_issue,
    token_revoke,
    token_user,
    tokens_purge_expired,
    tokens_revoke,
)
from tests.factories import make_user


def expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_issued_token_names_its_user(owner):
    raw, _ = token_issue(user=owner)

    assert token_user(raw) == owner


def test_the_token_user_has_the_fields_the_orm_would_give(owner):
    owner.last_login = timezone.now() - timedelta(days=2)
    owner.save(update_fields=["last_login"])
    raw, _ = token_issue(user=owner)
    found = token_user(raw)
    expected = type(owner).objects.get(pk=owner.pk)
    for field in type(owner)._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert isinstance(found.last_login, type(expected.last_login))
    assert found._state.adding is False and found._state.db == "default"


def test_only_a_hash_of_the_token_is_stored(owner):
    raw, token = token_issue(user=owner)

    stored = [str(value) for row in ApiToken.objects.values() for value in row.values()]
    assert not any(raw in value for value in stored)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert len(token.prefix) < len(raw)


def test_an_expired_token_names_nobody(owner):
    raw, token = token_issue(user=owner)
    expire(token)

    assert token_user(raw) is None


def test_a_revoked_token_names_nobody(owner):
    raw, _ = token_issue(user=owner)

    assert token_revoke(raw=raw) is True
    assert token_user(raw) is None
    assert token_revoke(raw=raw) is False


def test_the_token_of_an_inactive_user_names_nobody(db):
    user = make_user("ivan", is_active=False)
    raw, _ = token_issue(user=user)

    assert token_user(raw) is None


@pytest.mark.parametrize("raw", ["", "fc_unknown", "Bearer", "x" * 500, "fc_" + "y" * 300])
def test_unknown_or_malformed_tokens_name_nobody(db, raw):
    assert token_user(raw) is None


@pytest.mark.parametrize("ttl", [0, -5, 1.5, True, "3600"])
def test_a_token_lifetime_must_be_a_positive_number_of_seconds(owner, ttl):
    with pytest.raises(InvalidInput):
        token_issue(user=owner, ttl_seconds=ttl)
    assert not ApiToken.objects.exists()


def test_a_token_may_not_outlive_the_sites_maximum(owner, settings):
    settings.API_TOKEN_MAX_TTL_SECONDS = 3600

    with pytest.raises(InvalidInput):
        token_issue(user=owner, ttl_seconds=3601)


def test_using_a_token_records_when_it_was_last_used(owner):
    raw, token = token_issue(user=owner)
    assert token.last_used_at is None

    token_user(raw)

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_purging_deletes_only_expired_tokens(owner, member):
    _, old = token_issue(user=owner)
    live_raw, _ = token_issue(user=member)
    expire(old)

    assert tokens_purge_expired() == 1
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["mike"]
    assert token_user(live_raw) == member


def test_revoking_by_id_leaves_other_tokens_alone(owner):
    first_raw, first = token_issue(user=owner)
    second_raw, _ = token_issue(user=owner)

    assert tokens_revoke(ids=[first.pk]) == 1
    assert token_user(first_raw) is None
    assert token_user(second_raw) == owner


def test_one_statement_reads_the_token_its_user_and_their_groups(owner, settings):
    settings.ACCESS_GROUPS_STATIC_VALUES = ["everyone"]
    owner.groups.add(Group.objects.create(name="p-second"))
    raw, _ = token_issue(user=owner)
    token_user(raw)  # the first use writes last_used_at

    with CaptureQueriesContext(connection) as queries:
        user = token_user(raw)
        principal = principal_for(user)

    assert len(queries) == 1
    assert user == owner and user.get_username() == "olivia"
    assert principal.groups == {"p-owner", "p-second", "everyone"}


def test_a_user_in_no_group_is_found_with_no_groups(db):
    user = make_user("nadia")
    raw, _ = token_issue(user=user)

    found = token_user(raw)

    assert found == user
    assert principal_for(found).groups == frozenset()


def test_each_lookup_reads_the_groups_as_they_are_now(owner):
    raw, _ = token_issue(user=owner)
    assert principal_for(token_user(raw)).groups == {"p-owner"}

    owner.groups.clear()

    assert principal_for(token_user(raw)).groups == frozenset()


def test_the_last_use_is_written_again_only_after_a_minute(owner):
    raw, token = token_issue(user=owner)
    token_user(raw)
    token.refresh_from_db()
    first = token.last_used_at

    token_user(raw)
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    token_user(raw)
    token.refresh_from_db()
    assert token.last_used_at > first


# --- Admin ---------------------------------------------------------------------------------------


def changelist() -> str:
    return reverse("admin:catalogue_apitoken_changelist")


def test_the_admin_lists_tokens_without_their_secret(admin_client, owner):
    raw, token = token_issue(user=owner, name="ingest")

    listing = admin_client.get(changelist())
    page = admin_client.get(reverse("admin:catalogue_apitoken_change", args=[token.pk]))

    assert listing.status_code == page.status_code == 200
    assert token.prefix in listing.content.decode()
    for response in (listing, page):
        assert raw not in response.content.decode()
        assert token.key_hash not in response.content.decode()


def test_the_admin_cannot_add_or_change_tokens(admin_client, owner):
    _, token = token_issue(user=owner)

    assert admin_client.get(reverse("admin:catalogue_apitoken_add")).status_code == 403
    change = reverse("admin:catalogue_apitoken_change", args=[token.pk])
    admin_client.post(change, {"name": "renamed"})
    token.refresh_from_db()
    assert token.name == ""


def test_the_admin_filters_active_and_expired_tokens(admin_client, owner):
    _, old = token_issue(user=owner, name="old-one")
    token_issue(user=owner, name="live-one")
    expire(old)

    expired = admin_client.get(changelist(), {"state": "expired"}).content.decode()

    assert "old-one" in expired
    assert "live-one" not in expired


def test_the_revoke_action_revokes_the_selected_tokens(admin_client, owner):
    raw, token = token_issue(user=owner)
    kept_raw, _ = token_issue(user=owner)

    response = admin_client.post(
        changelist(), {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )

    assert response.status_code == 200
    assert token_user(raw) is None
    assert token_user(kept_raw) == owner


def test_staff_without_the_delete_permission_cannot_revoke(client, owner):
    staff = make_user("sam", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    raw, token = token_issue(user=owner)
    client.force_login(staff)

    assert client.get(changelist()).status_code == 200
    client.post(changelist(), {"action": "revoke", "_selected_action": [token.pk]})

    assert token_user(raw) == owner
