"""What every DOI provider offers, and the two ways a call can go wrong.

A provider turns a neutral Record into its agency's payload and sends it with an event
(register, publish, hide, show: DataCite's vocabulary). Calls either answer the DOI's state at
the agency (`RemoteDoi`) or raise:

- `DoiUnavailable`: worth trying again later (network error, timeout, 409, 429, 5xx); carries
  the agency's Retry-After when it sent one;
- `DoiRejected`: the agency refused the request (other 4xx); retrying the same payload cannot
  help, a person must fix the metadata or the configuration. Carries the agency's errors[].

Providers hold an injected client, so tests and other agencies plug in without touching the
lifecycle (catalogue/services/published/lifecycle.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class RemoteDoi:
    doi: str
    state: str  # the agency's own state: draft, registered, findable


class DoiError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status


class DoiUnavailable(DoiError):
    """A temporary failure: try again later (after `retry_after` seconds when known)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after=None):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class DoiRejected(DoiError):
    """The agency refused the request; `errors` are its entries ({status, source, title})."""

    def __init__(self, message: str, *, status: int, errors: list[dict] | None = None):
        super().__init__(message, status=status)
        self.errors = errors or []


class DoiProvider(ABC):
    """A registration agency (DataCite) reached through an injected client."""

    name = ""

    def __init__(self, client):
        self.client = client

    @abstractmethod
    def payload(self, record) -> dict:
        """What the agency is sent for `record` (no event); raises IncompleteMetadata."""

    @abstractmethod
    def put(self, doi: str, payload: dict, *, event: str | None) -> RemoteDoi:
        """Creates or updates `doi` (idempotent) and applies `event`; answers the new state."""

    @abstractmethod
    def get(self, doi: str) -> RemoteDoi | None:
        """The DOI as the agency has it, or None when it does not know it."""

    def close(self) -> None:
        close = getattr(self.client, "close", None)
        if close:
            close()
