"""Prometheus metrics: one registry, the request middleware, the /metrics view, and the counters
and histograms other modules import and feed.

Use from other modules (label values must stay few: never ids, paths or error texts)::

    from portal.observability import metrics
    metrics.observe_search(backend="tantivy", seconds=elapsed)
    metrics.observe_federation(partner="ess", status=result.status, seconds=elapsed)
    metrics.record_harvest_run(run)           # after a run ends: files by outcome, run by status
    metrics.record_doi(state="registered")    # or "reserved", "failed", ...

Celery task outcomes and durations are counted here through Celery's signals; the length of
each queue is read from the broker when Prometheus scrapes.

Several processes: gunicorn workers and Celery's prefork pool each count on their own. With
PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py and scripts/prod.sh set it) every process writes
its values to files there and a scrape adds them up, so web and worker processes of one node
that share the directory are scraped together. A worker on a node of its own serves them on
CELERY_METRICS_PORT.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from celery.signals import task_postrun, task_prerun, task_revoked, worker_ready
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.process_collector import ProcessCollector

from portal.observability import broker

log = logging.getLogger(__name__)

disable_created_metrics()  # no *_created series: they double the output and nothing reads them
REGISTRY = CollectorRegistry()
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
SLOW_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0, 7200.0)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
BROKER_TIMEOUT = 1.0  # seconds a scrape may spend on the broker

HTTP_REQUESTS = Counter(
    "fedcat_http_requests_total",
    "HTTP requests by method, view name and status code.",
    ["method", "view", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "fedcat_http_request_duration_seconds",
    "Time to produce a response, by method and view name.",
    ["method", "view"],
    registry=REGISTRY,
)
SEARCH_LATENCY = Histogram(
    "fedcat_search_duration_seconds",
    "Time a search backend took to answer a search.",
    ["backend"],
    registry=REGISTRY,
)
SEARCH_ERRORS = Counter(
    "fedcat_search_errors_total",
    "Searches the backend failed to answer.",
    ["backend"],
    registry=REGISTRY,
)
HARVEST_FILES = Counter(
    "fedcat_harvest_files_total",
    "Files seen by harvests, by outcome (new, updated, unchanged, failed, skipped, removed).",
    ["outcome"],
    registry=REGISTRY,
)
HARVEST_RUNS = Counter(
    "fedcat_harvest_runs_total",
    "Harvest runs that ended, by status.",
    ["status"],
    registry=REGISTRY,
)
FEDERATION_LATENCY = Histogram(
    "fedcat_federation_request_duration_seconds",
    "Time a federation partner took to answer (or to time out).",
    ["partner"],
    buckets=SLOW_BUCKETS,
    registry=REGISTRY,
)
FEDERATION_REQUESTS = Counter(
    "fedcat_federation_requests_total",
    "Requests to federation partners, by partner and status (ok, timeout, error).",
    ["partner", "status"],
    registry=REGISTRY,
)
CELERY_TASKS = Counter(
    "fedcat_celery_tasks_total",
    "Celery tasks that ended, by task name and outcome (success, failure, retry, revoked, ...).",
    ["task", "outcome"],
    registry=REGISTRY,
)
CELERY_TASK_DURATION = Histogram(
    "fedcat_celery_task_duration_seconds",
    "Run time of Celery tasks, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
    registry=REGISTRY,
)
DOI_REGISTRATIONS = Counter(
    "fedcat_doi_registrations_total",
    "DOI provider calls by resulting state (registered, findable, hidden, failed, retry).",
    ["state"],
    registry=REGISTRY,
)


# --- helpers for other modules ------------------------------------------------------------------
def observe_search(*, backend: str, seconds: float, failed: bool = False) -> None:
    SEARCH_LATENCY.labels(backend).observe(seconds)
    if failed:
        SEARCH_ERRORS.labels(backend).inc()


def federation_status_label(status: str) -> str:
    """ok, timeout or error: a client's "error: <text>" status becomes "error"."""
    return status if status in ("ok", "timeout") else "error"


def observe_federation(*, partner: str, status: str, seconds: float) -> None:
    FEDERATION_LATENCY.labels(partner).observe(seconds)
    FEDERATION_REQUESTS.labels(partner, federation_status_label(status)).inc()


HARVEST_OUTCOMES = ("new", "updated", "unchanged", "failed", "skipped", "removed")


def record_harvest_run(run) -> None:
    """Counts a finished HarvestRun: its files by outcome and the run by status."""
    for outcome in HARVEST_OUTCOMES:
        if count := getattr(run, outcome, 0) or 0:
            HARVEST_FILES.labels(outcome).inc(count)
    HARVEST_RUNS.labels(str(run.status)).inc()


def record_doi(*, state: str) -> None:
    DOI_REGISTRATIONS.labels(state).inc()


# --- HTTP requests ------------------------------------------------------------------------------
def view_label(request) -> str:
    """The URL pattern's name (or the view's dotted path); "unmatched" for 404s without one."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match._func_path


class MetricsMiddleware:
    """Counts requests and times them per view. Put it right after RequestIdMiddleware. Streamed
    responses are timed until their first byte is ready, not until the last is sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        method = request.method if request.method in METHODS else "other"
        view = view_label(request)
        HTTP_REQUESTS.labels(method, view, str(response.status_code)).inc()
        HTTP_LATENCY.labels(method, view).observe(seconds)
        return response


# --- Celery tasks -------------------------------------------------------------------------------
_task_started: dict[str, float] = {}


@task_prerun.connect(dispatch_uid="fedcat-metrics-prerun")
def _task_start(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect(dispatch_uid="fedcat-metrics-postrun")
def _task_end(task_id=None, task=None, state=None, **kwargs) -> None:
    name = getattr(task, "name", "unknown")
    started = _task_started.pop(task_id, None)
    if started is not None:
        CELERY_TASK_DURATION.labels(name).observe(time.perf_counter() - started)
    CELERY_TASKS.labels(name, (state or "unknown").lower()).inc()


@task_revoked.connect(dispatch_uid="fedcat-metrics-revoked")
def _task_revoked(request=None, **kwargs) -> None:
    CELERY_TASKS.labels(getattr(request, "task", None) or "unknown", "revoked").inc()


# --- queue lengths, read from the broker on each scrape ---------------------------------------
class QueueCollector:
    def describe(self):
        return []

    def collect(self):
        up = GaugeMetricFamily("fedcat_celery_broker_up", "1 if the broker answered the scrape.")
        length = GaugeMetricFamily(
            "fedcat_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            lengths = broker.queue_lengths(BROKER_TIMEOUT)
        except Exception as exc:
            log.warning("metrics: broker unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for name, count in sorted(lengths.items()):
            length.add_metric([name], count)
        yield up
        yield length


class DoiStateCollector:
    """Published data by DOI state (draft, reserved, registered, findable, hidden, failed),
    counted in the database on each scrape; `pending` counts those DataCite must still hear
    about. Alert on failed > 0 or on pending staying high."""

    def describe(self):
        return []

    def collect(self):
        from django.db.models import Count

        from catalogue.models import PublishedData

        states = GaugeMetricFamily(
            "fedcat_doi_publications", "Published data by DOI state.", labels=["state"]
        )
        pending = GaugeMetricFamily(
            "fedcat_doi_sync_pending", "Published data waiting to be sent to DataCite."
        )
        try:
            counts = dict(
                PublishedData.objects.order_by().values_list("state").annotate(n=Count("pk"))
            )
            waiting = PublishedData.objects.filter(sync_requested_at__isnull=False).count()
        except Exception as exc:
            log.warning("metrics: DOI states unreadable: %s", exc)
            return
        for state in ("draft", "reserved", "registered", "findable", "hidden", "failed"):
            states.add_metric([state], counts.get(state, 0))
        pending.add_metric([], waiting)
        yield states
        yield pending


if MULTIPROCESS:
    _SCRAPE_REGISTRY = CollectorRegistry()
    multiprocess.MultiProcessCollector(_SCRAPE_REGISTRY)
else:
    _SCRAPE_REGISTRY = REGISTRY
    ProcessCollector(registry=REGISTRY)
_SCRAPE_REGISTRY.register(QueueCollector())
_SCRAPE_REGISTRY.register(DoiStateCollector())


def scrape_registry() -> CollectorRegistry:
    """What /metrics shows: this process's registry, or every process's files (multiprocess)."""
    return _SCRAPE_REGISTRY


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus text format. With METRICS_TOKEN set, only for ``Authorization: Bearer <it>``."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        supplied = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(supplied, f"Bearer {token}".encode()):
            response = HttpResponse("metrics need a bearer token\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


@worker_ready.connect(dispatch_uid="fedcat-metrics-worker-port")
def _serve_worker_metrics(**kwargs) -> None:
    """A worker on a node without the web process serves its metrics on CELERY_METRICS_PORT."""
    port = int(getattr(settings, "CELERY_METRICS_PORT", 0) or 0)
    if port:
        if not MULTIPROCESS:
            log.warning(
                "CELERY_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: pool processes' "
                "task counts are not seen"
            )
        start_http_server(port, addr="0.0.0.0", registry=scrape_registry())
        log.info("worker metrics on port %s", port)
