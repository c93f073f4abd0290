"""Who may read and write proposals, samples, policies and published data.

One visibility function per entity; every read of that entity (lists, counts, fullquery,
fullfacet, findOne, GET by id, the authorization probe) starts from it, so a list and a GET can
never disagree. The rules (scicat-api.md §3.4):

- proposals and samples: admins read all; everybody else reads the published ones, those whose
  ownerGroup is one of their groups, and those with one of their groups in accessGroups;
- published data (v3): signed-in users read all records; anonymous users only registered ones;
- policies: admins and POLICY_GROUPS only.

accessGroups is a JSON list on Proposal and Sample (there is no term table as for datasets).
Django's JSON `contains` does not exist on SQLite and a text search on the JSON would depend on
how each database prints JSON (spacing, escaping of non-ASCII names), so membership is asked
with each database's own JSON functions: `jsonb ?| text[]` on PostgreSQL and `json_each` on
SQLite. Both compare whole string elements exactly, as the dataset rules do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func, Q, QuerySet

from catalogue.access import principal_for
from catalogue.models import Policy, Proposal, PublishedData, PublishedDataStatus, Sample

REGISTERED_STATUSES = (PublishedDataStatus.REGISTERED, PublishedDataStatus.AMENDED)


class JsonArrayHasAny(Func):
    """True where the JSON list in `column` holds any of the strings `values` (exact match)."""

    output_field = BooleanField()

    def __init__(self, column: str, values):
        super().__init__(F(column))
        self.values = [str(value) for value in values]

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"JSON list membership is not written for {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        marks = ", ".join(["%s"] * len(self.values))
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS element "
            f"WHERE element.type = 'text' AND element.value IN ({marks}))"
        )
        return sql, (*params, *self.values)

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} ?| %s::text[])", (*params, self.values)


def json_list_has_any(column: str, values) -> Q:
    """A filter: the JSON list `column` contains one of `values`; nothing matches if none."""
    values = sorted({str(value) for value in values})
    if not values:
        return Q(pk__in=[])
    return Q(JsonArrayHasAny(column, values))


def _ownable_read(user) -> Q:
    principal = principal_for(user)
    if principal.is_admin:
        return Q()
    public = Q(is_published=True)
    if not principal.is_authenticated or not principal.groups:
        return public
    groups = sorted(principal.groups)
    return public | Q(owner_group__in=groups) | json_list_has_any("access_groups", groups)


def proposals_visible_to(user) -> QuerySet[Proposal]:
    """The proposals `user` may read. Every proposal read starts here."""
    return Proposal.objects.filter(_ownable_read(user))


def samples_visible_to(user) -> QuerySet[Sample]:
    """The samples `user` may read. Every sample read starts here."""
    return Sample.objects.filter(_ownable_read(user))


def published_data_visible_to(user) -> QuerySet[PublishedData]:
    """v3: signed-in users see every record, anonymous users the registered ones."""
    if principal_for(user).is_authenticated:
        return PublishedData.objects.all()
    return PublishedData.objects.filter(status__in=REGISTERED_STATUSES)


def policies_visible_to(user) -> QuerySet[Policy]:
    """Admins and POLICY_GROUPS see all policies; nobody else sees any."""
    return Policy.objects.all() if may_manage_policies(user) else Policy.objects.none()


# --- Writes --------------------------------------------------------------------------------------


def may_write_proposals(user) -> bool:
    """Create and update any proposal: admins and PROPOSAL_GROUPS."""
    principal = principal_for(user)
    return principal.is_admin or principal.in_any(settings.PROPOSAL_GROUPS)


def may_write_sample(user, owner_group: str) -> bool:
    """Admins and SAMPLE_PRIVILEGED_GROUPS for any group; SAMPLE_GROUPS for their own groups."""
    principal = principal_for(user)
    if principal.is_admin or principal.in_any(settings.SAMPLE_PRIVILEGED_GROUPS):
        return True
    return principal.in_any(settings.SAMPLE_GROUPS) and owner_group in principal.groups


def may_manage_policies(user) -> bool:
    """Read, create and update policies: admins and POLICY_GROUPS."""
    principal = principal_for(user)
    return principal.is_admin or principal.in_any(settings.POLICY_GROUPS)


def may_delete(user) -> bool:
    """Delete proposals, samples, instruments, policies, published data: DELETE_GROUPS."""
    principal = principal_for(user)
    return principal.is_system or principal.in_any(settings.DELETE_GROUPS)


def may_write_published_data(user) -> bool:
    """v3: any signed-in user may create, update, register and resync published data."""
    return principal_for(user).is_authenticated
