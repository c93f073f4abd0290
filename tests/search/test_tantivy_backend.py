"""What only the tantivy backend has: generations on disk, shared by several processes."""

import threading

import pytest
import tantivy

from search.access import access_filter
from search.backends.base import IndexOutOfDate
from search.backends.tantivy_backend import TantivyBackend, to_tantivy
from search.query import parse_query_string

from .corpus import PERSONAS, build_corpus


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
