"""DOI providers: the interface (base.py), DataCite (datacite.py) and the one configured here.

`get_provider()` builds the provider the settings name, or None when none is configured
(DATACITE_URL empty): DOIs are then reserved locally and registered once one is.
"""

from __future__ import annotations

from django.conf import settings

from .base import DoiError, DoiProvider, DoiRejected, DoiUnavailable, RemoteDoi
from .datacite import DataCiteClient, DataCiteProvider

__all__ = [
    "DataCiteClient",
    "DataCiteProvider",
    "DoiError",
    "DoiProvider",
    "DoiRejected",
    "DoiUnavailable",
    "RemoteDoi",
    "claim_lease_seconds",
    "get_provider",
    "registration_enabled",
]


def registration_enabled() -> bool:
    return bool(getattr(settings, "DATACITE_URL", ""))


def timeout_seconds() -> float:
    return float(getattr(settings, "DATACITE_TIMEOUT_SECONDS", 30) or 30)


def claim_lease_seconds() -> float:
    """How long a task may hold a record for one call: past it, the claim counts as dead
    (its worker was killed) and another task may take over. Longer than any call can last."""
    return 2 * timeout_seconds() + 1


def get_provider() -> DoiProvider | None:
    if not registration_enabled():
        return None
    site = getattr(settings, "SITE_URL", "") or "unknown site"
    client = DataCiteClient(
        settings.DATACITE_URL,
        getattr(settings, "DATACITE_REPOSITORY_ID", ""),
        getattr(settings, "DATACITE_PASSWORD", ""),
        timeout=timeout_seconds(),
        user_agent=f"fedcat (+{site})",
    )
    return DataCiteProvider(client)
