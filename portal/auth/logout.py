"""Sign-out at the provider: OpenID Connect RP-Initiated Logout 1.0.

mozilla-django-oidc's logout view calls `provider_logout_url` (OIDC_OP_LOGOUT_URL_METHOD)
before it ends the Django session. For a user who signed in through the provider the answer is
the provider's `end_session_endpoint` (OIDC_OP_LOGOUT_ENDPOINT, or its discovery document) with
the ID token of the sign-in as `id_token_hint`, the client id and where to come back to
(`post_logout_redirect_uri`, which must be registered at the provider). Everyone else, and
everyone when the provider cannot be reached, gets the site's own landing page: signing out here
never fails because the provider does.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url

from . import provider

log = logging.getLogger(__name__)

OIDC_BACKEND = "portal.auth.backends.OIDCBackend"
ID_TOKEN_KEY = "oidc_id_token"  # where mozilla-django-oidc keeps it (OIDC_STORE_ID_TOKEN)


def signed_in_through_provider(request) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND


def end_session_endpoint() -> str:
    """The provider's end-session endpoint, or "" when it has none or cannot say."""
    try:
        endpoint = provider.oidc_setting("OIDC_OP_LOGOUT_ENDPOINT", "")
    except (provider.ProviderUnavailable, ImproperlyConfigured) as exc:
        log.warning("signing out at the provider skipped: %s", exc)
        return ""
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
        return ""
    return endpoint


def provider_logout_url(request) -> str:
    """Where the browser goes after signing out (called before the session ends)."""
    home = resolve_url(settings.LOGOUT_REDIRECT_URL)
    if not (
        getattr(settings, "OIDC_LOGOUT_AT_PROVIDER", True)
        and signed_in_through_provider(request)
        and provider.oidc_enabled()
    ):
        return home
    endpoint = end_session_endpoint()
    if not endpoint:
        return home
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(home),
    }
    id_token = request.session.get(ID_TOKEN_KEY)
    if isinstance(id_token, str) and id_token:
        params["id_token_hint"] = id_token
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)
