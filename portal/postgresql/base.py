"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections (`DATABASE_CONN_MAX_AGE`), Django checks a kept connection at the
first query of each request (`CONN_HEALTH_CHECKS`) by sending `SELECT 1`: one more round trip
on every request, as long as the whole query of a count from an index. Here the socket is
asked instead. An idle connection has nothing to read, so a readable (or hung up) socket means
the server has closed it or is about to: a restart, a shutdown, `pg_terminate_backend`, an idle
session timeout all send an error and close. Only then, or when a notice the connection
listens for is waiting (token_cache.py), is `SELECT 1` sent; a connection it fails on is
dropped and the request gets a new one.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

USABLE = frozenset({TransactionStatus.IDLE, TransactionStatus.INTRANS})
HUNG_UP = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        # A failed transaction would fail `SELECT 1` too; a query in flight is not idle.
        if connection.info.transaction_status not in USABLE:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), HUNG_UP)
        if not poller.poll(0):
            return True
        # Something to read: the server's goodbye, or a notice a LISTEN asked for
        # (catalogue/services/token_cache.py). Django's own check tells them apart, and psycopg
        # hands the notices to their handlers as it reads them.
        return super().is_usable()
