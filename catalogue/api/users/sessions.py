"""POST /auth/login, POST /auth/logout, GET /auth/whoami (and the /users/login, /users/logout
aliases upstream keeps).

Login answers 201 with SciCat's token body; `id` is the token (pyscicat reads
`response.json()["id"]`). A wrong password, an unknown user and an inactive account all answer
the same 401, so the answer never says which part was wrong. Logout revokes the token the
request came with (upstream's JWTs cannot be revoked; these can).
"""

from __future__ import annotations

from django.contrib.auth import logout
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.camel import iso
from catalogue.services.users import user_login, user_logout

from . import throttle
from .shapes import user_json, whoami_json

MAX_USERNAME = 150
MAX_PASSWORD = 4096  # hashing a megabyte-long password is a denial of service


def require_signed_in(request) -> None:
    """SciCat's JWT guard: 401 "Unauthorized" for anonymous callers."""
    if not request.user.is_authenticated:
        raise AuthenticationFailed("Unauthorized")


def parse_credentials(data) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise ValidationError(["the body must be a JSON object with username and password"])
    errors = []
    for name, longest in (("username", MAX_USERNAME), ("password", MAX_PASSWORD)):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            errors.append(f"{name} must be a non-empty string")
        elif len(value) > longest:
            errors.append(f"{name} must be at most {longest} characters")
    if errors:
        raise ValidationError(errors)
    return data["username"], data["password"]


class LoginView(APIView):
    # Credentials sent along (a stale token, a portal session) play no part in signing in.
    authentication_classes = []
    parser_classes = [JSONParser, FormParser]

    def get_authenticate_header(self, request):
        return "Bearer"  # so a refusal is 401, as upstream, not DRF's 403

    def post(self, request):
        username, password = parse_credentials(request.data)
        throttle.check(request, username)
        signed_in = user_login(username=username, password=password)
        if signed_in is None:
            throttle.record_failure(request, username)
            raise AuthenticationFailed("Unauthorized")
        throttle.record_success(request, username)
        user, raw, token = signed_in
        lifetime = round((token.expires_at - token.created_at).total_seconds())
        body = {
            "access_token": raw,
            "id": raw,
            "expires_in": lifetime,
            "ttl": lifetime,
            "created": iso(token.created_at),
            "userId": str(user.pk),
            "user": user_json(user),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LogoutView(APIView):
    def post(self, request):
        require_signed_in(request)
        if isinstance(request.auth, str):
            user_logout(raw_token=request.auth)
        else:  # signed in through a portal session
            logout(request._request)
        return Response({"logout": "successful"}, status=status.HTTP_200_OK)


class WhoAmIView(APIView):
    def get(self, request):
        require_signed_in(request)
        return Response(whoami_json(request.user))
