"""API tokens: issued at login (short-lived) or by an admin for ingestors (long-lived)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from catalogue.errors import InvalidInput
from catalogue.models import ApiToken

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
    """The active user of an unexpired token, or None (SciCat: a bad token means anonymous)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.user._fedcat_token = token
    return token.user


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
