"""The /users endpoints: a user's own record and identity, what admins may see, and tokens.

As upstream (AuthenticatedPoliciesGuard), anonymous callers get 401 "Unauthenticated" here, a
user asking for another user's record 403 "Access Forbidden or Unauthorized".
"""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.access import principal_for
from catalogue.api.filters import filter_from_request
from catalogue.errors import PermissionDenied
from catalogue.services.users import (
    user_get,
    user_ingestor_token_issue,
    user_may_create_datasets,
    user_token_issue,
    users_list,
)

from .shapes import identity_json, user_json

# Durations as jsonwebtoken's expiresIn writes them ("30d", "12h", "1y"); a bare number is seconds.
UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 7 * 86400,
    "week": 7 * 86400,
    "weeks": 7 * 86400,
    "y": 365 * 86400,
    "yr": 365 * 86400,
    "yrs": 365 * 86400,
    "year": 365 * 86400,
    "years": 365 * 86400,
}
DURATION = re.compile(r"^(\d+)\s*([a-z]*)$")
EXPIRES_IN_HELP = 'expiresIn must be a number of seconds or a duration such as "30d" or "1y"'


def require_authenticated(request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated()


def parse_expires_in(value) -> int | None:
    """Seconds from `expiresIn`; "never" means the longest lifetime the site allows."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError([EXPIRES_IN_HELP])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ValidationError([EXPIRES_IN_HELP])
    text = value.strip().lower()
    if text == "never":
        return settings.API_TOKEN_MAX_TTL_SECONDS
    match = DURATION.match(text)
    if match is None or match.group(2) not in ("", *UNIT_SECONDS):
        raise ValidationError([EXPIRES_IN_HELP])
    return int(match.group(1)) * UNIT_SECONDS.get(match.group(2), 1)


def parse_jwt_options(data) -> int | None:
    if data in (None, ""):
        return None
    if not isinstance(data, dict):
        raise ValidationError(['the body must be a JSON object such as {"expiresIn": "30d"}'])
    unknown = sorted(set(data) - {"expiresIn"})
    if unknown:
        raise ValidationError([f"property {name} should not exist" for name in unknown])
    return parse_expires_in(data.get("expiresIn"))


class MyselfView(APIView):
    def get(self, request):
        require_authenticated(request)
        return Response(user_json(request.user))


class MyIdentityView(APIView):
    def get(self, request):
        require_authenticated(request)
        return Response(identity_json(request.user))


class UserListView(APIView):
    def get(self, request):
        require_authenticated(request)
        limits = filter_from_request(request).limits
        users = users_list(viewer=request.user, skip=limits.skip, limit=limits.limit)
        return Response([user_json(user) for user in users])


class UserView(APIView):
    def get(self, request, user_id):
        require_authenticated(request)
        return Response(user_json(user_get(viewer=request.user, user_id=user_id)))


class UserIdentityView(APIView):
    def get(self, request, user_id):
        require_authenticated(request)
        return Response(identity_json(user_get(viewer=request.user, user_id=user_id)))


class CanCreateDatasetView(APIView):
    def get(self, request, user_id):
        require_authenticated(request)
        user = user_get(viewer=request.user, user_id=user_id)
        return Response({"authorization": user_may_create_datasets(user)})


class MyTokenView(APIView):
    """POST /users/jwt: a new token of the usual lifetime for the caller.

    Upstream signs a token for the group "public" for anonymous callers; here a token always
    belongs to a user, so anonymous callers get 401.
    """

    def post(self, request):
        require_authenticated(request)
        raw, _ = user_token_issue(user=request.user)
        return Response({"jwt": raw}, status=status.HTTP_201_CREATED)


class IngestorTokenView(APIView):
    """POST /users/{id}/jwt: admins issue a long-lived token for a user (an ingestor)."""

    def post(self, request, user_id):
        require_authenticated(request)
        if not principal_for(request.user).is_admin:  # upstream's guard, before the body
            raise PermissionDenied("Forbidden resource")
        ttl = parse_jwt_options(request.data)
        raw, _ = user_ingestor_token_issue(actor=request.user, user_id=user_id, ttl_seconds=ttl)
        return Response({"jwt": raw}, status=status.HTTP_201_CREATED)
