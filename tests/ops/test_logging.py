"""JSON log lines and the request id: in the response, in the request's log records, in the
headers of the tasks it sends, and in the log records of those tasks."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from celery import Celery
from celery.signals import after_task_publish, task_prerun
from django.conf import settings as django_settings

from catalogue.tasks import worker_heartbeat
from portal.observability.logging import (
    JsonFormatter,
    RequestIdFilter,
    current_request_id,
    request_id_var,
)


@contextmanager
def json_lines(logger_name: str):
    """Collects what `logger_name` logs, formatted by the JSON formatter, as parsed dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(logger_name)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_access_log_lines_are_json_with_the_request_id(client, settings):
    settings.ACCESS_LOG = True

    with json_lines("fedcat.access") as lines:
        response = client.get("/-/live")

    [line] = lines
    assert line["request_id"] == response["X-Request-ID"]
    assert line["logger"] == "fedcat.access"
    assert (line["method"], line["path"], line["status"], line["view"]) == (
        "GET",
        "/-/live",
        200,
        "health-live",
    )


def test_django_request_warnings_carry_the_id_of_their_request(client):
    with json_lines("django.request") as lines:
        response = client.get("/-/no-such-endpoint")

    assert response.status_code == 404
    assert [line["request_id"] for line in lines] == [response["X-Request-ID"]]
    assert lines[0]["level"] == "WARNING"


def test_each_request_gets_a_new_id(client):
    first, second = client.get("/-/live"), client.get("/-/live")

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert current_request_id() is None  # nothing leaks out of the request


def test_an_incoming_request_id_is_kept(client):
    response = client.get("/-/live", headers={"X-Request-ID": "edge-7f3a:42"})

    assert response["X-Request-ID"] == "edge-7f3a:42"


def test_an_incoming_id_that_could_forge_log_lines_is_replaced(client):
    forged = 'x" "level": "CRITICAL'

    response = client.get("/-/live", headers={"X-Request-ID": forged})

    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32


def test_json_formatter_keeps_extra_fields_and_the_traceback():
    record = logging.LogRecord("fedcat.x", logging.ERROR, __file__, 1, "failed %s", ("once",), None)
    record.dataset = "fedcat/123"
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    token = request_id_var.set("req-77")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)

    assert line["message"] == "failed once"
    assert line["level"] == "ERROR"
    assert line["request_id"] == "req-77"
    assert line["dataset"] == "fedcat/123"
    assert "ValueError: boom" in line["exc_info"]


def test_log_format_json_makes_the_configured_logging_write_json(tmp_path):
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('fedcat.ops-test').warning('hello %s', 'there', extra={'n': 3})"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "FEDCAT_DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
    }

    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert (line["message"], line["level"], line["n"]) == ("hello there", "WARNING", 3)


def test_tasks_sent_during_a_request_carry_its_id_in_their_headers():
    app = Celery("ops-test", broker="memory://")

    @app.task(name="ops_test.echo")
    def echo():
        pass

    published: list[dict] = []

    def capture(headers=None, **kwargs):
        published.append(dict(headers or {}))

    after_task_publish.connect(capture, weak=False)
    token = request_id_var.set("req-from-web")
    try:
        echo.apply_async()
    finally:
        request_id_var.reset(token)
    echo.apply_async()  # outside any request
    after_task_publish.disconnect(capture)

    assert [headers.get("request_id") for headers in published] == ["req-from-web", None]


@pytest.mark.django_db
def test_a_task_logs_with_the_request_id_from_its_headers(data_dir):
    seen: list[str | None] = []

    def capture(**kwargs):
        seen.append(current_request_id())

    task_prerun.connect(capture, weak=False)
    try:
        with json_lines("celery.app.trace") as lines:
            worker_heartbeat.apply(headers={"request_id": "req-in-headers"})
    finally:
        task_prerun.disconnect(capture)

    assert seen == ["req-in-headers"]
    [line] = [line for line in lines if "succeeded" in line["message"]]
    assert line["request_id"] == "req-in-headers"
    assert line["task"] == "catalogue.tasks.worker_heartbeat"
    assert line["task_id"]
    assert current_request_id() is None  # reset when the task ended
