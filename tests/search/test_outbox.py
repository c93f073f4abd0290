from datetime import timedelta
from unittest.mock import Mock

import pytest
from django.db import transaction
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.services import dataset_create, dataset_delete, dataset_update
from search import indexing, tasks
from search.backends import get_backend
from search.indexing import outbox_apply
from search.models import IndexOutbox
from search.outbox import record, record_many
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
    return [hit.pid for hit in search(user, parse_query_string(q)).hits]


def test_record_writes_a_pending_row():
    dataset = make()

    record(dataset, "upsert")

    row = IndexOutbox.objects.get()
    assert (row.dataset_pid, row.operation, row.applied_at, row.attempts) == (
        dataset.pid,
        "upsert",
        None,
        0,
    )


def test_a_rolled_back_change_leaves_no_outbox_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        record("fedcat/1", "upsert")
        raise RuntimeError("the dataset write failed")

    assert not IndexOutbox.objects.exists()


def test_one_apply_task_is_sent_per_transaction_after_the_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    delay = Mock()
    monkeypatch.setattr(tasks.apply_outbox, "delay", delay)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            record("fedcat/1", "upsert")
            record("fedcat/2", "delete")
            record_many(["fedcat/3", "fedcat/4"], "upsert")
        assert delay.call_count == 0

    assert len(callbacks) == 1
    assert delay.call_count == 1
    assert IndexOutbox.objects.count() == 4


def test_applying_the_outbox_makes_a_new_dataset_searchable(index_dir, owner):
    dataset = make(dataset_name="Quartz crystal")
    record(dataset, "upsert")
    assert found(owner, "quartz") == []

    assert outbox_apply() == 1

    assert found(owner, "quartz") == [dataset.pid]
    assert IndexOutbox.objects.get().applied_at is not None


def test_updates_and_deletes_reach_the_index(index_dir, admin):
    dataset = make(dataset_name="Quartz")
    record(dataset, "upsert")
    outbox_apply()

    dataset_update(user=SYSTEM, dataset=dataset, changes={"dataset_name": "Feldspar"})
    record(dataset, "upsert")
    outbox_apply()
    assert (found(admin, "quartz"), found(admin, "feldspar")) == ([], [dataset.pid])

    record(dataset, "delete")
    dataset_delete(user=SYSTEM, dataset=dataset)
    outbox_apply()
    assert found(admin) == []


def test_a_failing_index_keeps_the_rows_and_counts_the_attempts(index_dir, monkeypatch):
    dataset = make()
    record(dataset, "upsert")
    monkeypatch.setattr(get_backend(), "index_documents", Mock(side_effect=OSError("disk full")))

    with pytest.raises(OSError):
        outbox_apply()

    row = IndexOutbox.objects.get()
    assert (row.applied_at, row.attempts, row.last_error) == (None, 1, "OSError: disk full")
    monkeypatch.undo()
    assert outbox_apply() == 1


def test_one_bad_dataset_does_not_block_the_others(index_dir, monkeypatch, admin):
    good, bad = make(), make()
    record(good, "upsert")
    record(bad, "upsert")
    real = indexing.documents_for

    def documents_for(datasets):
        datasets = list(datasets)
        if any(dataset.pid == bad.pid for dataset in datasets):
            raise ValueError("broken metadata")
        return real(datasets)

    monkeypatch.setattr(indexing, "documents_for", documents_for)

    assert outbox_apply() == 1
    rows = {row.dataset_pid: row for row in IndexOutbox.objects.all()}
    assert rows[good.pid].applied_at is not None and rows[bad.pid].applied_at is None
    assert rows[bad.pid].attempts == 1 and "broken metadata" in rows[bad.pid].last_error
    assert found(admin) == [good.pid]


def test_applied_rows_are_kept_a_day_then_purged(index_dir):
    old = record("fedcat/old", "delete")
    IndexOutbox.objects.filter(pk=old.pk).update(applied_at=timezone.now() - timedelta(days=2))
    recent = record("fedcat/recent", "delete")

    outbox_apply()

    assert list(IndexOutbox.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_celery_task_applies_the_outbox(index_dir, admin):
    dataset = make()
    record(dataset, "upsert")

    assert tasks.apply_outbox.apply().get() == 1
    assert found(admin) == [dataset.pid]


def test_the_dataset_services_queue_every_change_for_the_index():
    dataset = dataset_create(user=SYSTEM, data=dataset_data())
    dataset_update(user=SYSTEM, dataset=dataset, changes={"dataset_name": "Renamed"})
    dataset_delete(user=SYSTEM, dataset=dataset)

    operations = list(
        IndexOutbox.objects.filter(dataset_pid=dataset.pid)
        .order_by("id")
        .values_list("operation", flat=True)
    )
    assert operations == ["upsert", "upsert", "delete"]
