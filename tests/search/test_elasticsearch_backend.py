"""What only the Elasticsearch backend has: an alias over timestamped indices, bulk writes, a
server that can fail. Runs against osmem-server (tests/search/es_server.py); the answers
themselves are the conformance suite's (test_conformance.py)."""

import socket
import threading

import pytest

from catalogue.access import SYSTEM
from catalogue.services import dataset_create
from search.access import access_filter
from search.backends import get_backend
from search.backends.base import IndexOutOfDate

pytest.importorskip("elasticsearch", reason="the elasticsearch client is not installed")
from search.backends.elasticsearch_backend import (
    ElasticsearchBackend,
    plain_media_type,
)
from search.backends.es_mapping import LAYOUT, index_settings, mappings
from search.indexing import index_rebuild
from search.query import parse_query_string
from search.service import UNAVAILABLE, search
from tests.factories import dataset_data

from . import es_server
from .corpus import PERSONAS, build_corpus

es_url, es_prefix = es_server.es_url, es_server.es_prefix  # fixtures
BACKEND = "search.backends.elasticsearch_backend.ElasticsearchBackend"


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture
def backend(es_url, es_prefix):
    return ElasticsearchBackend(url=es_url, index_prefix=es_prefix)


def found(backend, corpus, q="", **page):
    request = parse_query_string(q, **page)
    return backend.search(request, access_filter(PERSONAS["admin"], now=corpus.now))


def everything(backend, corpus) -> set[str]:
    return {hit.pid for hit in found(backend, corpus, size=1000).hits}


def copies(corpus, n: int) -> list[dict]:
    documents = corpus.documents
    return [{**documents[i % 30], "pid": f"copy/{i:04d}"} for i in range(n)]


def test_the_client_sends_plain_json_instead_of_compatibility_media_types():
    assert plain_media_type("application/vnd.elasticsearch+json; compatible-with=8") == (
        "application/json"
    )
    assert plain_media_type("application/vnd.elasticsearch+x-ndjson;compatible-with=9") == (
        "application/x-ndjson"
    )
    assert plain_media_type("text/plain") == "text/plain"


def test_the_first_use_creates_an_index_with_the_fedcat_mapping_behind_the_alias(
    backend, es_prefix
):
    assert backend.count() == 0

    [name] = backend.live_indices()
    mapping = backend.client.indices.get_mapping(index=es_prefix)[name]["mappings"]
    analysis = backend.client.indices.get_settings(index=name)[name]["settings"]["index"]
    assert name == f"{es_prefix}-initial"
    assert mapping["_meta"] == {"fedcat_layout": LAYOUT}
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["x_description"] == {"type": "text", "analyzer": "fedcat"}
    assert mapping["properties"]["m_num"]["type"] == "keyword"
    assert "fedcat" in analysis["analysis"]["analyzer"]


def test_settings_name_the_server_and_the_prefix(settings, es_url, es_prefix, corpus):
    settings.ELASTICSEARCH_URL = es_url
    settings.ELASTICSEARCH_INDEX_PREFIX = es_prefix.upper()

    backend = ElasticsearchBackend()
    backend.index_documents(corpus.documents[:2])
    backend.refresh()

    assert backend.alias == es_prefix
    assert everything(backend, corpus) == {"c/01", "c/02"}


def test_bulk_indexing_writes_every_document_in_chunks(es_url, es_prefix, corpus):
    backend = ElasticsearchBackend(url=es_url, index_prefix=es_prefix, chunk_size=7)

    assert backend.index_documents(copies(corpus, 50)) == 50
    backend.refresh()

    assert backend.count() == 50
    assert found(backend, corpus, "zirconia", size=100).total == 4  # copies 22 to 25


def test_a_rebuild_keeps_searches_answering_then_drops_the_old_index(backend, corpus, es_url):
    backend.index_documents(corpus.documents[:3])
    backend.refresh()
    [old] = backend.live_indices()
    reader = ElasticsearchBackend(url=es_url, index_prefix=backend.alias)
    seen_meanwhile = []

    def documents():
        for document in corpus.documents[5:8]:
            yield document
            seen_meanwhile.append(everything(reader, corpus))

    assert backend.rebuild(documents()) == 3

    assert seen_meanwhile == [{"c/01", "c/02", "c/03"}] * 3
    assert everything(reader, corpus) == {"c/06", "c/07", "c/08"}
    [new] = backend.live_indices()
    assert new.startswith(f"{backend.alias}-2") and new != old
    assert not backend.client.indices.exists(index=old)


def test_writes_during_a_rebuild_go_to_the_live_index(backend, corpus, es_url):
    backend.index_documents(corpus.documents[:1])
    worker = ElasticsearchBackend(url=es_url, index_prefix=backend.alias)

    def documents():
        yield corpus.documents[4]
        worker.index_documents(corpus.documents[1:2])  # applied to the old index
        worker.refresh()
        assert everything(worker, corpus) == {"c/01", "c/02"}

    backend.rebuild(documents())

    assert everything(worker, corpus) == {"c/05"}  # index_rebuild re-applies the outbox


def test_a_failed_rebuild_leaves_the_live_index_alone_and_removes_its_own(backend, corpus):
    backend.index_documents(corpus.documents[:3])
    backend.refresh()
    before = backend.live_indices()

    def broken():
        yield corpus.documents[3]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(broken())

    assert backend.live_indices() == before
    assert list(backend.client.indices.get(index=f"{backend.alias}-*")) == before
    assert everything(backend, corpus) == {"c/01", "c/02", "c/03"}


def test_an_index_of_another_layout_asks_for_a_reindex_which_replaces_it(backend, corpus):
    old_mapping = {**mappings(), "_meta": {"fedcat_layout": "fedcat-0.es0"}}
    backend.client.indices.create(
        index=f"{backend.alias}-old",
        settings=index_settings(),
        mappings=old_mapping,
        aliases={backend.alias: {}},
    )

    with pytest.raises(IndexOutOfDate, match="reindex"):
        backend.count()

    backend.rebuild(iter(corpus.documents[:2]))
    assert backend.count() == 2


def test_clear_swaps_in_an_empty_index(backend, corpus):
    backend.index_documents(corpus.documents[:3])
    [old] = backend.live_indices()

    backend.clear()

    assert backend.count() == 0
    assert backend.live_indices() != [old]


def test_equal_sort_keys_are_in_pid_order_whatever_the_write_order(backend, corpus):
    same = [{**corpus.documents[0], "pid": f"same/{i}"} for i in (2, 0, 1)]
    backend.index_documents(same)
    backend.index_documents(same[1:2])  # rewritten: no longer "the last written"
    backend.refresh()

    for query in ("sort:size", "sort:-size", corpus.documents[0]["text"]["dataset_name"]):
        hits = found(backend, corpus, query).hits
        assert [hit.pid for hit in hits] == ["same/0", "same/1", "same/2"]


def test_the_last_page_of_the_paging_window_has_the_exact_total(backend, corpus):
    backend.index_documents(corpus.documents)
    backend.refresh()

    last = found(backend, corpus, "sort:size", page=1000, size=10)

    assert (last.hits, last.total) == ([], 30)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('title~"U.O [T"', {"odd/1"}),
        ('title~"uxo"', set()),
        ('note~"GR*INS ("', {"odd/1"}),
        ('note~"grains"', {"odd/2"}),
        ('Note~"grains"', set()),  # the path keeps its case
    ],
)
def test_contains_ignores_case_but_takes_punctuation_literally(backend, corpus, query, expected):
    document = corpus.documents[0]
    odd = {**document, "pid": "odd/1", "text": {**document["text"], "dataset_name": "Cu.O [test]"}}
    odd["terms"] = {**document["terms"], "dataset_name": ["Cu.O [test]"]}
    odd["metadata_strings"] = {"note": ["gr*ins (raw)"]}
    plain = {**document, "pid": "odd/2", "metadata_strings": {"note": ["Grains"]}}
    backend.index_documents([odd, plain])
    backend.refresh()

    assert {hit.pid for hit in found(backend, corpus, query).hits} == expected


def test_concurrent_first_uses_share_one_initial_index(es_url, es_prefix, corpus):
    backends = [ElasticsearchBackend(url=es_url, index_prefix=es_prefix) for _ in range(4)]
    counts = []
    threads = [threading.Thread(target=lambda b=b: counts.append(b.count())) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert counts == [0, 0, 0, 0]  # none failed
    assert backends[0].live_indices() == [f"{es_prefix}-initial"]


@pytest.mark.django_db
def test_reindex_fills_elasticsearch_from_the_database(settings, index_dir, es_url, es_prefix):
    settings.SEARCH_BACKEND = BACKEND
    settings.SEARCH_BACKEND_OPTIONS = {"url": es_url, "index_prefix": es_prefix}
    made = [
        dataset_create(user=SYSTEM, data=dataset_data(dataset_name=f"Garnet {i}")) for i in range(3)
    ]

    assert index_rebuild() == 3

    result = search(SYSTEM, parse_query_string("garnet"))
    assert {hit.pid for hit in result.hits} == {d.pid for d in made}
    assert isinstance(get_backend(), ElasticsearchBackend)


def test_a_server_error_is_the_services_error_not_an_exception(
    settings, index_dir, es_url, es_prefix
):
    settings.SEARCH_BACKEND = BACKEND
    settings.SEARCH_BACKEND_OPTIONS = {"url": es_url, "index_prefix": es_prefix}
    backend = get_backend()
    backend.count()
    backend.client.indices.close(index=backend.live_indices()[0])

    result = search(None, parse_query_string("quartz", facets=["type"]))

    assert (result.hits, result.total, result.facets) == ([], 0, {"type": []})
    assert result.error == UNAVAILABLE


def test_an_unreachable_server_is_the_services_error_too(settings, index_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends
    settings.SEARCH_BACKEND = BACKEND
    settings.SEARCH_BACKEND_OPTIONS = {"url": f"http://127.0.0.1:{port}", "max_retries": 0}

    result = search(None, parse_query_string(""))

    assert (result.hits, result.total, result.error) == ([], 0, UNAVAILABLE)
