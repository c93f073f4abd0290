"""Users of the SciCat API: signing in and out, tokens for ingestors, who may see which user.

SciCat lets a user read their own record only; admins read every user. The reads live here
beside the writes because they share those rules (they could move to catalogue/selectors.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.db import transaction

from catalogue.access import can_create_dataset, principal_for
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.models import ApiToken

from .tokens import token_issue, token_revoke

# SciCat's message when a user asks for another user's record.
NOT_YOURS = "Access Forbidden or Unauthorized"
# Ingestor tokens (POST /users/{id}/jwt) last a year unless the admin says otherwise.
INGESTOR_TOKEN_TTL = timedelta(days=365)


@transaction.atomic
def user_login(*, username: str, password: str) -> tuple[object, str, ApiToken] | None:
    """Checks a local account's password and issues a token: (user, raw token, record).

    None for an unknown user, a wrong password or an inactive account alike, so a caller cannot
    tell which it was.
    """
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        return None
    raw, token = token_issue(user=user, name="login")
    update_last_login(None, user)
    return user, raw, token


def user_logout(*, raw_token: str) -> bool:
    """Revokes the token the caller signed in with."""
    return token_revoke(raw=raw_token)


def user_token_issue(*, user) -> tuple[str, ApiToken]:
    """A fresh token of the usual lifetime for the signed-in caller (POST /users/jwt)."""
    return token_issue(user=user, name="users/jwt")


@transaction.atomic
def user_ingestor_token_issue(
    *, actor, user_id: str, ttl_seconds: int | None = None
) -> tuple[str, ApiToken]:
    """A long-lived token for another user, issued by an admin (SciCat backend-v3#619)."""
    if not principal_for(actor).is_admin:
        raise PermissionDenied("Forbidden resource")
    user = _user_or_404(user_id)
    if not user.is_active:
        raise InvalidInput(f"user: {user_id} is inactive; its tokens would not work")
    if ttl_seconds is None:
        ttl_seconds = min(
            int(INGESTOR_TOKEN_TTL.total_seconds()), settings.API_TOKEN_MAX_TTL_SECONDS
        )
    return token_issue(user=user, ttl_seconds=ttl_seconds, name=f"issued by {actor.get_username()}")


# --- Reads ---------------------------------------------------------------------------------------


def user_get(*, viewer, user_id: str):
    """The user `user_id` if `viewer` may read it: themselves, or anyone for an admin.

    As upstream, the right is checked before existence: a non-admin gets 403 for every other id.
    """
    if not principal_for(viewer).is_admin and str(user_id) != str(viewer.pk):
        raise PermissionDenied(NOT_YOURS)
    return _user_or_404(user_id)


def users_list(*, viewer, skip: int = 0, limit: int = 100) -> list:
    """Every user for an admin; only themselves for anybody else."""
    if not principal_for(viewer).is_admin:
        return [viewer][skip : skip + limit]
    return list(get_user_model().objects.order_by("pk")[skip : skip + limit])


def user_may_create_datasets(user) -> bool:
    """Whether `user` may create a dataset in at least one of their own groups."""
    principal = principal_for(user)
    if not principal.is_authenticated:
        return False
    if principal.is_admin or principal.in_any(settings.CREATE_DATASET_PRIVILEGED_GROUPS):
        return True
    return any(
        can_create_dataset(principal, owner_group=group, with_pid=False)
        for group in sorted(principal.groups)
    )


# Keys of a UserIdentity `where` and the user field each one matches.
IDENTITY_KEYS = {
    "userId": "pk",
    "profile.id": "pk",
    "profile.username": "username",
    "profile.email": "email__iexact",
    "profile.emails.value": "email__iexact",
}


def user_identity_find(*, viewer, where: dict):
    """The user whose identity matches `where` (GET /useridentities/findOne).

    Non-admins find only their own identity: naming another user's id is 403, any other
    condition is narrowed to themselves (so another user's e-mail is 404, as upstream).
    """
    if not isinstance(where, dict):
        raise InvalidInput("filter.where must be an object")
    lookups = {}
    for key, value in where.items():
        if key not in IDENTITY_KEYS:
            supported = ", ".join(IDENTITY_KEYS)
            raise InvalidInput(f"cannot search user identities by {key!r}; use one of {supported}")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidInput(f"{key} must be a string")
        lookups.setdefault(IDENTITY_KEYS[key], []).append(str(value))
    users = get_user_model().objects.order_by("pk")
    ids = lookups.pop("pk", [])
    if not principal_for(viewer).is_admin:
        if any(value != str(viewer.pk) for value in ids):
            raise PermissionDenied(NOT_YOURS)
        ids = [str(viewer.pk)]
    for value in ids:
        if not value.isdigit():
            raise NotFound("user identity not found")
        users = users.filter(pk=int(value))
    for lookup, values in lookups.items():
        for value in values:
            users = users.filter(**{lookup: value})
    user = users.first()
    if user is None:
        raise NotFound("user identity not found")
    return user


def _user_or_404(user_id: str):
    user_id = str(user_id)
    user = None
    if user_id.isdigit():
        user = get_user_model().objects.filter(pk=int(user_id)).first()
    if user is None:
        raise NotFound(f"user: {user_id} not found")
    return user
