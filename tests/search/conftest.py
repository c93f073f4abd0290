"""Search fixtures: every test that touches an index gets its own index directory."""

import pytest

from search.backends import get_backend, reset_backends


@pytest.fixture
def index_dir(settings, tmp_path):
    """A fresh SEARCH_INDEX_DIR for this test (the configured backend, tantivy by default)."""
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    yield settings.SEARCH_INDEX_DIR
    reset_backends()


@pytest.fixture
def backend(index_dir):
    return get_backend()
