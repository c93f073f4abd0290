"""Outbound HTTP of the federation: the one place that talks to partners.

One event loop per process runs in a daemon thread and holds one ``httpx.AsyncClient`` (over
the lean transport of transport.py), so connections to partners are kept alive between
searches and a search costs no client set-up.
Request threads hand it coroutines (``submit``) and wait on the returned future.

What leaves this site: a GET with the filter, ``Accept: application/json``, a User-Agent and
the HOP_HEADER, nothing else: no cookies (the jar refuses them all), no Authorization, no
credentials from the environment (``trust_env=False``). Redirects are not followed (a redirect
could lead past the allowlist). Bodies are read up to a byte limit, counted after
decompression, and must be JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import Future
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from .transport import LeanTransport

USER_AGENT = "fedcat-federation/1"
HOP_HEADER = "X-Fedcat-Federation"  # set on outgoing requests; a federated view seeing it
# answers with its own catalogue only, so partners that federate each other never loop


class PartnerError(Exception):
    """A partner failed to answer usefully. ``counts``: towards its circuit breaker (a 4xx
    says the partner did not like this question, not that it is down)."""

    def __init__(self, message: str, *, counts: bool = True):
        super().__init__(message)
        self.message = message
        self.counts = counts


class PartnerTimeout(PartnerError):
    def __init__(self):
        super().__init__("timeout")


class Transport:
    def __init__(self):
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: httpx.AsyncClient | None = None

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fedcat-federation", daemon=True)
        thread.start()
        self.loop = loop
        self.client = asyncio.run_coroutine_threadsafe(_make_client(), loop).result()

    def submit(self, coroutine) -> Future:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: a loop of its own
                self._start()
                self._pid = os.getpid()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    async def get_json(self, url: str, params: dict, *, timeout: float, max_bytes: int):
        try:
            return await self._get_json(url, params, timeout, max_bytes)
        except PartnerError:
            raise
        except httpx.TimeoutException:
            raise PartnerTimeout() from None
        except httpx.ConnectError as exc:
            refused = _caused_by(exc, ConnectionRefusedError) or "refused" in str(exc).lower()
            raise PartnerError("connection refused" if refused else "cannot connect") from None
        except httpx.RemoteProtocolError:
            raise PartnerError("connection closed before the answer was complete") from None
        except httpx.HTTPError as exc:
            raise PartnerError(f"request failed ({type(exc).__name__})") from None

    async def _get_json(self, url, params, timeout, max_bytes):
        request_timeout = httpx.Timeout(timeout)
        async with self.client.stream("GET", url, params=params, timeout=request_timeout) as r:
            code = r.status_code
            if 300 <= code < 400:
                raise PartnerError(f"HTTP {code} redirect (not followed)")
            if 400 <= code < 500:
                raise PartnerError(f"HTTP {code}", counts=False)
            if code != 200:
                raise PartnerError(f"HTTP {code}")
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise PartnerError(f"answer larger than {max_bytes} bytes")
            body = bytearray()
            async for chunk in r.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise PartnerError(f"answer larger than {max_bytes} bytes")
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise PartnerError("invalid JSON") from None


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


async def _make_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", HOP_HEADER: "1"},
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,
        trust_env=False,
        transport=LeanTransport(),
    )


transport = Transport()
