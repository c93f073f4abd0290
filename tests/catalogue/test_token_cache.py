"""Verified tokens remembered per connection (token_cache.py): no lookup while nothing changed,
and a change committed by anyone else counts from the next request on."""

from __future__ import annotations

import select
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue.access import principal_for
from catalogue.models import ApiToken
from catalogue.services import token_cache, token_issue
from catalogue.services.tokens import token_user
from tests.factories import make_user
from tests.support.postgres import other_connection

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only (set DATABASE_URL=postgres://...): elsewhere nothing is kept",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def persistent_connection(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 60)


@pytest.fixture
def member():
    user = make_user("member", "p-readers")
    raw, _ = token_issue(user=user)
    return user, raw


def elsewhere(sql: str, params=()) -> None:
    """A change committed by another connection, as another worker or the admin would."""
    with other_connection() as other:
        other.execute(sql, params)


def notice_arrives(timeout: float = 5.0) -> bool:
    """Whether something reaches the connection's socket within `timeout` seconds."""
    poller = select.poll()
    poller.register(connections["default"].connection.fileno(), select.POLLIN)
    return bool(poller.poll(int(timeout * 1000)))


def statements_of(call):
    with CaptureQueriesContext(connections["default"]) as captured:
        result = call()
    return result, len(captured)


def test_a_verified_token_is_not_looked_up_again(member):
    user, raw = member
    token_user(raw)

    again, statements = statements_of(lambda: token_user(raw))

    assert again.pk == user.pk
    assert principal_for(again).groups >= {"p-readers"}
    assert statements == 0


def test_a_token_deleted_elsewhere_counts_at_the_next_request(member):
    _, raw = member
    assert token_user(raw) is not None

    elsewhere("DELETE FROM catalogue_apitoken")

    assert notice_arrives()
    assert token_user(raw) is None


def test_a_membership_removed_elsewhere_counts_at_the_next_request(member):
    _, raw = member
    assert "p-readers" in principal_for(token_user(raw)).groups
    group = Group.objects.get(name="p-readers")

    elsewhere("DELETE FROM auth_user_groups WHERE group_id = %s", [group.pk])

    assert notice_arrives()
    assert "p-readers" not in principal_for(token_user(raw)).groups


def test_a_user_deactivated_elsewhere_counts_at_the_next_request(member):
    user, raw = member
    assert token_user(raw) is not None

    elsewhere("UPDATE auth_user SET is_active = false WHERE id = %s", [user.pk])

    assert notice_arrives()
    assert token_user(raw) is None


def test_a_token_past_its_expiry_is_refused_although_remembered(member, monkeypatch):
    _, raw = member
    assert token_user(raw) is not None
    expires = ApiToken.objects.get().expires_at

    monkeypatch.setattr(timezone, "now", lambda: expires + timedelta(seconds=1))

    assert token_user(raw) is None


def test_writing_a_tokens_last_use_makes_no_connection_forget(member):
    _, raw = member
    token_user(raw)
    remembered = token_cache.remembered(connections["default"])
    before = remembered.notices

    elsewhere("UPDATE catalogue_apitoken SET last_used_at = now()")

    assert not notice_arrives(timeout=0.3)
    assert statements_of(lambda: token_user(raw))[1] == 0
    assert remembered.notices == before


def test_a_lookup_a_notice_overtook_is_not_kept(member):
    remembered = token_cache.remembered(connections["default"])
    notices = remembered.notices
    found = token_cache.Verified((), (), 1, timezone.now() + timedelta(hours=1), None)

    elsewhere("UPDATE auth_group SET name = name")
    assert notice_arrives()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")  # psycopg reads the notice while it answers this
    remembered.remember("some-hash", found, notices=notices)

    assert remembered.get("some-hash") is None
    assert remembered.notices == notices + 1


def test_nothing_is_kept_inside_a_transaction(member):
    with transaction.atomic():
        assert token_cache.remembered(connections["default"]) is None


def test_nothing_is_kept_without_persistent_connections(member, monkeypatch):
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)

    assert token_cache.remembered(connections["default"]) is None


def test_a_new_connection_forgets_what_the_old_one_kept(member):
    _, raw = member
    token_user(raw)
    connections["default"].close()

    _, statements = statements_of(lambda: token_user(raw))

    assert statements == 1
