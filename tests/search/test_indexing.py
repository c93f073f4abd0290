from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import dataset_create, dataset_update
from search import indexing
from search.backends import get_backend
from search.indexing import index_check, index_datasets, index_rebuild, outbox_apply
from search.models import IndexOutbox
from search.outbox import record
from search.query import parse_query_string
from search.service import search
from tests.factories import dataset_data

pytestmark = pytest.mark.django_db


def make(**fields):
    dataset = dataset_create(user=SYSTEM, data=dataset_data(**fields))
    # The service queued the new dataset for the index; these tests drive the outbox themselves.
    IndexOutbox.objects.filter(dataset_pid=dataset.pid).delete()
    return dataset


def found(user, q=""):
    return sorted(hit.pid for hit in search(user, parse_query_string(q)).hits)


def test_reindex_rebuilds_the_index_from_the_database(index_dir, admin):
    datasets = [make(dataset_name=f"Olivine {n}") for n in range(3)]
    out = StringIO()

    call_command("reindex", "--no-progress", stdout=out)

    assert found(admin, "olivine") == sorted(d.pid for d in datasets)
    assert "Indexed 3 datasets." in out.getvalue()


def test_reindex_swaps_in_a_new_generation_and_drops_older_ones(index_dir, admin):
    make()
    call_command("reindex", "--no-progress", stdout=StringIO())
    first = (index_dir / "CURRENT").read_text()

    call_command("reindex", "--no-progress", stdout=StringIO())
    call_command("reindex", "--no-progress", stdout=StringIO())

    generations = sorted(p.name for p in index_dir.glob("gen-*"))
    assert first not in generations and len(generations) == 2
    assert (index_dir / "CURRENT").read_text() in generations
    assert len(found(admin)) == 1


def test_changes_applied_while_a_rebuild_ran_are_applied_again(index_dir, admin, monkeypatch):
    dataset = make(dataset_name="Pyrite")
    real = indexing.iter_documents

    def slow_reader(**options):
        for document in real(**options):
            yield document
            # Meanwhile, a user renames the dataset and the worker applies it to the old index.
            changed = dataset_update(
                user=SYSTEM, dataset=dataset, changes={"dataset_name": "Galena"}
            )
            record(changed, "upsert")
            outbox_apply()

    monkeypatch.setattr(indexing, "iter_documents", slow_reader)

    index_rebuild()

    assert (found(admin, "pyrite"), found(admin, "galena")) == ([], [dataset.pid])


def test_search_check_finds_nothing_wrong_after_a_reindex(index_dir):
    make()
    call_command("reindex", "--no-progress", stdout=StringIO())
    out = StringIO()

    call_command("search_check", stdout=out)

    assert "The index agrees with the database." in out.getvalue()


def test_search_check_reports_missing_stale_and_orphaned_documents(index_dir):
    missing, stale, orphaned, fine = make(), make(), make(), make()
    index_datasets([stale.pid, orphaned.pid, fine.pid])
    # Changed without the outbox (versions are whole seconds, so a clear step forward).
    Dataset.objects.filter(pk=stale.pk).update(updated_at=F("updated_at") + timedelta(seconds=5))
    Dataset.objects.filter(pk=orphaned.pk).delete()  # behind the index's back

    report = index_check()

    assert (report.missing, report.stale, report.orphaned) == (
        [missing.pid],
        [stale.pid],
        [orphaned.pid],
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("search_check", stdout=out)
    assert orphaned.pid in out.getvalue() and "1 missing from the index" in out.getvalue()


def test_search_check_fix_repairs_the_index(index_dir):
    make()
    gone = make()
    index_datasets(Dataset.objects.values_list("pid", flat=True))
    Dataset.objects.filter(pk=gone.pk).delete()
    make()

    call_command("search_check", "--fix", stdout=StringIO())

    assert index_check().ok
    assert get_backend().count() == 2


def test_search_check_leaves_changes_in_flight_alone_and_counts_stuck_rows(index_dir):
    waiting = make()
    record(waiting, "upsert")
    stuck = record("fedcat/broken", "upsert")
    IndexOutbox.objects.filter(pk=stuck.pk).update(attempts=indexing.MAX_ATTEMPTS)

    report = index_check()

    assert (report.missing, report.pending, report.stuck) == ([], 1, 1)
    assert not report.ok


@pytest.mark.django_db(transaction=True)
def test_documents_built_by_worker_processes_are_the_same_in_the_same_order(index_dir):
    """On an in-memory SQLite test database the reader stays in this process (nothing to
    fork into); on PostgreSQL two processes build the pages."""
    from search.documents import iter_documents

    datasets = [make(dataset_name=f"Olivine {n}") for n in range(7)]

    alone = list(iter_documents(batch_size=3))
    forked = list(iter_documents(batch_size=3, workers=2))

    assert [d["pid"] for d in forked] == [d.pid for d in datasets]
    assert forked == alone


def test_reindex_with_worker_processes_indexes_everything(index_dir, admin):
    datasets = [make(dataset_name=f"Olivine {n}") for n in range(3)]

    call_command("reindex", "--no-progress", "--workers", "2", stdout=StringIO())

    assert found(admin, "olivine") == sorted(d.pid for d in datasets)


def test_pending_pids_lists_waiting_changes_or_says_the_index_is_behind(index_dir):
    first, second = make(), make()
    record(first, "upsert")
    record(second, "upsert")
    record(first, "upsert")

    assert indexing.pending_pids() == [first.pid, second.pid]
    assert indexing.pending_pids(limit=1) is None
    outbox_apply()
    assert indexing.pending_pids() == []
