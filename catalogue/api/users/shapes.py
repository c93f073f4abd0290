"""Users as SciCat shows them: the User record and its UserIdentity.

fedcat keeps users in Django's auth tables; ids are the primary keys as strings. An account with a
usable password is a local (functional) account; one without came from an external login.
"""

from __future__ import annotations

from catalogue.access import principal_for


def auth_strategy(user) -> str:
    return "local" if user.has_usable_password() else "oidc"


def user_json(user) -> dict:
    """SciCat's ReturnedUserDto. fedcat verifies no e-mail address, so emailVerified is false."""
    strategy = auth_strategy(user)
    return {
        "id": str(user.pk),
        "username": user.get_username(),
        "email": user.email or "",
        "emailVerified": False,
        "realm": strategy,
        "authStrategy": strategy,
    }


def whoami_json(user) -> dict:
    """The user as SciCat's JWT guard sees it: the record plus `_id` and `currentGroups`."""
    return {
        **user_json(user),
        "_id": str(user.pk),
        "currentGroups": sorted(principal_for(user).groups),
    }


def identity_json(user) -> dict:
    """SciCat's UserIdentity; accessGroups are the groups the access rules use."""
    strategy = auth_strategy(user)
    email = user.email or ""
    return {
        "userId": str(user.pk),
        "provider": strategy,
        "authStrategy": strategy,
        "externalId": "",
        "profile": {
            "id": str(user.pk),
            "username": user.get_username(),
            "email": email,
            "displayName": user.get_full_name() or user.get_username(),
            "accessGroups": sorted(principal_for(user).groups),
            "emails": [{"value": email}] if email else [],
        },
    }
