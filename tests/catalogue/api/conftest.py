"""Fixtures of the SciCat API tests; the personas themselves are in tests/conftest.py."""

import pytest

from .clients import client_for


@pytest.fixture
def api(db):
    """`api(user)`: a client that sends `user`'s Bearer token (`api()`: anonymous)."""
    return client_for
