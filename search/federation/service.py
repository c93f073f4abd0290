"""The federated search: ask every partner at once, never fail because one did.

    federated_search(user, query) -> FederatedResult(items, total, exact, statuses)
    federated_count(user, query)  -> FederatedResult(total, statuses)

For each remote partner, in order: an URL outside the allowlist, a search it cannot apply, or
an open circuit breaker gives an ``error: ...`` status without a request; a cached answer
(FEDERATION_CACHE_SECONDS, per partner and question, reused for any smaller window) gives
``ok``; the rest are asked concurrently on the federation's event loop, each within its own
timeout and all within FEDERATION_DEADLINE_SECONDS. Meanwhile the local catalogue answers
in-process, as the requesting user. Every partner gets a status (``ok``, ``timeout``,
``error: <reason>``) with its latency in ms; metrics record each request.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.core.cache import cache

from portal.observability import metrics

from . import breaker, merge
from .clients import Answer, client_for
from .http import PartnerError, PartnerTimeout, transport
from .partners import PartnerConfig, all_partners, url_allowed
from .query import FederatedQuery

logger = logging.getLogger(__name__)
CACHE_PREFIX = "fedcat:federation:answer:"
OK, TIMEOUT = "ok", "timeout"
_recent_latency: dict[str, float] = {}  # partner -> its last latency (ms), in this process


def _setting(name: str, default):
    return getattr(settings, name, default)


@dataclass
class PartnerStatus:
    name: str
    title: str
    kind: str
    status: str  # ok | timeout | error: <reason>
    latency_ms: int = 0
    count: int | None = None
    exact: bool = True
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.status == OK

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "type": self.kind,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "count": self.count,
            "countExact": self.exact,
            "cached": self.cached,
        }


@dataclass
class FederatedResult:
    items: list[dict] = field(default_factory=list)
    total: int = 0
    exact: bool = True  # False: some partner's count is a lower bound, or a partner failed
    statuses: list[PartnerStatus] = field(default_factory=list)


@dataclass
class _Job:
    partner: PartnerConfig
    status: PartnerStatus
    answer: Answer | None = None
    count: int | None = None
    failed: bool = False  # counts towards the partner's circuit breaker


# --- the public functions -------------------------------------------------------------------------
def federated_search(
    user, query: FederatedQuery, *, local: bool = True, remote: bool = True, base_url: str = ""
) -> FederatedResult:
    """One page of the merged results. `local`/`remote`: which partners to ask (a request
    coming from another federation asks the local catalogue only). `base_url`: this site's
    absolute root, for the local partner's links and provider label."""
    jobs = _run(user, query, local=local, remote=remote, counting=False)
    answered = [(job.partner, job.answer.items) for job in jobs if job.answer is not None]
    entries = merge.ranked(query, answered)
    providers = {job.partner.name: _provider(job.partner, base_url) for job in jobs}
    items = []
    for entry in entries[query.skip : query.window]:
        item = merge.render(entry, providers[entry.partner.name])
        if item.get("url") and base_url and not entry.partner.remote:
            item["url"] = urljoin(base_url, item["url"])
        items.append(item)
    return _result(jobs, items)


def federated_count(user, query: FederatedQuery, *, local=True, remote=True) -> FederatedResult:
    """The sum of the partners' counts of a where (a number, never text)."""
    return _result(_run(user, query, local=local, remote=remote, counting=True), [])


def _result(jobs: list[_Job], items: list[dict]) -> FederatedResult:
    statuses = [job.status for job in jobs]
    total = sum(s.count or 0 for s in statuses if s.ok)
    exact = all(s.ok and s.exact for s in statuses)
    return FederatedResult(items, total, exact, statuses)


def _provider(partner: PartnerConfig, base_url: str) -> str:
    if partner.remote:
        return partner.url
    return urljoin(base_url, "/panosc-api") if base_url else partner.name


# --- running the partners -------------------------------------------------------------------------
def _run(user, query, *, local: bool, remote: bool, counting: bool) -> list[_Job]:
    partners = [p for p in all_partners() if (p.remote and remote) or (not p.remote and local)]
    jobs, waiting = [], []
    for partner in partners:
        job = _Job(partner, PartnerStatus(partner.name, partner.label, partner.kind, OK))
        jobs.append(job)
        if partner.remote and not _prepare(job, query, counting):
            waiting.append(job)
    future = transport.submit(_ask_all(waiting, query, counting)) if waiting else None
    for job in jobs:
        if not job.partner.remote:
            _ask_local(job, user, query, counting)
    if future is not None:
        deadline = float(_setting("FEDERATION_DEADLINE_SECONDS", 5.0))
        try:
            future.result(timeout=deadline + 1.0)  # the loop enforces the deadline itself
        except Exception:
            logger.exception("federation: the fan-out failed")
            for job in waiting:
                if job.answer is None and job.count is None and job.status.ok:
                    job.status.status, job.failed = "error: internal error", True
        for job in waiting:
            _finish(job, query, counting)
    return jobs


def _prepare(job: _Job, query: FederatedQuery, counting: bool) -> bool:
    """Settles the job without a request when it can; True when settled."""
    partner, status = job.partner, job.status
    if not url_allowed(partner.url):
        status.status = "error: host not in FEDERATION_ALLOWED_HOSTS"
        return True
    if query.unsupported:
        status.status = "error: not asked, it cannot apply " + ", ".join(query.unsupported)
        return True
    cached = _cached(partner, query, counting)
    if cached is not None:
        status.cached = True
        if counting:
            job.count = status.count = cached
        else:
            job.answer = cached
            status.count, status.exact = cached.count, cached.exact
        return True
    allowed, left = breaker.allow(partner.name)
    if not allowed:
        status.status = f"error: not asked for {max(1, round(left))} s after repeated failures"
        return True
    return False


async def _ask_all(jobs: list[_Job], query, counting: bool) -> None:
    deadline = float(_setting("FEDERATION_DEADLINE_SECONDS", 5.0))
    max_bytes = int(_setting("FEDERATION_MAX_RESPONSE_BYTES", 5 * 1024 * 1024))
    # The slowest partner last time goes first: its request leaves before the others' are built.
    launch = sorted(jobs, key=lambda job: -_recent_latency.get(job.partner.name, 0.0))
    tasks = {
        id(job): asyncio.ensure_future(_ask(job, query, counting, max_bytes)) for job in launch
    }
    tasks = [tasks[id(job)] for job in jobs]
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task, job in zip(tasks, jobs, strict=True):
        if task in pending:
            task.cancel()
            job.status.status, job.failed = TIMEOUT, True
            job.status.latency_ms = round(deadline * 1000)


async def _ask(job: _Job, query, counting: bool, max_bytes: int) -> None:
    client = client_for(job.partner, transport, max_bytes=max_bytes)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(job.partner.timeout):
            if counting:
                job.count = await client.count(query)
            else:
                job.answer = await client.search(query, query.window)
    except (TimeoutError, PartnerTimeout):
        job.status.status, job.failed = TIMEOUT, True
    except PartnerError as exc:
        job.status.status, job.failed = f"error: {exc.message}", exc.counts
    except Exception as exc:  # a client bug must not fail the search
        logger.exception("federation: partner %s", job.partner.name)
        job.status.status, job.failed = f"error: {type(exc).__name__}", True
    job.status.latency_ms = round((time.perf_counter() - started) * 1000)
    _recent_latency[job.partner.name] = job.status.latency_ms


def _finish(job: _Job, query: FederatedQuery, counting: bool) -> None:
    status = job.status
    if not status.ok:
        status.exact = False
    breaker.record(job.partner.name, ok=not job.failed)
    metrics.observe_federation(
        partner=job.partner.name, status=status.status, seconds=status.latency_ms / 1000
    )
    if status.ok:
        if counting:
            status.count = job.count
        else:
            status.count, status.exact = job.answer.count, job.answer.exact
        _store(job.partner, query, counting, job.count if counting else job.answer)


def _ask_local(job: _Job, user, query: FederatedQuery, counting: bool) -> None:
    client = client_for(job.partner, transport, max_bytes=0)
    started = time.perf_counter()
    try:
        if counting:
            job.count = job.status.count = client.count(user, query)
        else:
            job.answer = client.search(user, query, query.window)
            job.status.count, job.status.exact = job.answer.count, job.answer.exact
    except PartnerError as exc:
        job.status.status, job.status.exact = f"error: {exc.message}", False
    except Exception as exc:
        logger.exception("federation: the local catalogue failed")
        job.status.status, job.status.exact = f"error: {type(exc).__name__}", False
    seconds = time.perf_counter() - started
    job.status.latency_ms = round(seconds * 1000)
    metrics.observe_federation(partner=job.partner.name, status=job.status.status, seconds=seconds)


# --- the answer cache -----------------------------------------------------------------------------
def _cache_key(partner: PartnerConfig, query: FederatedQuery, counting: bool) -> str:
    kind = "count" if counting else "list"
    where = hashlib.sha256(f"{partner.kind} {partner.url}".encode()).hexdigest()[:12]
    return f"{CACHE_PREFIX}{partner.name}:{where}:{kind}:{query.key()}"


def _cached(partner, query, counting: bool):
    if int(_setting("FEDERATION_CACHE_SECONDS", 30)) <= 0:
        return None
    found = cache.get(_cache_key(partner, query, counting))
    if found is None or counting:
        return found
    answer = Answer(**found)
    if answer.window >= query.window or len(answer.items) < answer.window:
        answer.items = answer.items[: query.window]
        return answer
    return None  # a smaller window was cached: ask again for more


def _store(partner, query, counting: bool, value) -> None:
    seconds = int(_setting("FEDERATION_CACHE_SECONDS", 30))
    if seconds <= 0 or value is None:
        return
    if not counting:
        value = {"items": value.items, "count": value.count, "exact": value.exact}
        value["window"] = query.window
    cache.set(_cache_key(partner, query, counting), value, seconds)
