"""What only the tantivy backend has: generations on disk, shared by several processes."""

import threading
from datetime import timedelta

import pytest
import tantivy

from search.access import access_filter
from search.backends.base import IndexOutOfDate
from search.backends.tantivy_backend import TantivyBackend, to_tantivy
from search.query import parse_query_string

from .corpus import PERSONAS, build_corpus

SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def first_document(backend, corpus):
    return tantivy.Document.from_dict(to_tantivy(corpus.documents[0]), backend.schema)


def everything(backend, corpus):
    access = access_filter(PERSONAS["admin"], now=corpus.now)
    return {hit.pid for hit in backend.search(parse_query_string("", size=100), access).hits}


def test_an_index_directory_is_created_on_first_use(tmp_path, corpus):
    backend = TantivyBackend(index_dir=tmp_path / "new" / "index")

    assert backend.count() == 0
    assert (tmp_path / "new" / "index" / "CURRENT").exists()


def test_a_reader_sees_another_processes_commits_and_swapped_generations(tmp_path, corpus):
    worker = TantivyBackend(index_dir=tmp_path)
    web = TantivyBackend(index_dir=tmp_path)
    worker.index_documents(corpus.documents[:2])
    web.refresh()
    assert everything(web, corpus) == {"c/01", "c/02"}

    worker.rebuild(iter(corpus.documents[5:7]))

    assert everything(web, corpus) == {"c/06", "c/07"}


def test_an_index_of_another_layout_asks_for_a_reindex(tmp_path, corpus):
    backend = TantivyBackend(index_dir=tmp_path)
    backend.count()
    generation = tmp_path / (tmp_path / "CURRENT").read_text()
    (generation / "fedcat-layout").write_text("fedcat-0.0")

    with pytest.raises(IndexOutOfDate, match="reindex"):
        TantivyBackend(index_dir=tmp_path).count()


def test_a_failed_rebuild_leaves_the_live_index_alone(tmp_path, corpus):
    backend = TantivyBackend(index_dir=tmp_path)
    backend.index_documents(corpus.documents[:3])

    def broken():
        yield corpus.documents[3]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        backend.rebuild(broken())

    assert everything(backend, corpus) == {"c/01", "c/02", "c/03"}
    assert len(list(tmp_path.glob("gen-*"))) == 1


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path, corpus):
    first = TantivyBackend(index_dir=tmp_path)
    second = TantivyBackend(index_dir=tmp_path, lock_timeout=30)
    done = []

    with first._writer() as writer:
        writer.add_document(first_document(first, corpus))
        thread = threading.Thread(
            target=lambda: done.append(second.index_documents(corpus.documents[1:2]))
        )
        thread.start()
        thread.join(0.3)
        assert done == []  # still waiting for the lock
    thread.join()

    assert done == [1]
    second.refresh()
    assert everything(second, corpus) == {"c/01", "c/02"}


def test_a_writer_gives_up_after_its_lock_timeout(tmp_path, corpus):
    first = TantivyBackend(index_dir=tmp_path)
    impatient = TantivyBackend(index_dir=tmp_path, lock_timeout=0)

    with first._writer(), pytest.raises(ValueError, match="LockBusy"):
        impatient.index_documents(corpus.documents[:1])


@pytest.fixture
def counted_facets(monkeypatch):
    """Counts the aggregations tantivy is asked for."""
    from search.backends import tantivy_facets

    calls = []
    real = tantivy_facets.facet_counts

    def counting(*args):
        calls.append(args[2])
        return real(*args)

    monkeypatch.setattr(tantivy_facets, "facet_counts", counting)
    return calls


def test_facet_counts_are_reused_for_other_pages_and_orders(tmp_path, corpus, counted_facets):
    backend = TantivyBackend(index_dir=tmp_path)
    backend.index_documents(corpus.documents)
    access = access_filter(PERSONAS["member"], now=corpus.now)

    pages = [
        backend.search(parse_query_string(q, page=page, size=3, facets=["type"]), access)
        for q, page in (("", 1), ("", 2), ("sort:name", 1))
    ]

    assert len(counted_facets) == 1
    assert pages[0].facets == pages[1].facets == pages[2].facets
    assert pages[0].hits != pages[1].hits


def test_the_facet_cache_setting_zero_counts_the_facets_for_every_search(
    tmp_path, corpus, counted_facets, settings
):
    settings.SEARCH_FACET_CACHE = 0
    backend = TantivyBackend(index_dir=tmp_path)
    backend.index_documents(corpus.documents)
    access = access_filter(PERSONAS["member"], now=corpus.now)
    request = parse_query_string("", facets=["type"])

    first, second = (backend.search(request, access) for _ in range(2))

    assert len(counted_facets) == 2
    assert first.facets == second.facets and first.total == second.total


def test_a_commit_or_another_user_counts_the_facets_again(tmp_path, corpus, counted_facets):
    backend = TantivyBackend(index_dir=tmp_path)
    backend.index_documents(corpus.documents[:10])
    member = access_filter(PERSONAS["member"], now=corpus.now)
    request = parse_query_string("", facets=["type"])

    before = backend.search(request, member).facets
    backend.search(request, access_filter(PERSONAS["owner"], now=corpus.now))
    backend.index_documents(corpus.documents[10:])
    after = backend.search(request, member).facets

    assert len(counted_facets) == 3
    assert before != after


def test_facets_of_an_earlier_moment_are_reused_until_an_embargo_ends(
    tmp_path, corpus, counted_facets
):
    from datetime import timedelta

    backend = TantivyBackend(index_dir=tmp_path)
    backend.index_documents(corpus.documents)
    request = parse_query_string("", facets=["type"])
    outsider = PERSONAS["outsider"]

    backend.search(request, access_filter(outsider, now=corpus.now))
    backend.search(request, access_filter(outsider, now=corpus.now + timedelta(minutes=5)))
    later = backend.search(request, access_filter(outsider, now=corpus.now + timedelta(days=401)))

    assert len(counted_facets) == 2  # c/15's embargo ended in between
    assert later.total == sum(count for _, count in later.facets["type"])


@pytest.mark.parametrize("persona", ["anonymous", "member", "admin"])
@pytest.mark.parametrize("q", ["", "sort:-date", "sample", "type:raw"])
def test_the_total_counted_with_the_facets_is_the_total_counted_without(
    tmp_path, corpus, persona, q
):
    backend = TantivyBackend(index_dir=tmp_path, facet_cache=0)
    backend.index_documents(corpus.documents)
    access = access_filter(PERSONAS[persona], now=corpus.now)

    plain = backend.search(parse_query_string(q, size=2), access)
    faceted = backend.search(parse_query_string(q, size=2, facets=["type", "keywords"]), access)
    every = backend.search(parse_query_string(q, size=100), access)

    assert faceted.total == plain.total == len(every.hits)
    assert [hit.pid for hit in faceted.hits] == [hit.pid for hit in plain.hits]


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "member"])
def test_an_ended_embargo_shows_the_dataset_to_everyone_from_that_second(tmp_path, corpus, persona):
    embargoed = next(d for d in corpus.datasets if d.embargo_end and d.embargo_end > corpus.now)
    backend = TantivyBackend(index_dir=tmp_path, facet_cache=0)
    backend.index_documents(corpus.documents)
    user = PERSONAS[persona]

    def pids(moment):
        request = parse_query_string("", size=100)
        return {hit.pid for hit in backend.search(request, access_filter(user, now=moment)).hits}

    end = embargoed.embargo_end.replace(microsecond=0)
    ending = {d.pid for d in corpus.datasets if d.embargo_end and d.embargo_end >= end}
    ending &= {d.pid for d in corpus.datasets if d.embargo_end and d.embargo_end < end + SECOND}
    assert embargoed.pid in pids(end) - pids(end - SECOND) <= ending


def _tied(corpus, pid: str) -> dict:
    """The first corpus document under another pid: equal in every sort key and every score."""
    return {**corpus.documents[0], "pid": pid}


def test_ties_between_pids_sharing_their_first_24_bytes_are_in_full_pid_order(tmp_path, corpus):
    backend = TantivyBackend(index_dir=tmp_path)
    prefix = "10.5072/fedcat-2026-11-run-"  # longer than the 24 bytes of the pid columns
    pids = [prefix + suffix for suffix in ("b", "a", "ab", "", "0")]
    backend.index_documents([_tied(corpus, pid) for pid in pids])
    access = access_filter(PERSONAS["admin"], now=corpus.now)
    word = corpus.documents[0]["text"]["dataset_name"].split()[0]

    for q in ("sort:size", "sort:-date", word):
        hits = backend.search(parse_query_string(q), access).hits
        assert [hit.pid for hit in hits] == sorted(pids)


def test_a_long_run_of_equal_scores_pages_without_overlap(tmp_path, corpus):
    from search.backends.tantivy_order import RELEVANCE_TIES

    backend = TantivyBackend(index_dir=tmp_path)
    pids = [f"run/{n:04d}" for n in range(RELEVANCE_TIES + 50)]
    backend.index_documents([_tied(corpus, pid) for pid in reversed(pids)])
    access = access_filter(PERSONAS["admin"], now=corpus.now)
    word = corpus.documents[0]["text"]["dataset_name"].split()[0]

    pages = [
        [hit.pid for hit in backend.search(parse_query_string(word, page=n, size=50), access).hits]
        for n in range(1, 7)
    ]

    assert sorted(pid for page in pages for pid in page) == pids
