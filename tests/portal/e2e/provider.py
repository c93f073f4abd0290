"""A real OpenID Connect provider on loopback for the tests: oidc-provider-mock (authlib under
Flask, RS256-signed ID tokens, JWKS, userinfo, discovery), behind a small WSGI layer that
enforces PKCE the way a strict provider does (the mock accepts code_challenge but never checks
it) and counts calls, so tests can see what the site sent.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

oidc_provider_mock = pytest.importorskip(
    "oidc_provider_mock", reason="oidc-provider-mock is not installed (pip install -e .[dev])"
)
from werkzeug.serving import make_server  # noqa: E402

GROUP = "urn:geant:helmholtz.de:group:"
AUTHORITY = "#login.helmholtz.de"

# The people the provider knows. Olivia's Helmholtz VO group p-owner owns the private test data.
USERS = {
    "olivia-sub": {
        "email": "olivia@hzdr.example",
        "preferred_username": "olivia",
        "given_name": "Olivia",
        "family_name": "Owner",
        "eduperson_entitlement": [
            f"{GROUP}HZB{AUTHORITY}",
            f"{GROUP}HZB:p-owner:role=member{AUTHORITY}",
            "urn:mace:dir:entitlement:common-lib-terms",
        ],
    },
    "oscar-sub": {
        "email": "oscar@desy.example",
        "preferred_username": "oscar",
        "eduperson_entitlement": [f"{GROUP}DESY{AUTHORITY}"],
    },
}


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Calls:
    authorize: list[dict] = field(default_factory=list)  # query of each authorization request
    token: list[dict] = field(default_factory=list)  # form of each token request
    userinfo: int = 0
    end_session: list[dict] = field(default_factory=list)  # query of each sign-out request
    challenges: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> challenge


class PkceEnforcingProvider:
    """WSGI middleware: remembers the code_challenge of each issued code and refuses a token
    request whose code_verifier does not match it (RFC 7636 section 4.6)."""

    def __init__(self, app):
        self.app = app
        self.calls = Calls()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/oauth2/authorize":
            with self.lock:
                self.calls.authorize.append(query)
            if method == "POST":
                return self.app(environ, self._capture_code(query, start_response))
        if path == "/oauth2/end_session":
            with self.lock:
                self.calls.end_session.append(query)
        if path == "/userinfo":
            with self.lock:
                self.calls.userinfo += 1
        if path == "/oauth2/token" and method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            with self.lock:
                self.calls.token.append(form)
                expected = self.calls.challenges.pop(form.get("code", ""), None)
            if expected and not self._verifier_matches(form.get("code_verifier", ""), *expected):
                payload = json.dumps({"error": "invalid_grant", "error_description": "PKCE"})
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [payload.encode()]
        return self.app(environ, start_response)

    def _capture_code(self, query, start_response):
        def capturing(status, headers, exc_info=None):
            location = dict(headers).get("Location", "")
            code = parse_qs(urlparse(location).query).get("code", [""])[0]
            if code and query.get("code_challenge"):
                method = query.get("code_challenge_method", "plain")
                with self.lock:
                    self.calls.challenges[code] = (query["code_challenge"], method)
            return start_response(status, headers, exc_info)

        return capturing

    @staticmethod
    def _verifier_matches(verifier: str, challenge: str, method: str) -> bool:
        return (s256(verifier) if method == "S256" else verifier) == challenge


@dataclass
class Provider:
    url: str
    wsgi: PkceEnforcingProvider

    @property
    def calls(self) -> Calls:
        return self.wsgi.calls

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def set_user(self, sub: str, claims: dict) -> None:
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def revoke_tokens(self, sub: str) -> None:
        requests.post(f"{self.url}/users/{sub}/revoke-tokens", timeout=10).raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """What the person does at the provider (pick the account, consent); returns the
        callback URL the provider redirects the browser to."""
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["Location"]

    def end_session(self, end_session_url: str) -> str:
        """What the person does at the provider's sign-out page (confirm); returns where the
        provider sends the browser next (the post_logout_redirect_uri)."""
        page = requests.get(end_session_url, timeout=10)
        assert page.status_code == 200, page.text[:500]
        match = re.search(r'name="redirect_uri" value="([^"]*)"', page.text)
        form = {"redirect_uri": html.unescape(match.group(1))} if match else {}
        answer = requests.post(
            f"{self.url}/oauth2/end_session/confirm", data=form, allow_redirects=False, timeout=10
        )
        return answer.headers.get("Location", "")

    def id_token_claims(self, id_token: str, audience: str) -> dict:
        """The claims of an ID token, after checking it was signed with this provider's key."""
        keys = requests.get(f"{self.url}/jwks", timeout=10).json()["keys"]
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = next(k for k in keys if kid is None or k.get("kid") == kid)
        return jwt.decode(
            id_token, jwt.PyJWK(key), algorithms=["RS256"], audience=audience, issuer=self.url
        )

    def access_token(self, sub: str, scope: str = "openid profile email eduperson_entitlement"):
        """An access token as a script gets one (the code flow done with plain HTTP)."""
        redirect = "http://127.0.0.1/callback"
        verifier = "v" * 64
        callback = self.authorize(
            f"{self.url}/oauth2/authorize?"
            + "&".join(
                f"{k}={requests.utils.quote(v, safe='')}"
                for k, v in {
                    "client_id": "ingestor",
                    "redirect_uri": redirect,
                    "response_type": "code",
                    "scope": scope,
                    "code_challenge": s256(verifier),
                    "code_challenge_method": "S256",
                    "nonce": "n-" + verifier[:8],
                }.items()
            ),
            sub,
        )
        code = parse_qs(urlparse(callback).query)["code"][0]
        answer = requests.post(
            f"{self.url}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "client_id": "ingestor",
                "client_secret": "x",
                "code_verifier": verifier,
            },
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]


@contextmanager
def serve():
    """The provider, serving on a free loopback port until the block ends."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback
    app = oidc_provider_mock.app(
        user_claims=[oidc_provider_mock.User(sub=sub, claims=c) for sub, c in USERS.items()],
        require_nonce=True,
    )
    wsgi = PkceEnforcingProvider(app)
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield Provider(url=f"http://127.0.0.1:{server.server_port}", wsgi=wsgi)
    finally:
        server.shutdown()
        server.server_close()


def configure(settings, oidc_provider):
    """The site (pytest-django's `settings`) configured for the provider by discovery."""
    settings.OIDC_RP_CLIENT_ID = "fedcat"
    settings.OIDC_RP_CLIENT_SECRET = "fedcat-secret"
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.discovery_url
    for name in (
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    ):
        setattr(settings, name, "")
    settings.OIDC_GROUP_PREFIXES = [f"{GROUP}HZB:", GROUP]
    settings.OIDC_GROUP_MAP = []
    settings.OIDC_TOKEN_CACHE_SECONDS = 60
    settings.OIDC_LOGOUT_AT_PROVIDER = True
    settings.OIDC_STORE_ID_TOKEN = True
    settings.OIDC_OP_LOGOUT_ENDPOINT = ""
    return settings
