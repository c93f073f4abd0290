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
    embargo_metadata_public,
    principal_for,
)

from .backends.base import AccessFilter
from .documents import EARLIEST, LATEST

# relation -> (AccessFilter field = document access field, the principal's values)
MEMBERSHIP = {
    Relation.OWNER: ("owner_group", lambda p: p.groups),
    Relation.ACCESS_GROUP: ("access_groups", lambda p: p.groups),
    Relation.SHARED: ("shared_with", lambda p: {p.email} if p.email else set()),
}


def access_filter(
    user,
    action: Action = Action.READ,
    *,
    now: datetime | None = None,
    relations: frozenset[Relation] | None = None,
):
    """The documents `user` may `action` (the engine-side twin of access.dataset_filter).

    `relations` narrows the grants to those relations (never widens them): SciCat's fullquery
    looks only at the user's own groups (see catalogue/api/datasets/fullsearch.py)."""
    principal: Principal = principal_for(user)
    allowed = PERMISSIONS[action] if relations is None else PERMISSIONS[action] & relations
    if allowed & principal.global_relations():
        return AccessFilter(everything=True)
    grants: dict = {}
    for relation in sorted(allowed - GLOBAL_RELATIONS):
        if relation is Relation.PUBLIC:
            grants["public_at"] = max(grants.get("public_at") or EARLIEST, now or timezone.now())
            continue
        if relation is Relation.EMBARGOED:
            # Every document with an embargo end (ended or not) is visible: judge them all as
            # at the latest date documents hold (later ends are indexed as that date).
            if embargo_metadata_public():
                grants["public_at"] = LATEST
            continue
        if relation not in MEMBERSHIP:
            raise ImproperlyConfigured(f"search has no document field for the relation {relation}")
        if principal.is_authenticated:
            target, values = MEMBERSHIP[relation]
            grants[target] = frozenset(v for v in values(principal) if v)
    return AccessFilter(**grants)
