"""Helpers shared by the services: timestamps, pids, JSON snapshots for the history."""

from __future__ import annotations

import json
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from itertools import islice

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from catalogue.errors import InvalidInput


def parse_timestamp(value, field: str = "time") -> datetime | None:
    """A timezone-aware datetime from a datetime, date or ISO-8601 string (space separator ok).

    Naive times are read in SERVER_TIME_ZONE: pyscicat sends them that way. Strings try
    datetime.fromisoformat first: file lists call this 200,000 times in a row.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = _parse_text_timestamp(value.strip())  # Django's wider ISO-8601 reading
            if parsed is None:
                raise InvalidInput(
                    f"{field} must be an ISO-8601 date or date-time, got {_shown(value)}"
                ) from None
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        raise InvalidInput(f"{field} must be an ISO-8601 date-time string, got {_shown(value)}")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=zoneinfo.ZoneInfo(settings.SERVER_TIME_ZONE))
    return parsed


def _parse_text_timestamp(text: str) -> datetime | None:
    try:
        parsed = parse_datetime(text)
    except ValueError:
        return None
    if parsed is not None:
        return parsed
    try:
        day = parse_date(text)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day) if day else None


def new_pid() -> str:
    return f"{settings.PID_PREFIX}/{uuid.uuid4()}"


# Path segments after a pid in the SciCat API: a pid ending in one could never be addressed.
RESERVED_PID_ENDINGS = frozenset(
    {
        "origdatablocks",
        "datablocks",
        "attachments",
        "datasetlifecycle",
        "thumbnail",
        "logbook",
        "appendtoarrayfield",
        "count",
        "isvalid",
    }
)


def check_pid_format(pid: str) -> None:
    if not isinstance(pid, str) or not pid.strip():
        raise InvalidInput("pid must be a non-empty string")
    if pid != pid.strip() or pid.endswith("/"):
        raise InvalidInput("pid must not start or end with white space or end with '/'")
    if pid.rsplit("/", 1)[-1].lower() in RESERVED_PID_ENDINGS and "/" in pid:
        raise InvalidInput("pid must not end in the name of a sub-resource (e.g. /origdatablocks)")
    # SciCat tests the regex with RegExp.test (a search): sites anchor it when they mean it.
    if settings.DATASET_PID_REGEX and not re.search(settings.DATASET_PID_REGEX, pid):
        raise InvalidInput("PID is not following required standards")


def snapshot(instance: models.Model, fields=None) -> dict:
    """The JSON-safe field values of a model instance, for the history.

    Times are written in UTC, so the same instant sent with another offset (or naive, in a
    non-UTC SERVER_TIME_ZONE) compares equal to what the database returns.
    """
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    raw = {name: _utc(getattr(instance, name)) for name in names}
    return json.loads(json.dumps(raw, cls=DjangoJSONEncoder))


def _utc(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return value.astimezone(UTC)
    return value


def in_batches(items: Iterable, size: int) -> Iterator[list]:
    """Lists of up to `size` items, consuming `items` lazily (it may be a generator)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def as_int(value, name: str, *, minimum: int | None = None) -> int:
    """An integer from an int or an integral float (JSON has one number type); never a bool."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, got {_shown(value)}")
    if minimum is not None and value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}, got {value}")
    if not -(2**63) <= value < 2**63:  # BIGINT everywhere; SQLite and PostgreSQL would overflow
        raise InvalidInput(f"{name} is too large: {value}")
    return value


def clean_value(field: models.Field, value):
    """`value` checked against the model field `field`, as the database will need it.

    Without this, a wrong type surfaces as a psycopg error on PostgreSQL and is stored as-is on
    SQLite. Null on a non-nullable field means its default (class-validator's IsOptional lets
    null through); on a field without default it is an error.
    """
    name = field.name
    if value is None:
        if field.null:
            return None
        if field.has_default():
            return field.get_default()
        raise InvalidInput(f"{name} must not be null")
    if isinstance(field, models.DateTimeField):
        return parse_timestamp(value, name)
    if isinstance(field, models.BooleanField):
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true or false, got {_shown(value)}")
        return value
    if isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        number = as_int(value, name, minimum=low)
        if high is not None and number > high:
            raise InvalidInput(f"{name} is too large: {number}")
        return number
    if isinstance(field, models.FloatField):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{name} must be a number, got {_shown(value)}")
        return float(value)
    if isinstance(field, models.CharField | models.TextField):
        return clean_text(value, name, max_length=field.max_length)
    if isinstance(field, models.JSONField) and field.has_default():
        expected = type(field.get_default())
        if expected is list and not isinstance(value, list):
            raise InvalidInput(f"{name} must be a list, got {_shown(value)}")
        if expected is dict and not isinstance(value, dict):
            raise InvalidInput(f"{name} must be an object, got {_shown(value)}")
    return value


def clean_text(value, name: str, *, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string, got {_shown(value)}")
    if "\x00" in value:  # PostgreSQL cannot store NUL in text
        raise InvalidInput(f"{name} must not contain NUL characters")
    if max_length and len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters long")
    return value


def actor_name(user) -> str:
    from catalogue.access import principal_for

    return principal_for(user).username or "anonymous"


def years_after(moment: datetime, years: float) -> datetime:
    """`moment` plus a (possibly fractional) number of calendar years."""
    whole = int(years)
    try:
        shifted = moment.replace(year=moment.year + whole)
    except ValueError:  # 29 February into a non-leap year
        shifted = moment.replace(year=moment.year + whole, day=28)
    return shifted + (years - whole) * (datetime(2001, 1, 1) - datetime(2000, 1, 1))
