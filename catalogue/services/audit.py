"""The access audit: a row per change of who may see a dataset (docs/policies.md §Audit).

`dataset_update` calls `audit_dataset_changes` for every write, so changes made through the API,
the admin, the portal, publication and the policy jobs all land here, inside the writing
transaction. Policy and access-request services add their own events with `audit_record`.
"""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from catalogue.models import AccessEvent, AccessEventKind

from .common import actor_name, snapshot

# Dataset fields that decide access, and the audit kind of each.
ACCESS_FIELDS = {
    "owner_group": AccessEventKind.OWNER_GROUP,
    "access_groups": AccessEventKind.ACCESS_GROUPS,
    "shared_with": AccessEventKind.SHARED_WITH,
    "embargo_end": AccessEventKind.EMBARGO,
    "is_published": AccessEventKind.PUBLICATION,
}


def access_snapshot(dataset) -> dict:
    """The access fields of `dataset`, JSON-safe (times in UTC ISO-8601)."""
    return snapshot(dataset, list(ACCESS_FIELDS))


def _action(field: str, before, after) -> str:
    if field == "is_published":
        return "published" if after else "unpublished"
    if field == "embargo_end":
        if after is None:
            return "removed"  # no end: closed until someone sets one
        if before is None:
            return "set"
        return "extended" if parse_datetime(after) > parse_datetime(before) else "shortened"
    if field in {"access_groups", "shared_with"}:
        old = {str(v).strip().lower() for v in before or []}
        new = {str(v).strip().lower() for v in after or []}
        if new > old:
            return "added"
        if new < old:
            return "removed"
    return "changed"


def audit_dataset_changes(*, user, dataset, before: dict, note: str = "") -> list[AccessEvent]:
    """Events for the access fields of `dataset` that differ from `before` (access_snapshot)."""
    after = access_snapshot(dataset)
    actor = actor_name(user)
    events = [
        AccessEvent(
            actor=actor,
            subject=dataset.pid,
            kind=kind,
            action=_action(field, before.get(field), after[field]),
            before=before.get(field),
            after=after[field],
            note=note,
        )
        for field, kind in ACCESS_FIELDS.items()
        if field in before and before[field] != after[field]
    ]
    return AccessEvent.objects.bulk_create(events) if events else []


def audit_record(
    *, user, subject: str, kind: str, action: str, before=None, after=None, note: str = ""
) -> AccessEvent:
    """One event that is not a dataset field change (a request, a policy's embargo period)."""
    return AccessEvent.objects.create(
        actor=actor_name(user),
        subject=subject,
        kind=kind,
        action=action,
        before=before,
        after=after,
        note=note,
    )
