"""API tokens: issued at login (short-lived) or by an admin for ingestors (long-lived)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import connections, router
from django.utils import timezone

from catalogue.access import principal_remember
from catalogue.errors import InvalidInput
from catalogue.models import ApiToken

from . import token_cache

TOKEN_PREFIX = "fc_"
# Longer bearer values are refused before any lookup (a provider JWT is a few KB at most).
MAX_TOKEN_LENGTH = 8192
# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user, ttl_seconds: int | None = None, name: str = "") -> tuple[str, ApiToken]:
    """A new token for `user`; returns the raw token (shown once) and its record."""
    ttl = settings.API_TOKEN_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0:
        raise InvalidInput("the token lifetime must be a positive number of seconds")
    if ttl > settings.API_TOKEN_MAX_TTL_SECONDS:
        raise InvalidInput(
            f"the token lifetime may be at most {settings.API_TOKEN_MAX_TTL_SECONDS} seconds"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash(raw),
        prefix=raw[:10],
        name=name,
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    return raw, token


def token_user(raw: str):
    """The active user of an unexpired token, or None (SciCat: a bad token means anonymous).

    Revoking a token, deactivating its user or changing their groups takes effect on the next
    request: on PostgreSQL with persistent connections a connection remembers the tokens it
    verified until the database announces any such change (token_cache.py); elsewhere every
    request looks the token up. One statement reads the token, its user and the user's group
    names, which are kept on the user for the access rules."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    alias = router.db_for_read(ApiToken)
    key = _hash(raw)
    cache = token_cache.remembered(connections[alias])
    verified = cache.get(key) if cache is not None else None
    if verified is None or verified.expires_at <= now:
        notices = cache.notices if cache is not None else 0
        verified = _lookup(alias, key, now)
        if verified is None:
            return None
        if cache is not None:
            cache.remember(key, verified, notices=notices)
    names, _ = _user_columns(alias)
    user = get_user_model().from_db(alias, names, list(verified.user_values))
    if not user.is_active:
        return None
    if verified.last_used_at is None or verified.last_used_at < now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=verified.token_id).update(last_used_at=now)
        verified.last_used_at = now
    principal_remember(user, verified.groups)
    return user


def _lookup(alias: str, key: str, now) -> token_cache.Verified | None:
    """The token with hash `key`, unexpired at `now`, with its user's values and groups."""
    adapt = connections[alias].ops.adapt_datetimefield_value
    with connections[alias].cursor() as cursor:
        cursor.execute(_lookup_sql(alias), [key, adapt(now)])
        rows = cursor.fetchall()
    if not rows:
        return None
    # A plain cursor and Model.from_db: a RawQuerySet cost more to set up than the lookup itself.
    names, converters = _user_columns(alias)
    values = [convert(value) for convert, value in zip(converters, rows[0], strict=False)]
    token_id, expires_at, last_used_at = rows[0][len(names) : len(names) + 3]
    to_datetime = _token_datetime(alias)
    return token_cache.Verified(
        user_values=tuple(values),
        groups=tuple(row[-1] for row in rows if row[-1] is not None),
        token_id=token_id,
        expires_at=to_datetime(expires_at),
        last_used_at=None if last_used_at is None else to_datetime(last_used_at),
    )


@functools.cache
def _user_columns(alias: str) -> tuple[tuple[str, ...], tuple]:
    """The user model's field names, and per field one function turning the database's value
    into the model's (SQLite hands back dates as text and booleans as 0/1, as the ORM's
    converters know)."""
    fields = get_user_model()._meta.concrete_fields
    converters = tuple(_converter(alias, field) for field in fields)
    return tuple(field.attname for field in fields), converters


@functools.cache
def _token_datetime(alias: str):
    """The database's value of a token's date column as the model's datetime."""
    return _converter(alias, ApiToken._meta.get_field("expires_at"))


def _converter(alias: str, field):
    connection = connections[alias]
    expression = field.get_col(field.model._meta.db_table)
    steps = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
    return functools.partial(_convert, tuple(steps), expression, connection)


def _convert(steps, expression, connection, value):
    for step in steps:
        value = step(value, expression, connection)
    return value


@functools.cache
def _lookup_sql(alias: str) -> str:
    """The token with a hash, unexpired, its user, and the user's groups: one row per group (one
    with a NULL group for a user in none), the user's columns first, in _user_columns() order,
    then the token's id, its expiry and last use, and the group. Parameters: the hash, now.

    Written as SQL because it runs on every API request: the ORM's select_related query and the
    groups query cost several times more to build than the database takes to answer them."""
    quote = connections[alias].ops.quote_name
    user_model = get_user_model()
    groups = user_model._meta.get_field("groups")
    group_model = groups.related_model

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    user_columns = ", ".join(f"u.{quote(f.column)}" for f in user_model._meta.concrete_fields)
    return (
        f"SELECT {user_columns}, t.{column(ApiToken, 'id')} AS fedcat_token_id,"
        f" t.{column(ApiToken, 'expires_at')} AS fedcat_token_expires,"
        f" t.{column(ApiToken, 'last_used_at')} AS fedcat_token_last_used,"
        f" g.{column(group_model, 'name')} AS fedcat_group"
        f" FROM {quote(ApiToken._meta.db_table)} t"
        f" JOIN {quote(user_model._meta.db_table)} u"
        f" ON u.{quote(user_model._meta.pk.column)} = t.{column(ApiToken, 'user')}"
        f" LEFT JOIN {quote(groups.m2m_db_table())} ug"
        f" ON ug.{quote(groups.m2m_column_name())} = u.{quote(user_model._meta.pk.column)}"
        f" LEFT JOIN {quote(group_model._meta.db_table)} g"
        f" ON g.{quote(group_model._meta.pk.column)} = ug.{quote(groups.m2m_reverse_name())}"
        f" WHERE t.{column(ApiToken, 'key_hash')} = %s AND t.{column(ApiToken, 'expires_at')} > %s"
    )


def bearer_user(raw: str):
    """The active user a bearer token stands for, or None: a site token, else a provider's
    access token (asked of the authentication backends; None when no provider is set up)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    if raw.startswith(TOKEN_PREFIX):
        return token_user(raw)
    user = authenticate(None, oidc_access_token=raw)
    return user if user is not None and user.is_active else None


def token_revoke(*, raw: str) -> bool:
    """Revokes the token `raw` (logout); False if there was no such token."""
    if not raw:
        return False
    deleted, _ = ApiToken.objects.filter(key_hash=_hash(raw)).delete()
    return bool(deleted)


def tokens_revoke(*, ids) -> int:
    """Revokes the tokens with these ids (the admin's revoke action); returns how many."""
    deleted, _ = ApiToken.objects.filter(pk__in=list(ids)).delete()
    return deleted


def tokens_purge_expired() -> int:
    """Deletes expired tokens (they already authenticate nobody); returns how many."""
    deleted, _ = ApiToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
