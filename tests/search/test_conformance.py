"""Runs the conformance suite (conformance.py) against every backend.

To add a backend: one entry in BACKENDS (id, dotted path, whether its scores are tantivy's).
Elasticsearch runs against osmem-server (tests/search/es_server.py), whose BM25 is bleve's,
not Lucene's nor tantivy's: there, answers to text queries are compared with the twin as sets,
counts, facets and snippets, and orders only where a sort makes them unambiguous."""

import pytest

from search.backends import load_backend
from search.query import FACETS

from . import es_server
from .conformance import TWIN_QUERIES, BackendConformance, ask, pids
from .corpus import build_corpus
from .es_server import delete_indices, new_prefix

es_url = es_server.es_url  # a fixture

BACKENDS = [
    ("memory", "search.backends.memory.MemoryBackend", True),
    ("tantivy", "search.backends.tantivy_backend.TantivyBackend", True),
    ("elasticsearch", "search.backends.elasticsearch_backend.ElasticsearchBackend", False),
]


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b[0] for b in BACKENDS])
def backend_spec(request):
    return request.param


def _new(spec, directory, request):
    """A backend; for Elasticsearch, with an index prefix of its own, dropped afterwards."""
    name, path, _ = spec
    options = {}
    if name == "elasticsearch":
        url = request.getfixturevalue("es_url")
        options = {"url": url, "index_prefix": new_prefix()}
        request.addfinalizer(lambda: delete_indices(url, options["index_prefix"]))
    return load_backend(path, index_dir=directory, **options)


@pytest.fixture(scope="module")
def backend(backend_spec, tmp_path_factory, corpus, request):
    loaded = _new(backend_spec, tmp_path_factory.mktemp("index"), request)
    loaded.index_documents(corpus.documents)
    loaded.refresh()
    return loaded


@pytest.fixture(scope="module")
def twin(corpus):
    loaded = load_backend(BACKENDS[0][1], index_dir=None)
    loaded.index_documents(corpus.documents)
    return loaded


@pytest.fixture
def empty_backend(backend_spec, tmp_path, request):
    return _new(backend_spec, tmp_path / "index", request)


class TestConformance(BackendConformance):
    @pytest.mark.parametrize("query", TWIN_QUERIES)
    def test_answers_match_the_memory_twin(self, backend, twin, corpus, query, backend_spec):
        if backend_spec[2]:
            return super().test_answers_match_the_memory_twin(backend, twin, corpus, query)
        got = ask(backend, corpus, query, persona="member", facets=FACETS, size=50)
        want = ask(twin, corpus, query, persona="member", facets=FACETS, size=50)

        assert (set(pids(got)), got.total, got.facets) == (set(pids(want)), want.total, want.facets)
        assert {h.pid: h.highlights for h in got.hits} == {h.pid: h.highlights for h in want.hits}
        assert {h.score is None for h in got.hits} <= {h.score is None for h in want.hits}
        if all(hit.score is None for hit in want.hits):  # sorted by a key: the same order
            assert pids(got) == pids(want)
