from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalogue.access import ANONYMOUS, Action, Principal, Relation, can
from search import access
from search.access import access_filter

from .corpus import PERSONAS, build_corpus

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.mark.parametrize("action", [Action.READ, Action.DOWNLOAD])
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_engine_filter_agrees_with_the_single_record_rule(corpus, persona, action):
    grants = access_filter(PERSONAS[persona], action, now=corpus.now)

    for dataset, document in zip(corpus.datasets, corpus.documents, strict=True):
        assert grants.allows(document["access"]) == can(PERSONAS[persona], action, dataset)


def test_admins_see_everything_without_a_filter():
    assert access_filter(PERSONAS["admin"]).everything
    superuser = Principal(username="root", is_authenticated=True, is_superuser=True)
    assert access_filter(superuser).everything


def test_lifecycle_managers_read_everything_but_download_only_their_own(settings):
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = ["lifecycle"]
    manager = Principal(username="lm", groups=frozenset({"lifecycle"}), is_authenticated=True)

    assert access_filter(manager, Action.READ).everything
    assert not access_filter(manager, Action.DOWNLOAD).everything


def test_anonymous_users_get_public_datasets_at_the_given_moment_only():
    grants = access_filter(ANONYMOUS, now=NOW)

    assert grants.public_at == NOW and not grants.everything
    assert grants.owner_group == grants.access_groups == grants.shared_with == frozenset()


def test_signed_in_users_bring_their_groups_and_email():
    user = Principal(email="u@example.org", groups=frozenset({"g1", "g2"}), is_authenticated=True)

    grants = access_filter(user, now=NOW)

    assert grants.owner_group == grants.access_groups == {"g1", "g2"}
    assert grants.shared_with == {"u@example.org"}


def test_a_relation_search_cannot_express_fails_loudly(monkeypatch):
    monkeypatch.delitem(access.MEMBERSHIP, Relation.SHARED)

    with pytest.raises(ImproperlyConfigured):
        access_filter(PERSONAS["member"])
