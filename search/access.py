"""The access filter a backend applies inside its query, derived from catalogue.access.

Nothing here restates who may read what: the relations come from
``catalogue.access.PERMISSIONS[action]`` and the user's global relations from
``Principal.global_relations()``. This module only says, for each per-dataset relation, which
document field holds the dataset's side and which of the user's attributes it is matched with
(the same pairs ``catalogue.access._relation_q`` uses for querysets). A relation added to the
table without a line here makes every search fail loudly instead of silently hiding or
showing datasets.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from catalogue.access import (
    GLOBAL_RELATIONS,
    PERMISSIONS,
    Action,
    Principal,
    Relation,
    principal_for,
)

from .backends.base import AccessFilter

# relation -> (AccessFilter field = document access field, the principal's values)
MEMBERSHIP = {
    Relation.OWNER: ("owner_group", lambda p: p.groups),
    Relation.ACCESS_GROUP: ("access_groups", lambda p: p.groups),
    Relation.SHARED: ("shared_with", lambda p: {p.email} if p.email else set()),
}


def access_filter(user, action: Action = Action.READ, *, now: datetime | None = None):
    """The documents `user` may `action` (the engine-side twin of access.dataset_filter)."""
    principal: Principal = principal_for(user)
    allowed = PERMISSIONS[action]
    if allowed & principal.global_relations():
        return AccessFilter(everything=True)
    grants: dict = {}
    for relation in sorted(allowed - GLOBAL_RELATIONS):
        if relation is Relation.PUBLIC:
            grants["public_at"] = now or timezone.now()
            continue
        if relation not in MEMBERSHIP:
            raise ImproperlyConfigured(f"search has no document field for the relation {relation}")
        if principal.is_authenticated:
            target, values = MEMBERSHIP[relation]
            grants[target] = frozenset(v for v in values(principal) if v)
    return AccessFilter(**grants)
