"""Catalogue tasks run by a real Celery worker process, through the configured broker.

The filesystem broker by default; Redis when CELERY_BROKER_URL says so (as in CI).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import origdatablock_add
from catalogue.tasks import dataset_recount, heartbeat_path, worker_heartbeat
from tests.factories import make_dataset
from tests.worker import celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    with celery_worker(tmp_path_factory.mktemp("worker")) as running:
        yield running


class Rollback(Exception):
    pass


def heartbeat_after(moment: datetime) -> datetime | None:
    """The heartbeat's timestamp if the file exists and was written after `moment`."""
    try:
        stamp = datetime.fromisoformat(heartbeat_path().read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return stamp if stamp >= moment else None


def dataset_with_files(sizes=(1000, 2345)) -> Dataset:
    """A dataset with one origdatablock holding files of the given sizes, counts correct."""
    dataset = make_dataset()
    files = [{"path": f"scan_{n}.h5", "size": size} for n, size in enumerate(sizes)]
    origdatablock_add(user=SYSTEM, dataset=dataset, files=files)
    return dataset


def corrupt_counts(dataset: Dataset) -> None:
    Dataset.objects.filter(pk=dataset.pk).update(size=1, number_of_files=999)


def test_heartbeat_task_writes_the_current_utc_time(worker):
    before = datetime.now(UTC)

    worker_heartbeat.delay()

    stamp = worker.wait_for(lambda: heartbeat_after(before), "a fresh heartbeat file")
    assert stamp.utcoffset() == timedelta(0)
    assert stamp <= datetime.now(UTC)
    assert not list(heartbeat_path().parent.glob(".worker-heartbeat-*"))  # no temp file left


def test_recount_task_repairs_corrupted_size_and_file_count(worker):
    dataset = dataset_with_files(sizes=(1000, 2345))
    corrupt_counts(dataset)

    dataset_recount.delay(dataset.pk)

    repaired = Dataset.objects.filter(pk=dataset.pk, size=3345, number_of_files=2)
    worker.wait_for(repaired.exists, "the dataset's size and numberOfFiles to be recounted")


def test_task_scheduled_in_a_rolled_back_transaction_never_runs(worker):
    dataset = dataset_with_files(sizes=(10, 20, 30))
    corrupt_counts(dataset)

    with pytest.raises(Rollback), transaction.atomic():
        dataset_recount.delay_on_commit(dataset.pk)
        raise Rollback

    # The filesystem broker orders messages by the millisecond they were sent: let one pass so
    # the marker sorts after anything sent above. One solo worker runs them in that order.
    time.sleep(0.01)
    before = datetime.now(UTC)
    worker_heartbeat.delay()
    worker.wait_for(lambda: heartbeat_after(before), "the marker task")

    dataset.refresh_from_db()
    assert (dataset.size, dataset.number_of_files) == (1, 999)
