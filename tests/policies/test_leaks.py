"""The leak suite: every read path × every dataset state × every persona, under both settings of
EMBARGO_METADATA_PUBLIC, compared with a small table of what the permission semantics allow.

The expectations below are written by hand from docs/access-rules.md, not computed by
catalogue.access: a change of the rules, or a path that forgets them, fails here. Each test is
one (policy, persona, path) and checks all seven states at once; a failure names the states a
path showed that it must not have ("leaks") or hid that it must show ("hides").

States (tests/policies/leak_world.py): private (owner group only), group (an access group),
shared (sharedWith the shared user), embargoed (ends in a year), ended (embargo over, not yet
released by the job), published, withdrawn (published; its DOI withdrawn).
Paths: tests/policies/leak_probes.py. Federation paths are probed when their routes exist.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings

from catalogue.access import PERMISSIONS, Action, Relation
from search.backends import reset_backends

from .leak_probes import PROBES, Ask, path_exists
from .leak_world import PERSONAS, STATES, build_world

# R: may read the record; D: may download the files; U: may change it; -: none of them.
# Columns in STATES order. With EMBARGO_METADATA_PUBLIC the embargoed dataset's record is
# public: R for everybody.
EXPECTED = """
persona      private group shared embargoed ended published withdrawn
anonymous    -       -     -      -         RD    RD        RD
outsider     -       -     -      -         RD    RD        RD
shared_user  -       -     RD     -         RD    RD        RD
member       -       RD    -      -         RD    RD        RD
owner        RDU     RDU   RDU    RDU       RDU   RDU       RDU
admin        RDU     RDU   RDU    RDU       RDU   RDU       RDU
"""
POLICIES = {"metadata-closed": False, "metadata-open": True}


def _table() -> dict[str, dict[str, str]]:
    header, *rows = EXPECTED.strip().splitlines()
    states = header.split()[1:]
    assert tuple(states) == STATES, "the table's columns and the world's states differ"
    table = {row.split()[0]: dict(zip(states, row.split()[1:], strict=True)) for row in rows}
    assert tuple(table) == PERSONAS, "the table's rows and the world's personas differ"
    return table


TABLE = _table()


def allowed(persona: str, state: str, level: str, metadata_public: bool) -> bool:
    cell = TABLE[persona][state]
    if metadata_public and state == "embargoed" and level == "read":
        return True
    return {"read": "R", "download": "D", "update": "U"}[level] in cell


def expected_states(probe, persona: str, metadata_public: bool) -> set[str]:
    who = "anonymous" if probe.public else persona
    return {
        state
        for state in STATES
        if state not in probe.closed and allowed(who, state, probe.level, metadata_public)
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    storage = tmp_path_factory.mktemp("leak-storage")
    pinned = override_settings(
        DOWNLOAD_ROOTS=[str(storage)],
        DOWNLOAD_X_ACCEL_PREFIX="",
        SEARCH_INDEX_DIR=tmp_path_factory.mktemp("leak-index"),
        ADMIN_GROUPS=["admin"],
        DELETE_GROUPS=[],
        UPDATE_DATASET_LIFECYCLE_GROUPS=[],
        ACCESS_GROUPS_STATIC_VALUES=[],
        EMBARGO_METADATA_PUBLIC=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    pinned.enable()
    reset_backends()
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            yield build_world(storage)
            transaction.set_rollback(True)
    finally:
        reset_backends()
        pinned.disable()


pytestmark = pytest.mark.django_db


def _ask(world, persona: str) -> Ask:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return Ask(client, world, persona)


def check(probe, persona: str, metadata_public: bool, shown: set[str]) -> None:
    wanted = expected_states(probe, persona, metadata_public)
    leaks = sorted(shown - wanted)
    assert not leaks, f"{probe.name} leaks {leaks} to {persona}"
    if probe.exact:
        hides = sorted(wanted - shown)
        assert not hides, f"{probe.name} hides {hides} from {persona}"


CASES = [
    pytest.param(policy, persona, probe, id=f"{policy}-{persona}-{probe.name}")
    for policy in POLICIES
    for persona in PERSONAS
    for probe in PROBES
]


@pytest.mark.parametrize(("policy", "persona", "probe"), CASES)
def test_no_path_shows_what_the_rules_do_not_allow(world, settings, policy, persona, probe):
    if probe.needs and not path_exists(probe.needs):
        # TODO(federation): the federation export (search/federation/) is being built; the
        # probe runs as soon as its route resolves.
        pytest.skip(f"{probe.needs} is not routed yet")
    settings.EMBARGO_METADATA_PUBLIC = POLICIES[policy]
    cache.clear()  # per-scope caches (metadata keys) must not answer for the other setting

    shown = probe.run(_ask(world, persona))

    check(probe, persona, POLICIES[policy], shown)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_every_probe_shows_something_to_its_witness(world, probe):
    # Guards the suite itself: a probe broken into showing nothing would pass every leak test.
    if probe.needs and not path_exists(probe.needs):
        pytest.skip(f"{probe.needs} is not routed yet")
    if probe.guard_only:
        pytest.skip(f"{probe.name} names publications only, never datasets")
    cache.clear()

    shown = probe.run(_ask(world, probe.witness))

    assert shown, f"{probe.name} shows nothing even to {probe.witness}: the probe is broken"


def test_the_suite_catches_a_deliberate_leak(world, monkeypatch):
    # Files of embargoed datasets opened to everybody who may read the record: the download
    # paths must then fail the check. (Done once by hand for every path; kept for one here.)
    monkeypatch.setitem(
        PERMISSIONS, Action.DOWNLOAD, PERMISSIONS[Action.DOWNLOAD] | {Relation.EMBARGOED}
    )
    monkeypatch.setattr("django.conf.settings.EMBARGO_METADATA_PUBLIC", True, raising=False)
    probe = next(p for p in PROBES if p.name == "api_origdatablocks")

    shown = probe.run(_ask(world, "outsider"))

    assert "embargoed" in shown
    with pytest.raises(AssertionError, match="leaks \\['embargoed'\\]"):
        check(probe, "outsider", True, shown)


def test_the_table_follows_the_documented_semantics():
    # Read without download exists only for the embargoed record with public metadata.
    for persona in PERSONAS:
        for state in STATES:
            for public in (False, True):
                if allowed(persona, state, "download", public):
                    assert allowed(persona, state, "read", public)
    assert allowed("anonymous", "embargoed", "read", True)
    assert not allowed("anonymous", "embargoed", "download", True)
