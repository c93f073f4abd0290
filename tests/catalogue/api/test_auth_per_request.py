"""What a token costs each API request, and that nothing about it is remembered between
requests: a revoked token, a deactivated user or a changed group counts on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import ApiToken
from catalogue.services.tokens import tokens_revoke
from tests.factories import make_dataset

from .test_datasets_helpers import (
    BASE,
    group_settings,  # noqa: F401 (autouse)
    with_params,
)

pytestmark = pytest.mark.django_db
COUNT = f"{BASE}/count"


def statements(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        with_params(COUNT, filter={"where": {"ownerGroup": "p-owner"}}),
        with_params(COUNT, filter={"where": {"pid": "no-such-pid"}}),
        with_params(BASE, filter={"where": {"ownerGroup": "p-owner"}, "limit": 100}),
        with_params(BASE, filter={"where": {"ownerGroup": "p-other"}, "limit": 100}),
    ],
)
def test_a_signed_in_read_sends_one_statement_for_the_caller_and_one_for_the_data(api, owner, url):
    make_dataset()
    make_dataset(owner_group="p-other")
    client = api(owner)
    client.get(url)  # the token's first use also writes its last_used_at

    assert statements(client, url) == 2
    assert statements(api(), url) == 1


def test_a_token_revoked_by_an_admin_stops_working_on_the_next_request(api, owner):
    make_dataset()
    client = api(owner)
    assert client.get(COUNT).json() == {"count": 1}

    tokens_revoke(ids=ApiToken.objects.filter(user=owner).values_list("pk", flat=True))

    assert client.get(COUNT).json() == {"count": 0}
    assert client.get("/api/v3/auth/whoami").status_code == 401


def test_leaving_a_group_counts_on_the_next_request(api, owner):
    make_dataset()
    client = api(owner)
    assert client.get(COUNT).json() == {"count": 1}

    owner.groups.clear()

    assert client.get(COUNT).json() == {"count": 0}


def test_a_deactivated_user_is_anonymous_on_the_next_request(api, owner):
    client = api(owner)
    assert client.get("/api/v3/auth/whoami").status_code == 200

    owner.is_active = False
    owner.save()

    assert client.get("/api/v3/auth/whoami").status_code == 401
