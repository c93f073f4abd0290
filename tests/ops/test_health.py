"""/-/live and /-/ready: what a load balancer and an orchestrator see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalogue.tasks import heartbeat_path, worker_heartbeat
from tests.ops.conftest import closed_port

CHECKS = {"database", "broker", "search", "worker"}


def write_heartbeat(age_seconds: float) -> None:
    stamp = datetime.now(UTC) - timedelta(seconds=age_seconds)
    heartbeat_path().write_text(stamp.isoformat() + "\n")


def test_live_answers_without_touching_the_database(client):
    # No django_db mark: any database query here would raise.
    response = client.get("/-/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_ready_is_503_when_the_database_answers_but_the_heartbeat_is_stale(client, data_dir):
    write_heartbeat(age_seconds=3600)

    response = client.get("/-/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert set(body["checks"]) == CHECKS
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["worker"]["status"].startswith("error: last worker heartbeat")
    assert all("latency_ms" in check for check in body["checks"].values())


@pytest.mark.django_db
def test_ready_is_200_after_a_fresh_heartbeat(client, data_dir):
    write_heartbeat(age_seconds=3600)
    assert client.get("/-/ready").status_code == 503

    worker_heartbeat()  # what the worker runs when beat sends it

    response = client.get("/-/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == dict.fromkeys(
        CHECKS, "ok"
    )
    assert body["checks"]["search"]["documents"] >= 0


@pytest.mark.django_db
def test_ready_is_503_before_any_worker_wrote_a_heartbeat(client, data_dir):
    response = client.get("/-/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["status"].startswith("error: no worker heartbeat")


@pytest.mark.django_db
def test_ready_is_503_when_the_broker_port_is_closed(client, data_dir, settings):
    worker_heartbeat()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.HEALTH_BROKER_TIMEOUT = 0.5

    response = client.get("/-/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"].startswith("error: ")
    assert checks["database"]["status"] == "ok"
    assert checks["worker"]["status"] == "ok"


@pytest.mark.django_db
def test_heartbeat_may_be_twice_the_beat_interval_old(client, data_dir, settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "beat": {"task": "catalogue.tasks.worker_heartbeat", "schedule": timedelta(seconds=50)}
    }
    write_heartbeat(age_seconds=90)
    assert client.get("/-/ready").json()["checks"]["worker"]["status"] == "ok"

    write_heartbeat(age_seconds=110)
    assert client.get("/-/ready").json()["checks"]["worker"]["status"].startswith("error: ")


@pytest.mark.django_db
def test_worker_check_is_skipped_when_tasks_run_eagerly(client, data_dir, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    response = client.get("/-/ready")

    assert response.json()["checks"]["worker"]["status"] == "skipped"
    assert response.status_code == 200
