"""portal.postgresql: a kept connection is checked by its socket, and one the server has closed
is replaced before the request uses it (as Django's SELECT 1 check would)."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.db import connection, connections

from tests.support.postgres import other_connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs against PostgreSQL only (set DATABASE_URL=postgres://...)",
)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """Ends a server process from another connection, as a restart of the server would."""
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def until_closed_by_server(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while connection.is_usable():
        assert time.monotonic() < deadline, "the server never closed the connection"
        time.sleep(0.01)


def test_the_engine_is_the_socket_checking_backend():
    wrapper = connections["default"]

    assert type(wrapper).__module__ == "portal.postgresql.base"
    assert wrapper.health_check_enabled


def test_an_idle_kept_connection_is_usable(transactional_db):
    backend_pid()

    assert connection.is_usable()
    assert connection.is_usable()  # asking does not disturb it


def test_a_connection_the_server_ended_is_replaced_at_the_next_request(transactional_db):
    before = backend_pid()
    terminate(before)
    until_closed_by_server()
    connection.health_check_done = False  # as at the start of a request

    connection.close_if_health_check_failed()

    assert connection.connection is None
    assert backend_pid() != before


def test_a_failed_transaction_is_not_usable(transactional_db):
    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = False
    try:
        with pytest.raises(psycopg.errors.DivisionByZero):
            raw.execute("SELECT 1 / 0")

        assert not connection.is_usable()
    finally:
        raw.rollback()
        raw.autocommit = True
    assert connection.is_usable()


def test_a_waiting_notice_keeps_the_connection_and_reaches_its_handler(transactional_db):
    before = backend_pid()
    raw = connection.connection
    heard = []
    raw.add_notify_handler(heard.append)
    raw.execute("LISTEN fedcat_test")
    with other_connection() as other:
        other.execute("NOTIFY fedcat_test")
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    assert poller.poll(5000), "the notice never came"
    connection.health_check_done = False

    connection.close_if_health_check_failed()

    assert [notice.channel for notice in heard] == ["fedcat_test"]
    assert backend_pid() == before
