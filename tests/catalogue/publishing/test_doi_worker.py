"""DOI minting through a real Celery worker (Redis when CELERY_BROKER_URL says so, as in CI)
against the DataCite stand-in, with faults: no DOI registered twice, none lost, and a worker
killed in the middle of a call still ends with a findable DOI after a restart."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.utils import timezone

from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.publishing.doi import claim_lease_seconds
from catalogue.publishing.tasks import doi_sync
from catalogue.services.published import published_data_sweep
from tests.catalogue.publishing.conftest import PASSWORD, PREFIX, REPOSITORY, publish
from tests.factories import make_dataset
from tests.support.datacite_server import Account, DataCiteStandIn
from tests.worker import celery_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT = 3  # DATACITE_TIMEOUT_SECONDS in the workers: a claim lease of 7 s
MINTING_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def standin():
    with DataCiteStandIn({REPOSITORY: Account(PASSWORD, {PREFIX})}) as server:
        yield server


@pytest.fixture(scope="module")
def worker_env(standin):
    """What the worker processes read: the stand-in and its account (tests/worker.py copies
    os.environ when it starts one)."""
    values = {
        "DATACITE_URL": standin.url,
        "DATACITE_REPOSITORY_ID": REPOSITORY,
        "DATACITE_PASSWORD": PASSWORD,
        "DATACITE_TIMEOUT_SECONDS": str(WORKER_TIMEOUT),
        "DOI_PREFIX": f"{PREFIX}/",
        "SITE_URL": "http://localhost:8000",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield values


@pytest.fixture
def site(settings, standin, worker_env):
    """This process configured as the workers are."""
    settings.DATACITE_URL = standin.url
    settings.DATACITE_REPOSITORY_ID = REPOSITORY
    settings.DATACITE_PASSWORD = PASSWORD
    settings.DATACITE_TIMEOUT_SECONDS = WORKER_TIMEOUT
    settings.DOI_PREFIX = f"{PREFIX}/"
    settings.SITE_URL = "http://localhost:8000"
    standin.faults.clear()
    standin.released.clear()
    return standin


@pytest.fixture(scope="module")
def worker(django_db_setup, worker_env, tmp_path_factory):
    with celery_worker(tmp_path_factory.mktemp("doi-worker")) as running:
        yield running


def submit(name: str) -> PublishedData:
    """A publication submitted as the portal does; its DOI task is sent after commit."""
    return publish(doi=f"{PREFIX}/{name}", datasets=[make_dataset()])


def states(dois) -> dict[str, str]:
    return dict(PublishedData.objects.filter(doi__in=dois).values_list("doi", "state"))


def all_findable(dois):
    found = states(dois)
    return len(found) == len(dois) and set(found.values()) == {DoiState.FINDABLE}


def transitions_of(server, doi: str) -> list[tuple[str, str]]:
    return [(before, after) for name, before, after in server.transitions if name == doi]


def test_dois_are_minted_once_each_through_faults(site, worker):
    site.inject("status", status=503, retry_after=1, times=2)
    site.inject("status", status=429, retry_after=1)
    site.inject("lost", times=2)  # applied at DataCite, the answer never arrives
    site.inject("drop")

    dois = [submit(f"batch-{n}").doi for n in range(6)]

    worker.wait_for(lambda: all_findable(dois), "every DOI to become findable", MINTING_TIMEOUT)
    for doi in dois:
        assert site.creations[doi] == 1, doi
        assert transitions_of(site, doi) == [("", "registered"), ("registered", "findable")]
        assert site.state_of(doi) == "findable"
    assert not site.faults  # every fault was met
    left = PublishedData.objects.filter(doi__in=dois, sync_requested_at__isnull=False)
    assert not left.exists()


def test_a_worker_killed_during_a_call_ends_findable_after_a_restart(
    site, worker_env, tmp_path_factory
):
    # DataCite applies the register, then the answer hangs: the worker dies waiting for it.
    site.inject("hang", apply=True, seconds=120)
    with celery_worker(tmp_path_factory.mktemp("doi-killed")) as doomed:
        doi = submit("killed-1").doi
        hung = site.wait_for_request(lambda e: e.doi == doi and e.outcome == "hung", 30)
        assert hung is not None, doomed.log()
        os.killpg(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
    site.release()
    record = PublishedData.objects.get(pk=doi)
    assert record.state == DoiState.RESERVED and record.sync_claim  # the dead task's claim
    assert site.state_of(doi) == "registered"

    with celery_worker(tmp_path_factory.mktemp("doi-restarted")) as restarted:
        lease_end = record.sync_claimed_at.timestamp() + claim_lease_seconds()
        restarted.wait_for(
            lambda: timezone.now().timestamp() > lease_end, "the dead claim to run out", 30
        )
        assert published_data_sweep(stale_after=0) == 1  # what beat does every 5 minutes
        restarted.wait_for(lambda: all_findable([doi]), "the DOI to become findable", 30)

    assert site.creations[doi] == 1
    assert transitions_of(site, doi) == [("", "registered"), ("registered", "findable")]


def test_two_workers_sending_the_same_doi_take_turns(site, worker_env, tmp_path_factory):
    site.inject("delay", seconds=1.0, times=4)  # calls overlap unless they take turns
    with (
        celery_worker(tmp_path_factory.mktemp("doi-a")) as first,
        celery_worker(tmp_path_factory.mktemp("doi-b")) as second,
    ):
        record = publish(doi=f"{PREFIX}/twice-1", datasets=[make_dataset()])
        for running in (first, second):
            doi_sync.apply_async(args=[record.doi], queue=running.queue)
        first.wait_for(lambda: all_findable([record.doi]), "the DOI to become findable", 40)
        time.sleep(0.5)  # let the other task finish its turn
        logs = first.log() + second.log()

    assert "Retry in" in logs  # one task found the record held and waited its turn

    assert site.creations[record.doi] == 1
    puts = [e for e in site.log if e.doi == record.doi and e.method == "PUT"]
    assert [e.event for e in puts] == ["register", "publish"]  # nobody sent a step twice
    assert published_data_sweep(stale_after=0) == 0
