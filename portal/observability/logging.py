"""JSON log lines, and a request id that follows a request into its log records and into the
Celery tasks it schedules.

- ``RequestIdMiddleware`` takes the id from the ``X-Request-ID`` header (nginx sets one) or makes
  one, returns it in ``X-Request-ID``, keeps it in a context variable for the log records of the
  request and, with ``ACCESS_LOG`` on, logs one line per request (``fedcat.access``).
- ``before_task_publish`` copies the id into the headers of every task sent while a request is
  being handled; ``task_prerun`` puts it back into the context in the worker, so the task's log
  records carry it too (with ``task_id`` and ``task``).
- ``JsonFormatter`` writes one JSON object per line; ``RequestIdFilter`` gives text formats a
  ``%(request_id)s``. ``LOG_FORMAT`` (json or text) picks one in settings.LOGGING.

This module is named in LOGGING, so it is imported before the apps are ready: no models here.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
TASK_HEADER = "request_id"
# An incoming id is kept only if it looks like one: no spaces or quotes to forge log lines with.
VALID_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("fedcat_request_id", default=None)
task_var: ContextVar[tuple[str, str] | None] = ContextVar("fedcat_task", default=None)

access_log = logging.getLogger("fedcat.access")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_ADDED = {"request_id", "task_id", "task"}


def current_request_id() -> str | None:
    return request_id_var.get()


def valid_request_id(value: str | None) -> str | None:
    return value if value and VALID_ID.fullmatch(value) else None


def _record_request_id(record: logging.LogRecord) -> str | None:
    """The record's own id, that of the request it carries (django.request logs 4xx and 5xx
    after the middleware returned), or the current one."""
    found = getattr(record, "request_id", None)
    if found and found != "-":
        return found
    return getattr(getattr(record, "request", None), "request_id", None) or request_id_var.get()


class RequestIdMiddleware:
    """Put it first in MIDDLEWARE, so every later middleware's log records carry the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # From META: request.headers would copy every header into a new mapping first.
        request_id = valid_request_id(request.META.get(META_KEY)) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            if getattr(settings, "ACCESS_LOG", False):
                _log_access(request, response, time.perf_counter() - started)
            return response
        finally:
            request_id_var.reset(token)


def _log_access(request, response, seconds: float) -> None:
    match = getattr(request, "resolver_match", None)
    access_log.info(
        "%s %s %s %.1f ms",
        request.method,
        request.get_full_path(),
        response.status_code,
        seconds * 1000,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
            "view": match.view_name if match else None,
            "remote_addr": request.META.get("REMOTE_ADDR"),
        },
    )


class RequestIdFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``task`` ("-" when none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _record_request_id(record) or "-"
        task = task_var.get()
        record.task_id, record.task = task if task else ("-", "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, task_id, task,
    the record's `extra` fields, and exc_info as text."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := _record_request_id(record):
            payload["request_id"] = request_id
        if task := task_var.get():
            payload["task_id"], payload["task"] = task
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _ADDED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        try:
            return json.dumps(payload, default=str, ensure_ascii=False)
        except (TypeError, ValueError):  # e.g. a circular `extra`: keep the line, lose the extras
            fallback = {key: payload[key] for key in ("time", "level", "logger", "message")}
            fallback["format_error"] = traceback.format_exc(limit=1)
            return json.dumps(fallback, default=str, ensure_ascii=False)


# --- Celery: the id travels in the task's message headers ---------------------------------------
_task_tokens: dict[str, tuple] = {}


@before_task_publish.connect(dispatch_uid="fedcat-request-id-publish")
def _add_request_id_header(headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


@task_prerun.connect(dispatch_uid="fedcat-request-id-prerun")
def _enter_task(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}
    sent = getattr(request, TASK_HEADER, None) or headers.get(TASK_HEADER)
    # An eager task runs inside the request that called it and keeps its id.
    request_id = valid_request_id(sent) or request_id_var.get()
    _task_tokens[task_id] = (
        request_id_var.set(request_id),
        task_var.set((task_id, getattr(task, "name", "?"))),
    )


@task_postrun.connect(dispatch_uid="fedcat-request-id-postrun")
def _leave_task(task_id=None, **kwargs) -> None:
    tokens = _task_tokens.pop(task_id, None)
    if tokens:
        try:
            request_id_var.reset(tokens[0])
            task_var.reset(tokens[1])
        except ValueError:  # set in another context (a pool that switched threads)
            request_id_var.set(None)
            task_var.set(None)
