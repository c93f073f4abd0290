"""A second PostgreSQL connection to the test database, outside Django: another worker, the
admin or the server's own tools changing things while a test's connection looks on."""

from __future__ import annotations

import psycopg
from django.db import connections


def other_connection() -> psycopg.Connection:
    """A new autocommit connection to the database Django's default connection uses."""
    settings = connections["default"].settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )
