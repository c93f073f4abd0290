"""Who sees and changes what, through the HTTP API: every persona against every dataset state,
for list, count, GET by pid, fullquery, fullfacet, PATCH and DELETE.

The users, tokens and datasets are made once for the module inside a transaction rolled back
at the end; each test's own transaction (which may patch or delete) nests inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from catalogue.models import Dataset
from catalogue.services.tokens import token_issue
from tests.factories import make_dataset, make_user

from .test_datasets_helpers import (
    BASE,
    group_settings,  # noqa: F401 (autouse)
    item_url,
    pids,
    with_params,
)

STATES = {
    "private": {"owner_group": "p-owner", "keywords": ["x", "y"]},
    "access": {"owner_group": "q-other", "access_groups": ["p-readers"], "keywords": ["x"]},
    "shared": {"owner_group": "q-other", "shared_with": ["Sam@Example.org"], "keywords": ["x"]},
    "published": {"owner_group": "q-other", "is_published": True, "keywords": ["x"]},
    "hidden": {"owner_group": "q-other", "keywords": ["x", "secret"]},
}
ALL = set(STATES)
# What GET /Datasets, /count and GET by pid let each persona read (the access rules).
READABLE = {
    "owner": {"private", "published"},
    "member": {"access", "published"},
    "shared": {"shared", "published"},
    "outsider": {"published"},
    "anonymous": {"published"},
    "admin": ALL,
    "deleter": {"published"},
    "lifecycle": ALL,
}
# fullquery/fullfacet: upstream's narrower scope on top (own groups only, or everything for
# admins and lifecycle managers; published data only when isPublished: true is sent).
SEARCHABLE = {
    "owner": {"private"},
    "member": {"access"},
    "shared": set(),
    "outsider": set(),
    "anonymous": {"published"},
    "admin": ALL,
    "deleter": set(),
    "lifecycle": ALL,
}
PATCHABLE = {"owner": {"private"}, "admin": ALL}
DELETABLE = {"deleter": ALL}
PERSONAS = list(READABLE)


@dataclass
class World:
    tokens: dict[str, str | None]
    pids: dict[str, str]

    def client(self, persona: str):
        from rest_framework.test import APIClient

        client = APIClient()
        if self.tokens[persona]:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[persona]}")
        return client

    def states(self, pid_set: set[str]) -> set[str]:
        by_pid = {pid: state for state, pid in self.pids.items()}
        return {by_pid[pid] for pid in pid_set}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        users = {
            "owner": make_user("olga", "p-owner"),
            "member": make_user("mark", "p-readers"),
            "shared": make_user("sam", email="sam@example.org"),
            "outsider": make_user("otto", "other-group"),
            "admin": make_user("adam", "admin"),
            "deleter": make_user("dirk", "deleters"),
            "lifecycle": make_user("arch", "archivemanager"),
        }
        tokens = {name: token_issue(user=user)[0] for name, user in users.items()}
        tokens["anonymous"] = None
        datasets = {
            state: make_dataset(pid=f"fedcat/{state}", embargo_end=None, **fields)
            for state, fields in STATES.items()
        }
        yield World(tokens=tokens, pids={s: d.pid for s, d in datasets.items()})
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_count_show_what_the_rules_let_read(world, persona):
    client = world.client(persona)

    listed = world.states(pids(client.get(BASE)))
    counted = client.get(f"{BASE}/count").json()["count"]

    assert listed == READABLE[persona]
    assert counted == len(READABLE[persona])


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("state", list(STATES))
def test_get_by_pid_is_200_when_readable_else_403(world, persona, state):
    response = world.client(persona).get(item_url(world.pids[state]))

    expected = 200 if state in READABLE[persona] else 403
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_fullquery_shows_upstreams_scope_within_what_is_readable(world, persona):
    response = world.client(persona).get(f"{BASE}/fullquery")

    found = world.states(pids(response))
    assert found == SEARCHABLE[persona]
    assert found <= READABLE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_fullquery_with_is_published_shows_the_published_data(world, persona):
    url = with_params(f"{BASE}/fullquery", fields={"isPublished": True})

    assert world.states(pids(world.client(persona).get(url))) == {"published"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_fullfacet_counts_only_what_the_persona_may_list(world, persona):
    url = with_params(f"{BASE}/fullfacet", facets=["keywords", "ownerGroup"])

    response = world.client(persona).get(url)

    assert response.status_code == 200
    facets = response.json()[0]
    scope = SEARCHABLE[persona]
    keywords = {item["_id"]: item["count"] for item in facets["keywords"]}
    expected = {}
    for state in scope:
        for keyword in STATES[state]["keywords"]:
            expected[keyword] = expected.get(keyword, 0) + 1
    assert keywords == expected
    assert "secret" not in keywords or "hidden" in READABLE[persona]
    assert sum(item["count"] for item in facets["ownerGroup"]) == len(scope)
    assert facets["all"] == ([{"totalSets": len(scope)}] if scope else [])


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_mode_facets_count_published_data_only(world, persona):
    url = with_params(f"{BASE}/fullfacet", fields={"isPublished": True}, facets=["keywords"])

    facets = world.client(persona).get(url).json()[0]

    assert facets["keywords"] == [{"_id": "x", "count": 1}]
    assert facets["all"] == [{"totalSets": 1}]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("state", list(STATES))
def test_patch_is_for_owners_and_admins(world, persona, state):
    pid = world.pids[state]

    response = world.client(persona).patch(item_url(pid), {"comment": "hi"}, format="json")

    allowed = state in PATCHABLE.get(persona, set())
    assert response.status_code == (200 if allowed else 403)
    assert Dataset.objects.get(pid=pid).comment == ("hi" if allowed else "")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("state", ["private", "published"])
def test_delete_is_for_delete_groups_only(world, persona, state):
    pid = world.pids[state]

    response = world.client(persona).delete(item_url(pid))

    allowed = state in DELETABLE.get(persona, set())
    assert response.status_code == (200 if allowed else 403)
    assert Dataset.objects.filter(pid=pid).exists() is not allowed
