"""Shared fixtures: named personas. Factories live in tests/factories.py."""

import tempfile
from pathlib import Path

import pytest

from tests.factories import make_user


def pytest_configure(config):
    from django.conf import settings

    # Real password hashing costs ~0.2 s per user; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests never write into the site's own search index.
    settings.SEARCH_INDEX_DIR = Path(tempfile.mkdtemp(prefix="fedcat-test-index-"))


@pytest.fixture
def owner(db):
    """A member of the owner group p-owner."""
    return make_user("olivia", "p-owner")


@pytest.fixture
def member(db):
    """A member of the access group p-readers."""
    return make_user("mike", "p-readers")


@pytest.fixture
def outsider(db):
    """Signed in, in no group that matters."""
    return make_user("oscar", "other-group")


@pytest.fixture
def admin(db):
    return make_user("ada", "admin")
