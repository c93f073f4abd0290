"""The DOI lifecycle against the DataCite stand-in: reserve, register, findable, failed, hidden.

The service is called as the task calls it (`published_data_sync`); tests of the task's retry
policy run it eagerly, tests through a real worker are in test_doi_worker.py. Every kernel-4
XML the stand-in stores is validated against the official XSD here as well.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.publishing.tasks import doi_sync
from catalogue.services.published import (
    published_data_register,
    published_data_restore,
    published_data_resubmit,
    published_data_sweep,
    published_data_sync,
    published_data_update,
    published_data_withdraw,
)
from portal.celery import app
from tests.catalogue.api.clients import client_for
from tests.catalogue.publishing.conftest import PREFIX, RICH_METADATA, minted, publish
from tests.catalogue.publishing.xsd import DATACITE_XSD, require_schemas, schema, validate

pytestmark = pytest.mark.django_db


def stored_xml(server, doi: str) -> bytes:
    return server.dois[doi.lower()].xml


def doi_tasks(callbacks) -> list[str]:
    """The DOIs of the doi_sync tasks among on-commit callbacks (others index for search)."""
    found = []
    for callback in callbacks:
        task = getattr(getattr(callback, "func", None), "__self__", None)
        if getattr(task, "name", "") == doi_sync.name:
            found.extend(callback.args)
    return found


def fresh(record) -> PublishedData:
    return PublishedData.objects.get(pk=record.pk)


def test_submission_reserves_the_doi_and_schedules_registration_after_commit(
    datacite, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        record = minted()

    assert fresh(record).state == DoiState.RESERVED
    assert fresh(record).sync_requested_at is not None
    assert doi_tasks(callbacks) == [record.doi]  # delay_on_commit: nothing before the commit
    assert datacite.log == []


def test_sync_registers_then_makes_the_doi_findable(datacite):
    record = minted()

    outcome = published_data_sync(doi=record.doi)

    record = fresh(record)
    assert (outcome.kind, record.state, record.remote_state) == ("done", "findable", "findable")
    assert record.sync_requested_at is None and record.doi_error == ""
    assert record.attempts == 2  # register, then publish
    assert [(e.method, e.event, e.outcome) for e in datacite.log] == [
        ("PUT", "register", "201"),
        ("PUT", "publish", "200"),
    ]
    assert datacite.state_of(record.doi) == "findable"
    stored = datacite.dois[record.doi.lower()]
    assert stored.url == f"http://localhost:8000/doi/{record.doi}"


def test_every_xml_sent_to_datacite_validates_against_the_kernel_4_xsd(datacite):
    require_schemas()
    records = [minted(), minted(metadata={**RICH_METADATA, "subjects": ["x" * 300]})]
    for record in records:
        published_data_sync(doi=record.doi)

    for record in records:
        root = validate(schema(DATACITE_XSD), stored_xml(datacite, record.doi))
        identifier = root.find("{http://datacite.org/schema/kernel-4}identifier")
        assert identifier.text == record.doi


def test_an_unchanged_record_is_not_sent_again(datacite):
    record = minted()
    published_data_sync(doi=record.doi)
    calls = len(datacite.log)

    published_data_register(user=SYSTEM, record=fresh(record))  # registering again
    assert published_data_sync(doi=record.doi).kind == "idle"

    assert len(datacite.log) == calls


def test_a_metadata_change_updates_datacite_without_an_event(datacite):
    record = minted()
    published_data_sync(doi=record.doi)

    published_data_update(user=SYSTEM, record=fresh(record), changes={"title": "A better title"})
    assert fresh(record).sync_requested_at is not None
    outcome = published_data_sync(doi=record.doi)

    assert outcome.kind == "done"
    assert (datacite.log[-1].method, datacite.log[-1].event) == ("PUT", "")
    assert b"A better title" in stored_xml(datacite, record.doi)
    assert fresh(record).state == DoiState.FINDABLE


def test_a_withdrawal_hides_the_doi_and_a_restore_shows_it_again(datacite):
    record = minted()
    published_data_sync(doi=record.doi)

    published_data_withdraw(user=SYSTEM, record=fresh(record), reason="wrong sample")
    published_data_sync(doi=record.doi)
    assert (fresh(record).state, datacite.state_of(record.doi)) == ("hidden", "registered")
    assert datacite.log[-1].event == "hide"

    published_data_restore(user=SYSTEM, record=fresh(record))
    published_data_sync(doi=record.doi)
    assert (fresh(record).state, datacite.state_of(record.doi)) == ("findable", "findable")


def test_a_doi_withdrawn_before_registration_is_registered_but_never_findable(datacite):
    record = minted()
    published_data_withdraw(user=SYSTEM, record=fresh(record), reason="mistake")

    published_data_sync(doi=record.doi)

    assert (fresh(record).state, datacite.state_of(record.doi)) == ("hidden", "registered")
    assert [e.event for e in datacite.log] == ["register"]


def test_a_4xx_ends_in_failed_with_datacites_text_and_is_never_retried(datacite, settings):
    settings.DATACITE_PASSWORD = "wrong"
    record = minted()

    outcome = published_data_sync(doi=record.doi)

    record = fresh(record)
    assert (outcome.kind, record.state) == ("failed", "failed")
    assert record.doi_error == "DataCite answered 401: Bad credentials."
    assert record.doi_errors == [{"status": "401", "source": "", "title": "Bad credentials."}]
    assert record.sync_requested_at is None
    assert published_data_sync(doi=record.doi).kind == "idle"  # waits for a person
    assert len(datacite.log) == 1


def test_a_prefix_of_another_repository_is_refused_with_403(datacite):
    record = publish(doi="10.80001/theirs")

    published_data_sync(doi=record.doi)

    assert fresh(record).state == DoiState.FAILED
    assert "403" in fresh(record).doi_error
    assert "not authorized" in fresh(record).doi_error


def test_a_url_outside_the_repository_domains_fails_and_can_be_resubmitted(datacite, settings):
    settings.SITE_URL = "https://elsewhere.example.org"
    record = minted()

    published_data_sync(doi=record.doi)
    failed = fresh(record)
    assert failed.state == DoiState.FAILED
    assert failed.doi_errors[0]["source"] == "url"
    assert "domain settings" in failed.doi_error
    assert datacite.state_of(record.doi) is None  # nothing half-made at DataCite

    settings.SITE_URL = "http://localhost:8000"  # the fix
    published_data_resubmit(user=SYSTEM, record=failed)
    assert fresh(record).state == DoiState.RESERVED and fresh(record).doi_error == ""
    published_data_sync(doi=record.doi)
    assert fresh(record).state == DoiState.FINDABLE


def test_metadata_datacite_refuses_is_stopped_before_it_is_sent(datacite):
    record = publish(doi=f"{PREFIX}/incomplete", register=False, metadata={"publisher": "ESS"})

    with pytest.raises(InvalidInput, match="creators"):
        published_data_register(user=SYSTEM, record=record)

    assert fresh(record).state == DoiState.DRAFT
    assert fresh(record).status == "private"  # nothing half-written
    assert datacite.log == []


def test_a_422_from_datacite_is_kept_with_its_source(datacite, monkeypatch):
    record = minted()
    # What DataCite would say if our XML lacked creators: the stand-in validates with the XSD.
    from catalogue.publishing.doi.datacite import DataCiteProvider

    original = DataCiteProvider.payload

    def without_creators(self, built):
        payload = original(self, built)
        xml = base64.b64decode(payload["xml"])
        start, end = xml.index(b"<creators>"), xml.index(b"</creators>") + len(b"</creators>")
        payload["xml"] = base64.b64encode(xml[:start] + b"<creators/>" + xml[end:]).decode()
        return payload

    monkeypatch.setattr(DataCiteProvider, "payload", without_creators)
    published_data_sync(doi=record.doi)

    failed = fresh(record)
    assert failed.state == DoiState.FAILED
    assert failed.doi_errors[0]["status"] == "422"
    assert failed.doi_errors[0]["source"] == "creators"
    assert failed.doi_error.startswith("DataCite answered 422: creators: DOI ")


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("status", {"status": 503}),
        ("status", {"status": 429, "retry_after": 7}),
        ("status", {"status": 500}),
        ("drop", {}),
        ("lost", {}),
        ("hang", {"seconds": 10, "apply": False}),
    ],
)
def test_temporary_failures_keep_the_request_for_a_retry(datacite, settings, fault, options):
    settings.DATACITE_TIMEOUT_SECONDS = 0.5  # the hang outlasts it
    record = minted()
    datacite.inject(fault, **options)

    outcome = published_data_sync(doi=record.doi)

    assert outcome.kind == "retry"
    if options.get("retry_after"):
        assert outcome.retry_after == 7
    pending = fresh(record)
    assert pending.state == DoiState.RESERVED
    assert pending.sync_requested_at is not None and pending.sync_claim == ""
    assert pending.doi_error.startswith("will retry: ")

    assert published_data_sync(doi=record.doi).kind == "done"
    assert fresh(record).state == DoiState.FINDABLE
    assert datacite.creations[record.doi] == 1


def test_a_retry_after_a_lost_answer_does_not_register_the_doi_twice(datacite):
    record = minted()
    datacite.inject("lost")  # DataCite applies the register, the answer never arrives

    assert published_data_sync(doi=record.doi).kind == "retry"
    assert datacite.state_of(record.doi) == "registered"
    assert published_data_sync(doi=record.doi).kind == "done"

    assert datacite.creations[record.doi] == 1
    assert [t for t in datacite.transitions if t[0] == record.doi] == [
        (record.doi, "", "registered"),
        (record.doi, "registered", "findable"),
    ]


def test_the_task_retries_5xx_and_429_then_succeeds(datacite):
    record = minted()
    datacite.inject("status", status=503)
    datacite.inject("status", status=429, retry_after=0)
    app.conf.task_always_eager = True
    try:
        result = doi_sync.apply(args=[record.doi])
    finally:
        app.conf.task_always_eager = False

    assert result.get() == "done"
    assert fresh(record).state == DoiState.FINDABLE
    assert fresh(record).attempts == 4


def test_the_task_does_not_retry_a_4xx(datacite, settings):
    settings.DATACITE_PASSWORD = "wrong"
    record = minted()

    result = doi_sync.apply(args=[record.doi])

    assert result.get() == "failed"
    assert len(datacite.log) == 1


def test_a_claim_held_by_a_live_task_makes_others_wait(datacite):
    record = minted()
    PublishedData.objects.filter(pk=record.pk).update(
        sync_claim="someone", sync_claimed_at=timezone.now()
    )

    outcome = published_data_sync(doi=record.doi)

    assert outcome.kind == "busy" and 0 < outcome.retry_after <= 5.5
    assert datacite.log == []


def test_a_dead_tasks_claim_runs_out_and_the_sweep_sends_the_record(
    datacite, django_capture_on_commit_callbacks
):
    record = minted()
    long_ago = timezone.now() - timedelta(minutes=10)
    PublishedData.objects.filter(pk=record.pk).update(
        sync_claim="killed-worker", sync_claimed_at=long_ago, sync_requested_at=long_ago
    )
    waiting = minted()  # requested just now: not stale yet

    with django_capture_on_commit_callbacks() as callbacks:
        assert published_data_sweep() == 1
    assert doi_tasks(callbacks) == [record.doi]

    assert published_data_sync(doi=record.doi).kind == "done"
    assert fresh(record).state == DoiState.FINDABLE
    assert fresh(waiting).state == DoiState.RESERVED


def test_without_datacite_dois_stay_reserved_and_nothing_is_scheduled(
    settings, django_capture_on_commit_callbacks
):
    settings.DATACITE_URL = ""
    with django_capture_on_commit_callbacks() as callbacks:
        record = publish(doi="10.17199/local.1")

    assert fresh(record).state == DoiState.RESERVED
    assert doi_tasks(callbacks) == []
    assert published_data_sync(doi=record.doi).kind == "disabled"
    assert published_data_sweep() == 0


def test_only_admins_and_the_maker_resubmit(datacite, owner, outsider, admin):
    record = minted()
    PublishedData.objects.filter(pk=record.pk).update(state=DoiState.FAILED, doi_error="x")

    with pytest.raises(PermissionDenied):
        published_data_resubmit(user=outsider, record=fresh(record))
    published_data_resubmit(user=admin, record=fresh(record))

    assert fresh(record).state == DoiState.RESERVED


def test_the_v3_api_shows_the_doi_state_and_error(datacite, owner):
    api = client_for
    record = minted()
    PublishedData.objects.filter(pk=record.pk).update(
        state=DoiState.FAILED, doi_error="DataCite answered 422: url: Can't be blank"
    )

    body = api(owner).get(f"/api/v3/PublishedData/{record.doi}").json()

    assert body["status"] == "registered"
    assert body["doiState"] == "failed"
    assert body["doiError"] == "DataCite answered 422: url: Can't be blank"
    patched = api(owner).patch(
        f"/api/v3/PublishedData/{record.doi}", {**body, "title": "Fixed"}, format="json"
    )
    assert patched.status_code == 200  # the read-only fields may be sent back


def test_metrics_count_publications_by_doi_state(datacite, client, settings):
    settings.METRICS_TOKEN = ""
    done = minted()
    minted()  # still waiting for DataCite
    published_data_sync(doi=done.doi)

    text = client.get("/metrics").content.decode()

    assert 'fedcat_doi_publications{state="findable"} 1.0' in text
    assert 'fedcat_doi_publications{state="reserved"} 1.0' in text
    assert "fedcat_doi_sync_pending 1.0" in text
    assert 'fedcat_doi_registrations_total{state="findable"}' in text
