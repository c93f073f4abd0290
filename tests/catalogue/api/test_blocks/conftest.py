"""Fixtures of the block API tests: a dataset with readers, and the personas around it."""

import pytest

from tests.factories import make_dataset, make_user


@pytest.fixture
def dataset(db):
    return make_dataset(access_groups=["p-readers"], shared_with=["sam@example.org"])


@pytest.fixture
def deleter(db, settings):
    settings.DELETE_GROUPS = ["deleters"]
    return make_user("dora", "deleters")


@pytest.fixture
def shared(db):
    return make_user("sam", "nobody")


@pytest.fixture
def personas(owner, member, outsider, admin, shared, deleter):
    return {
        "anonymous": None,
        "owner": owner,
        "member": member,
        "outsider": outsider,
        "admin": admin,
        "shared": shared,
        "deleter": deleter,
    }
