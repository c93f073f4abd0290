"""A circuit breaker per partner, kept in Django's cache (shared by processes when it is Redis).

Closed: every search asks the partner. After FEDERATION_BREAKER_FAILURES failures in a row
(timeouts, refused connections, 5xx, invalid or oversized answers; not a 4xx, which is about
the question) it opens: for FEDERATION_BREAKER_SECONDS the partner is not asked and its status
says so. Then one search is let through (half-open); its success closes the breaker, its
failure opens it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "fedcat:federation:breaker:"


def clock() -> float:
    return time.time()


def _threshold() -> int:
    return max(1, int(getattr(settings, "FEDERATION_BREAKER_FAILURES", 3)))


def _seconds() -> float:
    return float(getattr(settings, "FEDERATION_BREAKER_SECONDS", 60))


@dataclass(frozen=True)
class State:
    failures: int = 0
    open_until: float = 0.0

    @property
    def state(self) -> str:
        if self.open_until == 0:
            return "closed"
        return "open" if self.open_until > clock() else "half-open"


def state(name: str) -> State:
    raw = cache.get(PREFIX + name)
    return State(**raw) if isinstance(raw, dict) else State()


def allow(name: str) -> tuple[bool, float]:
    """(may this search ask the partner, seconds until the breaker lets one try)."""
    current = state(name)
    if current.open_until == 0:
        return True, 0.0
    left = current.open_until - clock()
    if left > 0:
        return False, left
    # Half-open: one trial at a time (cache.add is atomic on every backend).
    if cache.add(PREFIX + name + ":trial", 1, timeout=max(1, int(_seconds()))):
        return True, 0.0
    return False, 0.0


def record(name: str, ok: bool) -> None:
    if ok:
        cache.delete_many([PREFIX + name, PREFIX + name + ":trial"])
        return
    current = state(name)
    failures = current.failures + 1
    open_until = current.open_until
    if failures >= _threshold():
        open_until = clock() + _seconds()
        cache.delete(PREFIX + name + ":trial")
    ttl = max(60, int(_seconds()) * 4)  # forgets a partner that stopped failing long ago
    cache.set(PREFIX + name, {"failures": failures, "open_until": open_until}, ttl)
