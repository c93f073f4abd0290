"""The identity provider: its endpoints (set one by one, or read from its discovery document)
and the userinfo call that validates access tokens. All HTTP to the provider goes through here,
with timeouts; a provider that is down never becomes a 500.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.utils import import_from_settings

log = logging.getLogger(__name__)

# Our setting -> the key of the discovery document (OpenID Connect Discovery 1.0).
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",  # RP-Initiated Logout 1.0
}
DISCOVERY_TTL = 3600.0
MAX_TOKEN_LENGTH = 8192

_discovered: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense."""


def timeout() -> float:
    return float(getattr(settings, "OIDC_TIMEOUT", 10) or 10)


def verify():
    return getattr(settings, "OIDC_VERIFY_SSL", True)


def discovery() -> dict:
    """The provider's discovery document ({} when no OIDC_OP_DISCOVERY_URL is set), kept an hour."""
    url = getattr(settings, "OIDC_OP_DISCOVERY_URL", "")
    if not url:
        return {}
    now = time.monotonic()
    with _lock:
        cached = _discovered.get(url)
        if cached and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
    try:
        response = requests.get(url, timeout=timeout(), verify=verify())
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery document {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"discovery document {url} is not a JSON object")
    with _lock:
        _discovered[url] = (now, document)
    return document


def oidc_setting(name: str, *default):
    """A mozilla-django-oidc setting; endpoints not set explicitly come from discovery."""
    if name in DISCOVERED:
        value = getattr(settings, name, "") or discovery().get(DISCOVERED[name], "")
        if value:
            return value
        if default:
            return default[0]
        raise ImproperlyConfigured(f"{name} is not set and the provider's discovery lacks it")
    return import_from_settings(name, *default)


def oidc_enabled() -> bool:
    """Sign-in through the provider is offered when a client id and endpoints are configured."""
    if not getattr(settings, "OIDC_RP_CLIENT_ID", ""):
        return False
    if getattr(settings, "OIDC_OP_DISCOVERY_URL", ""):
        return True
    return all(
        getattr(settings, name, "")
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
        )
    )


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "single sign-on"


def userinfo(access_token: str) -> dict | None:
    """The claims the provider gives for an access token; None when it refuses the token.

    Raises ProviderUnavailable when it cannot tell (down, timeout, 5xx)."""
    try:
        endpoint = oidc_setting("OIDC_OP_USER_ENDPOINT")
    except ImproperlyConfigured as exc:
        raise ProviderUnavailable(str(exc)) from exc
    try:
        response = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=timeout(),
            verify=verify(),
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"userinfo: {exc}") from exc
    if response.status_code in (400, 401, 403):
        return None
    if response.status_code != 200:
        raise ProviderUnavailable(f"userinfo answered {response.status_code}")
    try:
        claims = response.json()
    except ValueError as exc:
        raise ProviderUnavailable("userinfo did not answer JSON") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise ProviderUnavailable("userinfo answered no subject")
    return claims


def _cache_key(access_token: str) -> str:
    return "fedcat:oidc-token:" + hashlib.sha256(access_token.encode()).hexdigest()


def cached_token_user_id(access_token: str) -> int | None:
    """The user id a recent check of this token found: an id, 0 (refused) or None (not known)."""
    return cache.get(_cache_key(access_token))


def remember_token(access_token: str, user_id: int) -> None:
    ttl = int(getattr(settings, "OIDC_TOKEN_CACHE_SECONDS", 60))
    if ttl > 0:
        cache.set(_cache_key(access_token), user_id, timeout=ttl)
