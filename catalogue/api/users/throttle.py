"""A light brake on password guessing at POST /auth/login.

Only failed sign-ins count, in Django's default cache, in fixed windows: per client address and
user name (guessing one password), and per client address alone (trying many names). Successful
sign-ins are never slowed, so scripts that log in often are not affected. The cache is per
process unless CACHES names a shared one (Redis); the limit is then per process.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled

# Failures allowed per window: for one (address, user name), and for one address.
MAX_FAILURES_PER_NAME = 10
MAX_FAILURES_PER_ADDRESS = 100
WINDOW_SECONDS = 300


def _limits() -> tuple[int, int, int]:
    return (
        getattr(settings, "API_LOGIN_MAX_FAILURES", MAX_FAILURES_PER_NAME),
        getattr(settings, "API_LOGIN_MAX_FAILURES_PER_ADDRESS", MAX_FAILURES_PER_ADDRESS),
        getattr(settings, "API_LOGIN_FAILURE_WINDOW_SECONDS", WINDOW_SECONDS),
    )


def _keys(request, username: str) -> tuple[str, str]:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"fedcat:login-failures:{address}:{name}", f"fedcat:login-failures:{address}"


def check(request, username: str) -> None:
    """Raises Throttled (429) while too many sign-ins from here have failed."""
    per_name, per_address, window = _limits()
    name_key, address_key = _keys(request, username)
    counts = cache.get_many([name_key, address_key])
    if counts.get(name_key, 0) >= per_name or counts.get(address_key, 0) >= per_address:
        raise Throttled(wait=window)


def record_failure(request, username: str) -> None:
    _, _, window = _limits()
    for key in _keys(request, username):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


def record_success(request, username: str) -> None:
    cache.delete(_keys(request, username)[0])
