"""Users from the identity provider: created on first sign-in, updated on every one after."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from catalogue.errors import InvalidInput

from .groups import groups_from_claims, parse_mapping
from .models import OidcIdentity

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]+")
MAX_USERNAME = 150


def provider_groups(claims: dict) -> set[str]:
    """The fedcat groups the claims grant, as the settings map them."""
    return groups_from_claims(
        claims,
        claim=settings.OIDC_GROUPS_CLAIM,
        prefixes=settings.OIDC_GROUP_PREFIXES,
        mapping=parse_mapping(settings.OIDC_GROUP_MAP),
    )


def _text(claims: dict, name: str, longest: int) -> str:
    value = claims.get(name)
    return value.strip()[:longest] if isinstance(value, str) else ""


def _free_username(claims: dict) -> str:
    """A readable, unused user name: preferred_username, else the e-mail's local part."""
    base = _text(claims, "preferred_username", MAX_USERNAME) or _text(claims, "email", 254)
    base = _USERNAME_UNSAFE.sub("-", base.split("@", 1)[0] if "@" in base else base).strip("-")
    base = (base or "user")[: MAX_USERNAME - 8]
    users = get_user_model().objects
    name, number = base, 1
    while users.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def _sync_groups(user, identity: OidcIdentity, granted: set[str]) -> None:
    """Adds the groups the provider grants now and removes those it granted before but no
    longer does; groups an administrator gave by hand stay."""
    dropped = set(identity.groups or []) - granted
    if dropped:
        user.groups.remove(*Group.objects.filter(name__in=dropped))
    for name in sorted(granted):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    identity.groups = sorted(granted)


@transaction.atomic
def oidc_user_sync(*, claims: dict, issuer: str = ""):
    """The user of these userinfo claims, created or updated (e-mail, name, groups).

    Found by the subject claim only. Returns None for a deactivated account: an administrator
    who switched a user off keeps them out, whatever the provider says."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        raise InvalidInput("the provider sent no usable subject (sub) claim")
    User = get_user_model()
    identity = (
        OidcIdentity.objects.select_for_update().select_related("user").filter(subject=subject)
    ).first()
    if identity is None:
        user = User(username=_free_username(claims))
        user.set_unusable_password()
        user.save()
        identity = OidcIdentity(user=user, subject=subject, issuer=issuer[:255])
    user = identity.user
    if not user.is_active:
        return None
    user.email = _text(claims, "email", 254) or user.email
    user.first_name = _text(claims, "given_name", 150) or user.first_name
    user.last_name = _text(claims, "family_name", 150) or user.last_name
    user.last_login = timezone.now()
    user.save(update_fields=["email", "first_name", "last_name", "last_login"])
    identity.claims = claims
    identity.last_seen_at = timezone.now()
    identity.save()
    _sync_groups(user, identity, provider_groups(claims))
    identity.save(update_fields=["groups"])
    user.__dict__.pop("_fedcat_principal", None)
    return user
