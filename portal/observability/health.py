"""Health endpoints for load balancers and orchestrators.

- ``/-/live``: the process answers. Touches nothing else, so a database outage never gets web
  processes restarted.
- ``/-/ready``: the site can do its work: the database answers ``SELECT 1``, the broker accepts
  a connection, the search backend counts its documents and a Celery worker wrote its heartbeat
  recently (``catalogue.tasks.worker_heartbeat``, sent by celery beat). The JSON body has each
  check's status (``ok``, ``skipped`` or ``error: ...``) and latency; any error gives 503.

Settings (all optional): ``HEALTH_BROKER_TIMEOUT`` seconds (default 2),
``HEALTH_HEARTBEAT_MAX_AGE`` seconds (default twice the heartbeat's interval in
CELERY_BEAT_SCHEDULE, or 60 s without an entry).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.observability import broker

HEARTBEAT_TASK = "catalogue.tasks.worker_heartbeat"
DEFAULT_HEARTBEAT_MAX_AGE = 60.0


class Unhealthy(Exception):
    """A check's failure, with a message for the operator."""


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    checks = {name: _run(check) for name, check in CHECKS.items()}
    healthy = all(result["status"] in ("ok", "skipped") for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )


def _run(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"status": "ok", **(check() or {})}
    except Exception as exc:
        message = str(exc) if isinstance(exc, Unhealthy) else f"{type(exc).__name__}: {exc}"
        result = {"status": f"error: {message}"[:500]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    broker.ping(float(getattr(settings, "HEALTH_BROKER_TIMEOUT", 2.0)))


def check_search() -> dict:
    from search.backends import get_backend

    return {"documents": get_backend().count()}


def check_worker() -> dict:
    """The worker heartbeat file (in FEDCAT_DATA_DIR) is younger than the limit."""
    from catalogue.tasks import heartbeat_path

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return {"status": "skipped", "reason": "tasks run eagerly, without a worker"}
    limit = heartbeat_max_age()
    try:
        stamp = datetime.fromisoformat(heartbeat_path().read_text().strip())
    except FileNotFoundError:
        raise Unhealthy("no worker heartbeat yet: are a Celery worker and beat running?") from None
    except ValueError as exc:
        raise Unhealthy(f"unreadable worker heartbeat: {exc}") from exc
    age = (datetime.now(UTC) - stamp).total_seconds()
    if age > limit:
        raise Unhealthy(f"last worker heartbeat {age:.0f} s ago, more than {limit:.0f} s")
    return {"age_seconds": round(age, 1), "max_age_seconds": limit}


def heartbeat_max_age() -> float:
    """HEALTH_HEARTBEAT_MAX_AGE, else twice the beat interval of the heartbeat task."""
    configured = getattr(settings, "HEALTH_HEARTBEAT_MAX_AGE", None)
    if configured:
        return float(configured)
    for entry in (getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}).values():
        if entry.get("task") == HEARTBEAT_TASK:
            schedule = entry.get("schedule")
            if isinstance(schedule, timedelta):
                return 2 * schedule.total_seconds()
            if isinstance(schedule, int | float):
                return 2 * float(schedule)
    return DEFAULT_HEARTBEAT_MAX_AGE


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "search": check_search,
    "worker": check_worker,
}
