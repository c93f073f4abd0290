"""Authentication for the SciCat API: a token in `Authorization: Bearer` or `?access_token=`.

Two kinds of token are accepted: the site's own (`fc_...`, from POST /auth/login or the
account page) and, when sign-in through an identity provider is configured, the provider's
access tokens, which the authentication backends check at its userinfo endpoint (answers
cached for OIDC_TOKEN_CACHE_SECONDS; see portal/auth/backends.py).

As upstream, a missing, invalid or expired token makes the request anonymous (it is not
refused); the access rules then decide. pyscicat sends both forms at once.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, SessionAuthentication

from catalogue.services.tokens import bearer_user


def raw_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token", "") if hasattr(request, "query_params") else ""


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = raw_token(request)
        if not raw:
            return None
        user = bearer_user(raw)
        return (user, raw) if user is not None else None

    def authenticate_header(self, request):
        return "Bearer"


class QuietSessionAuthentication(SessionAuthentication):
    """Browser sessions (the portal, the browsable docs) also work on the API."""
