"""/metrics: request counters, task outcomes, queue lengths, and the helpers other modules call."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from catalogue.tasks import dataset_recount, worker_heartbeat
from portal.observability import metrics
from tests.ops.conftest import closed_port, sample, scrape

HEARTBEAT = "catalogue.tasks.worker_heartbeat"


def test_a_request_is_counted_by_view_name_and_status(client):
    labels = {"method": "GET", "view": "health-live", "status": "200"}
    before = sample(scrape(client), "fedcat_http_requests_total", **labels) or 0

    client.get("/-/live")

    assert sample(scrape(client), "fedcat_http_requests_total", **labels) == before + 1


def test_a_request_is_timed_per_view(client):
    name = "fedcat_http_request_duration_seconds_count"
    before = sample(scrape(client), name, method="GET", view="health-live") or 0

    client.get("/-/live")

    assert sample(scrape(client), name, method="GET", view="health-live") == before + 1


def test_paths_without_a_route_share_one_label(client):
    labels = {"method": "GET", "view": "unmatched", "status": "404"}
    before = sample(scrape(client), "fedcat_http_requests_total", **labels) or 0

    client.get("/-/no-such-endpoint")
    client.get("/-/another-missing-one")

    assert sample(scrape(client), "fedcat_http_requests_total", **labels) == before + 2


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_celery_task_outcomes_are_counted(client, data_dir):
    text = scrape(client)
    succeeded = sample(text, "fedcat_celery_tasks_total", task=HEARTBEAT, outcome="success") or 0
    recount = "catalogue.tasks.dataset_recount"
    failed = sample(text, "fedcat_celery_tasks_total", task=recount, outcome="failure") or 0

    worker_heartbeat.apply()
    dataset_recount.apply(args=[-1])  # no such dataset: the task fails

    text = scrape(client)
    assert sample(text, "fedcat_celery_tasks_total", task=HEARTBEAT, outcome="success") == (
        succeeded + 1
    )
    assert sample(text, "fedcat_celery_tasks_total", task=recount, outcome="failure") == failed + 1
    assert sample(text, "fedcat_celery_task_duration_seconds_count", task=HEARTBEAT) >= 1


def test_queue_lengths_are_read_from_the_broker_on_scrape(client):
    text = scrape(client)

    assert sample(text, "fedcat_celery_broker_up") == 1
    assert sample(text, "fedcat_celery_queue_length", queue="celery") >= 0


def test_an_unreachable_broker_shows_as_down_and_the_scrape_still_works(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    text = scrape(client)

    assert sample(text, "fedcat_celery_broker_up") == 0
    assert sample(text, "fedcat_celery_queue_length", queue="celery") is None


def test_federation_statuses_become_ok_timeout_or_error(client):
    def count(status):
        labels = {"partner": "ops-test-partner", "status": status}
        return sample(scrape(client), "fedcat_federation_requests_total", **labels) or 0

    before = {status: count(status) for status in ("ok", "timeout", "error")}

    for status in ("ok", "timeout", "error: connection refused", "error: HTTP 502"):
        metrics.observe_federation(partner="ops-test-partner", status=status, seconds=0.2)

    assert {s: count(s) - before[s] for s in before} == {"ok": 1, "timeout": 1, "error": 2}


def test_a_finished_harvest_run_counts_its_files_by_outcome(client):
    def files(outcome):
        return sample(scrape(client), "fedcat_harvest_files_total", outcome=outcome) or 0

    before = {outcome: files(outcome) for outcome in ("new", "failed", "unchanged")}
    run = SimpleNamespace(status="finished", new=5, updated=0, unchanged=2, failed=1)

    metrics.record_harvest_run(run)

    assert {o: files(o) - before[o] for o in before} == {"new": 5, "failed": 1, "unchanged": 2}
    assert sample(scrape(client), "fedcat_harvest_runs_total", status="finished") >= 1


def test_search_and_doi_helpers_feed_their_metrics(client):
    text = scrape(client)
    searches = sample(text, "fedcat_search_duration_seconds_count", backend="ops-test") or 0
    errors = sample(text, "fedcat_search_errors_total", backend="ops-test") or 0
    dois = sample(text, "fedcat_doi_registrations_total", state="registered") or 0

    metrics.observe_search(backend="ops-test", seconds=0.01)
    metrics.observe_search(backend="ops-test", seconds=2.0, failed=True)
    metrics.record_doi(state="registered")

    text = scrape(client)
    assert sample(text, "fedcat_search_duration_seconds_count", backend="ops-test") == searches + 2
    assert sample(text, "fedcat_search_errors_total", backend="ops-test") == errors + 1
    assert sample(text, "fedcat_doi_registrations_total", state="registered") == dois + 1
