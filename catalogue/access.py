"""The access rules: one permission table, used both for querysets and for single records.

Every read or write of a dataset asks this module. `PERMISSIONS` says which relations between a
user and a dataset allow which action; `dataset_filter` turns that same table into a queryset
filter (so lists, counts, facets and search agree with single-record checks), and `can` applies
it to one dataset. The matrix is written out for people in docs/access-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

ALL_USERS = "#all"


class Action(StrEnum):
    READ = "read"
    DOWNLOAD = "download"
    UPDATE = "update"
    UPDATE_LIFECYCLE = "update_lifecycle"
    PUBLISH = "publish"
    DELETE = "delete"
    # Move an embargo end later (or to "never"): an admin's decision, recorded in the audit.
    # Shortening it, or releasing the data early, is publishing (Action.PUBLISH).
    EXTEND_EMBARGO = "extend_embargo"


class Relation(StrEnum):
    """How a user stands to a dataset. The first three hold for every dataset or none."""

    ADMIN = "admin"  # in ADMIN_GROUPS, or a Django superuser
    DELETER = "deleter"  # in DELETE_GROUPS
    LIFECYCLE_MANAGER = "lifecycle_manager"  # in UPDATE_DATASET_LIFECYCLE_GROUPS
    OWNER = "owner"  # the dataset's ownerGroup is one of the user's groups
    ACCESS_GROUP = "access_group"  # one of the dataset's accessGroups is one of the user's groups
    SHARED = "shared"  # the user's e-mail is in the dataset's sharedWith
    PUBLIC = "public"  # published, or the embargo has ended
    # Under an embargo that has not ended, while EMBARGO_METADATA_PUBLIC is on: the record is
    # public, the files are not.
    EMBARGOED = "embargoed"


GLOBAL_RELATIONS = frozenset({Relation.ADMIN, Relation.DELETER, Relation.LIFECYCLE_MANAGER})

# The permission table. SciCat's matrix, with three deliberate choices (docs/access-rules.md):
# sharedWith users may read sub-resources and download (upstream gives them 403 there), admins
# may not delete unless they are also in DELETE_GROUPS (as upstream), and an embargoed dataset's
# record may be public while its files are not (EMBARGO_METADATA_PUBLIC).
PERMISSIONS: dict[Action, frozenset[Relation]] = {
    Action.READ: frozenset(
        {
            Relation.ADMIN,
            Relation.LIFECYCLE_MANAGER,
            Relation.OWNER,
            Relation.ACCESS_GROUP,
            Relation.SHARED,
            Relation.PUBLIC,
            Relation.EMBARGOED,
        }
    ),
    Action.DOWNLOAD: frozenset(
        {Relation.ADMIN, Relation.OWNER, Relation.ACCESS_GROUP, Relation.SHARED, Relation.PUBLIC}
    ),
    Action.UPDATE: frozenset({Relation.ADMIN, Relation.OWNER}),
    Action.UPDATE_LIFECYCLE: frozenset(
        {Relation.ADMIN, Relation.LIFECYCLE_MANAGER, Relation.OWNER}
    ),
    Action.PUBLISH: frozenset({Relation.ADMIN, Relation.OWNER}),
    Action.DELETE: frozenset({Relation.DELETER}),
    Action.EXTEND_EMBARGO: frozenset({Relation.ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    """What the rules need to know of a user: who they are and their groups."""

    username: str = ""
    email: str = ""
    groups: frozenset[str] = frozenset()
    is_authenticated: bool = False
    is_superuser: bool = False
    is_system: bool = False

    def in_any(self, setting_groups: list[str]) -> bool:
        if not self.is_authenticated:
            return False
        return ALL_USERS in setting_groups or bool(self.groups & set(setting_groups))

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.in_any(settings.ADMIN_GROUPS)

    def global_relations(self) -> frozenset[Relation]:
        if self.is_system:
            return GLOBAL_RELATIONS
        found = set()
        if self.is_admin:
            found.add(Relation.ADMIN)
        if self.in_any(settings.DELETE_GROUPS):
            found.add(Relation.DELETER)
        if self.in_any(settings.UPDATE_DATASET_LIFECYCLE_GROUPS):
            found.add(Relation.LIFECYCLE_MANAGER)
        return frozenset(found)


ANONYMOUS = Principal()


def principal_for(user) -> Principal:
    """The Principal of a Django user (or None/AnonymousUser), cached on the user object."""
    if isinstance(user, Principal):
        return user
    # An inactive account keeps its groups in the database but must not use them.
    if user is None or not user.is_authenticated or not getattr(user, "is_active", True):
        return ANONYMOUS
    cached = getattr(user, "_fedcat_principal", None)
    if cached is not None:
        return cached
    return principal_remember(user, user.groups.values_list("name", flat=True))


def principal_remember(user, group_names) -> Principal:
    """The Principal of an active `user` whose groups are `group_names`, cached on the user for
    principal_for. For a caller that read the groups along with the user in one query (the
    API's token lookup), so the request does not ask the database for them again."""
    groups = set(group_names)
    groups.update(settings.ACCESS_GROUPS_STATIC_VALUES)
    principal = Principal(
        username=user.get_username(),
        email=(user.email or "").strip().lower(),
        groups=frozenset(groups),
        is_authenticated=True,
        is_superuser=user.is_superuser,
    )
    user._fedcat_principal = principal
    return principal


# --- Single records ----------------------------------------------------------------------------


def is_public(dataset, now=None) -> bool:
    now = now or timezone.now()
    return dataset.is_published or (dataset.embargo_end is not None and dataset.embargo_end <= now)


def embargo_metadata_public() -> bool:
    """Whether embargoed datasets' records are public (their files never are)."""
    return bool(getattr(settings, "EMBARGO_METADATA_PUBLIC", False))


def is_embargoed(dataset, now=None) -> bool:
    """Under an embargo that will end by itself and has not yet: not public, end date set."""
    return dataset.embargo_end is not None and not is_public(dataset, now)


def _indexed(values, *, lower: bool = False) -> set[str]:
    """Array values as the DatasetTerm index holds them (services/datasets.py `_terms_for`).

    The queryset side matches index rows, so single-record checks must compare the same
    normalised text, or a list and a GET would disagree about e.g. " p-readers ".
    """
    found = set()
    for value in values or ():
        text = str(value).strip()
        if text:
            found.add(text.lower() if lower else text)
    return found


def relations(user, dataset) -> frozenset[Relation]:
    principal = principal_for(user)
    found = set(principal.global_relations())
    if is_public(dataset):
        found.add(Relation.PUBLIC)
    elif dataset.embargo_end is not None and embargo_metadata_public():
        found.add(Relation.EMBARGOED)
    if principal.is_authenticated:
        if dataset.owner_group in principal.groups:
            found.add(Relation.OWNER)
        if principal.groups & _indexed(dataset.access_groups):
            found.add(Relation.ACCESS_GROUP)
        if principal.email and principal.email in _indexed(dataset.shared_with, lower=True):
            found.add(Relation.SHARED)
    return frozenset(found)


def can(user, action: Action, dataset) -> bool:
    return bool(relations(user, dataset) & PERMISSIONS[action])


# --- Querysets -----------------------------------------------------------------------------------


# The relations held through the dataset's term table (catalogue.models.DatasetTerm).
TERM_RELATIONS = frozenset({Relation.ACCESS_GROUP, Relation.SHARED})
# The order in which the filter's arms are written: PostgreSQL tries an OR's arms in that order
# and stops at the first true one. Most datasets readable at all are public; the term relations
# come last, in one EXISTS.
_FILTER_ORDER = (
    Relation.ADMIN,
    Relation.DELETER,
    Relation.LIFECYCLE_MANAGER,
    Relation.PUBLIC,
    Relation.EMBARGOED,
    Relation.OWNER,
    Relation.ACCESS_GROUP,
    Relation.SHARED,
)


def _relation_q(relation: Relation, principal: Principal, owner_groups: frozenset[str]) -> Q | None:
    """The filter matching datasets to which `principal` has `relation` (one held by a column of
    the dataset, not a term relation); None if none can. `owner_groups`: see dataset_filter."""
    if relation in GLOBAL_RELATIONS:
        return Q() if relation in principal.global_relations() else None
    if relation is Relation.PUBLIC:
        # The database's clock, not a time written into the statement: the same filter then
        # compiles to the same SQL at any moment, which selectors.count_remembered relies on.
        return Q(is_published=True) | Q(embargo_end__lte=Now())
    if relation is Relation.EMBARGOED:
        # Every dataset with an end date: those whose embargo ended are public anyway.
        return Q(embargo_end__isnull=False) if embargo_metadata_public() else None
    if relation is Relation.OWNER:
        groups = principal.groups if principal.is_authenticated else frozenset()
        if owner_groups:
            groups = groups & owner_groups
        return Q(owner_group__in=sorted(groups)) if groups else None
    raise ValueError(f"no filter for relation {relation}")


def _relation_terms(relation: Relation, principal: Principal) -> tuple[str, list[str]]:
    """The term kind of a term relation, and its values that give `principal` the relation."""
    from catalogue.models import TermKind

    if relation is Relation.ACCESS_GROUP:
        groups = sorted(principal.groups) if principal.is_authenticated else []
        return TermKind.ACCESS_GROUP, groups
    if relation is Relation.SHARED:
        email = principal.email if principal.is_authenticated else ""
        return TermKind.SHARED_WITH, [email] if email else []
    raise ValueError(f"no terms for relation {relation}")


def dataset_filter(user, action: Action, *, owner_groups: frozenset[str] = frozenset()) -> Q:
    """A Q object selecting exactly the datasets on which `user` may perform `action`.

    `owner_groups`: for a caller whose own filter keeps only datasets of these owner groups (none:
    no such promise); the owner relation is then written for those of them that are the user's
    alone, and left out when there are none. The same datasets, a shorter test per row."""
    from catalogue.models import HasTerm

    principal = principal_for(user)
    granted = sorted(PERMISSIONS[action], key=_FILTER_ORDER.index)
    parts = [_relation_q(r, principal, owner_groups) for r in granted if r not in TERM_RELATIONS]
    parts = [part for part in parts if part is not None]
    if any(part == Q() for part in parts):
        return Q()
    terms = dict(_relation_terms(r, principal) for r in granted if r in TERM_RELATIONS)
    terms = {kind: values for kind, values in terms.items() if values}
    if terms:
        # Last (_FILTER_ORDER): the column checks before it spare most rows the probe.
        parts.append(Q(HasTerm(terms)))
    if not parts:
        return Q(pk__in=[])
    return reduce(or_, parts)


# --- Creation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def can_create_dataset(user, *, owner_group: str, with_pid: bool) -> Decision:
    """SciCat's creation tiers: admin > privileged > with-pid > create > nobody."""
    principal = principal_for(user)
    if not principal.is_authenticated:
        return Decision(False, "Forbidden resource")
    if principal.is_admin or principal.in_any(settings.CREATE_DATASET_PRIVILEGED_GROUPS):
        return Decision(True)
    in_own_group = owner_group in principal.groups
    if principal.in_any(settings.CREATE_DATASET_WITH_PID_GROUPS):
        return Decision(in_own_group, "" if in_own_group else "Unauthorized to create this dataset")
    if principal.in_any(settings.CREATE_DATASET_GROUPS):
        if not in_own_group:
            return Decision(False, "Unauthorized to create this dataset")
        if with_pid:
            return Decision(False, "Unauthorized to create a dataset with a pid")
        return Decision(True)
    return Decision(False, "Forbidden resource")


# The actor of internal work (harvests, management commands, beat jobs): may do everything.
SYSTEM = Principal(username="system", is_authenticated=True, is_superuser=True, is_system=True)
