"""An API request's view, request and response are freed when the response is done, not left in
reference cycles for Python's cycle collector (catalogue/api/cycles.py)."""

from __future__ import annotations

import gc
import io
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.services import token_issue
from tests.factories import make_dataset, make_user

DRF_TYPES = (APIView, Request, Response)


def _environ(token: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v3/Datasets",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }


def _drf_objects_left_in_cycles(handler: WSGIHandler, token: str) -> list:
    """The DRF objects one request leaves for the cycle collector, as a server runs it."""
    statuses = []
    handler(_environ(token), lambda status, headers: statuses.append(status)).close()  # warm
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        body = handler(_environ(token), lambda status, headers: statuses.append(status))
        b"".join(body)
        body.close()
        del body
        gc.collect()
        return [o for o in gc.garbage if isinstance(o, DRF_TYPES)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        assert statuses == ["200 OK"] * 2


@pytest.fixture(autouse=True)
def connections_kept():
    """As Django's test client does: a request must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    make_dataset(owner_group="p-cycles")
    make_dataset(owner_group="p-cycles")
    return token_issue(user=make_user("cycles", "p-cycles"))[0]


def test_an_api_request_leaves_nothing_of_drf_to_the_cycle_collector(token):
    assert _drf_objects_left_in_cycles(WSGIHandler(), token) == []


def test_without_the_middleware_drf_leaves_its_view_and_response_in_cycles(token, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("BreakResponseCycles")]

    left = {type(o).__name__ for o in _drf_objects_left_in_cycles(WSGIHandler(), token)}

    assert {"DatasetsView", "Request"} <= left
