"""Runs the conformance suite (conformance.py) against every backend.

To add a backend: one entry in BACKENDS (id, dotted path, constructor options)."""

import pytest

from search.backends import load_backend

from .conformance import BackendConformance
from .corpus import build_corpus

BACKENDS = [
    ("memory", "search.backends.memory.MemoryBackend", {}),
    ("tantivy", "search.backends.tantivy_backend.TantivyBackend", {}),
]


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b[0] for b in BACKENDS])
def backend_spec(request):
    return request.param


def _loaded(spec, directory, documents):
    _, path, options = spec
    backend = load_backend(path, index_dir=directory, **options)
    backend.index_documents(documents)
    backend.refresh()
    return backend


@pytest.fixture(scope="module")
def backend(backend_spec, tmp_path_factory, corpus):
    return _loaded(backend_spec, tmp_path_factory.mktemp("index"), corpus.documents)


@pytest.fixture(scope="module")
def twin(corpus):
    return _loaded(BACKENDS[0], None, corpus.documents)


@pytest.fixture
def empty_backend(backend_spec, tmp_path):
    _, path, options = backend_spec
    return load_backend(path, index_dir=tmp_path / "index", **options)


class TestConformance(BackendConformance):
    pass
