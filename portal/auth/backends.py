"""The Django authentication backend for the provider: the authorization-code flow (with PKCE,
driven by mozilla-django-oidc's views) and access tokens sent to the API as bearer tokens.

Settings are read lazily, so the backend costs nothing (and fails nothing) on sites without
OIDC, where Django still asks it about every password sign-in.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from catalogue.errors import InvalidInput

from . import provider
from .services import oidc_user_sync

log = logging.getLogger(__name__)


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(provider.oidc_setting)

    def __init__(self, *args, **kwargs):
        # mozilla-django-oidc reads every endpoint here; we read them when they are needed.
        self.UserModel = get_user_model()

    def _configure(self) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = self.get_settings("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = self.get_settings("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = self.get_settings("OIDC_OP_JWKS_ENDPOINT", None)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = self.get_settings("OIDC_RP_CLIENT_SECRET", "")
        self.OIDC_RP_SIGN_ALGO = self.get_settings("OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = self.get_settings("OIDC_RP_IDP_SIGN_KEY", None)

    def authenticate(self, request, oidc_access_token=None, **kwargs):
        if oidc_access_token is not None:
            return self._bearer_user(oidc_access_token)
        if request is None or "code" not in request.GET or not provider.oidc_enabled():
            return None
        try:
            self._configure()
            return super().authenticate(request, **kwargs)
        except (
            requests.RequestException,
            provider.ProviderUnavailable,
            ImproperlyConfigured,
            SuspiciousOperation,
            jwt.PyJWTError,
            ValueError,
        ) as exc:
            log.warning("sign-in through the provider failed: %s", exc)
            return None

    def retrieve_matching_jwk(self, token):
        """The provider's key for this ID token: the one its `kid` names, or, for a token
        without `kid`, the only key of the set (OpenID Connect Core 10.1 allows that case)."""
        answer = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT, timeout=provider.timeout(), verify=provider.verify()
        )
        answer.raise_for_status()
        keys = [k for k in answer.json().get("keys", []) if isinstance(k, dict)]
        header = jwt.get_unverified_header(token)
        kid, alg = header.get("kid"), header.get("alg")
        if kid is not None:
            keys = [k for k in keys if k.get("kid") == kid]
        keys = [k for k in keys if k.get("alg", alg) == alg and k.get("use", "sig") == "sig"]
        if len(keys) != 1:
            raise SuspiciousOperation("no single signing key of the provider matches the token")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims) -> bool:
        return isinstance(claims.get("sub"), str) and bool(claims["sub"])

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("the provider's userinfo has no subject")
        if payload.get("sub") and claims["sub"] != payload["sub"]:
            # OpenID Connect Core 5.3.2: the two must match, or the answer is not about this user.
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        try:
            return oidc_user_sync(claims=claims, issuer=str(payload.get("iss", "")))
        except InvalidInput as exc:
            raise SuspiciousOperation(exc.message) from exc

    def _bearer_user(self, access_token: str):
        """The user of an access token, as the provider's userinfo endpoint vouches for it.

        Answers (user id, or 0 for a refused token) are cached for OIDC_TOKEN_CACHE_SECONDS,
        so a script's requests do not each cost a call to the provider."""
        if (
            not provider.oidc_enabled()
            or not access_token
            or len(access_token) > provider.MAX_TOKEN_LENGTH
        ):
            return None
        user_id = provider.cached_token_user_id(access_token)
        if user_id is None:
            try:
                claims = provider.userinfo(access_token)
            except provider.ProviderUnavailable as exc:
                log.warning("could not check an access token: %s", exc)
                return None
            user = None
            if claims is not None:
                try:
                    user = oidc_user_sync(claims=claims)
                except InvalidInput:
                    user = None
            provider.remember_token(access_token, user.pk if user else 0)
            return user
        if not user_id:
            return None
        user = self.UserModel.objects.filter(pk=user_id, is_active=True).first()
        return user

    def get_user(self, user_id):
        user = self.UserModel.objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
