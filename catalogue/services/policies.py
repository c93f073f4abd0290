"""Policies per owner group and per dataset: the embargo they set, and the usage conditions.

The embargo end is computed from the policy when a dataset is created (`embargo_end_for`) and
again when its group's or proposal's period changes (`embargo_recompute`, a task after the
commit), except where it was decided for the dataset alone (DatasetPolicy.embargo_fixed).
Releasing due embargoes and the notices are in embargo.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalogue.access import Action, can
from catalogue.errors import PermissionDenied
from catalogue.models import AccessEventKind, Dataset, DatasetPolicy, Policy, Proposal, TermKind

from .common import actor_name, clean_text, snapshot, years_after
from .history import history_record


def policies_ensure(*, owner_groups: Iterable[str]) -> dict[str, Policy]:
    """The policy of each owner group, creating SciCat's default policy where there is none."""
    groups = set(owner_groups)
    found = {policy.owner_group: policy for policy in Policy.objects.filter(owner_group__in=groups)}
    missing = [
        Policy(
            owner_group=group,
            embargo_period=settings.EMBARGO_PERIOD_YEARS,
            created_by="system",
            updated_by="system",
        )
        for group in sorted(groups - set(found))
    ]
    if missing:
        Policy.objects.bulk_create(missing, ignore_conflicts=True)
        found.update(
            (policy.owner_group, policy)
            for policy in Policy.objects.filter(owner_group__in=[p.owner_group for p in missing])
        )
    return found


def proposal_embargo_periods(proposal_ids: Iterable[str]) -> dict[str, float]:
    """The proposals among `proposal_ids` that override their group's embargo period."""
    return dict(
        Proposal.objects.filter(
            proposal_id__in=set(proposal_ids), embargo_period__isnull=False
        ).values_list("proposal_id", "embargo_period")
    )


def embargo_end_for(
    values: dict, policy: Policy, proposal_periods: dict[str, float] | None = None
) -> datetime | None:
    """When a new dataset becomes public by itself: the embargo period after the experiment.

    A proposal's own period overrides the owner group's. The experiment ends at `end_time`,
    else at `creation_time`. Published datasets and periods of None have no embargo end.
    """
    if values.get("is_published"):
        return None
    period = policy.embargo_period
    proposal_ids = values.get("proposal_ids") or []
    if proposal_ids:
        if proposal_periods is None:
            proposal_periods = proposal_embargo_periods(proposal_ids[:1])
        period = proposal_periods.get(proposal_ids[0], period)
    experiment_end = values.get("end_time") or values.get("creation_time")
    if period is None or experiment_end is None:
        return None
    return years_after(experiment_end, period)


# --- Usage conditions ----------------------------------------------------------------------------


def usage_conditions_for(dataset) -> str:
    """The conditions a download of `dataset` is under: its own, else its owner group's."""
    own = DatasetPolicy.objects.filter(dataset=dataset).values_list("usage_conditions", flat=True)
    text = (own.first() or "").strip()
    if text:
        return text
    group = Policy.objects.filter(owner_group=dataset.owner_group)
    return (group.values_list("usage_conditions", flat=True).first() or "").strip()


@transaction.atomic
def dataset_usage_conditions_set(*, user, dataset, text: str) -> DatasetPolicy:
    """Conditions for this dataset alone (blank: its group's apply). Owners and admins."""
    if not can(user, Action.UPDATE, dataset):
        raise PermissionDenied("Unauthorized to update this dataset")
    text = clean_text(text or "", "usage conditions", max_length=20_000).strip()
    override, _ = DatasetPolicy.objects.get_or_create(dataset=dataset)
    before = override.usage_conditions
    override.usage_conditions = text
    override.updated_by = actor_name(user)
    override.save()
    if before != text:
        history_record(
            user=user,
            instance=dataset,
            operation="update",
            before={"usage_conditions": before},
            after={"usage_conditions": text},
        )
    return override


# --- Embargo changes: who may, and what they pin -------------------------------------------------


def embargo_change_check(*, user, dataset, new_end: datetime | None) -> None:
    """Refuses a later embargo end (or none) to users without Action.EXTEND_EMBARGO.

    An earlier end releases data sooner, which owners may decide; a later one, or removing the
    end, keeps data closed longer than the policy promised, which needs an admin.
    """
    old_end = dataset.embargo_end
    if new_end == old_end or dataset.is_published:
        return
    extends = new_end is None or (old_end is not None and new_end > old_end)
    if extends and not can(user, Action.EXTEND_EMBARGO, dataset):
        raise PermissionDenied("Only an administrator may extend an embargo")


def embargo_pin(*, user, dataset) -> None:
    """Marks the dataset's embargo end as decided for it: policy changes leave it alone."""
    DatasetPolicy.objects.update_or_create(
        dataset=dataset, defaults={"embargo_fixed": True, "updated_by": actor_name(user)}
    )


# --- Policy and proposal changes move the embargoes that follow them -----------------------------


def embargo_period_changed(*, user, subject: str, before, after) -> bool:
    """Records a changed embargo period of a policy (`policy:<group>`) or proposal
    (`proposal:<id>`) and recomputes the embargoes that follow it, after the commit.
    Returns whether the period changed."""
    if before == after:
        return False
    from catalogue.tasks import embargo_recompute

    from .audit import audit_record

    verb = "removed" if after is None else ("set" if before is None else "changed")
    audit_record(
        user=user, subject=subject, kind=AccessEventKind.POLICY, action=verb,
        before=before, after=after, note="embargo period (years)",
    )  # fmt: skip
    kind, _, name = subject.partition(":")
    scope = {"owner_group": name} if kind == "policy" else {"proposal_id": name}
    transaction.on_commit(lambda: embargo_recompute.delay(**scope), robust=True)
    return True


def _following(now):
    """Datasets whose embargo still follows their policy: not public, not decided by hand."""
    return (
        Dataset.objects.filter(is_published=False)
        .filter(Q(embargo_end__isnull=True) | Q(embargo_end__gt=now))
        .exclude(policy_override__embargo_fixed=True)
    )


def embargo_recompute(
    *, owner_group: str | None = None, proposal_id: str | None = None, now=None, batch: int = 1000
) -> int:
    """Recomputes the embargo end of the datasets of `owner_group` (or whose first proposal is
    `proposal_id`) from their policy, as at creation. Data already public stay public; ends
    decided by hand stay. Returns how many datasets changed. Each batch is one transaction."""
    now = now or timezone.now()
    scope = _following(now)
    if owner_group is not None:
        scope = scope.filter(owner_group=owner_group)
    if proposal_id is not None:
        scope = scope.filter(terms__kind=TermKind.PROPOSAL, terms__value=proposal_id)
    changed, after_pk = 0, 0
    columns = ("pk", "pid", "owner_group", "proposal_ids", "end_time", "creation_time",
               "embargo_end", "is_published", "access_groups", "shared_with")  # fmt: skip
    while True:
        rows = list(scope.filter(pk__gt=after_pk).order_by("pk").only(*columns)[:batch])
        if not rows:
            return changed
        after_pk = rows[-1].pk
        changed += _recompute_batch(rows)


@transaction.atomic
def _recompute_batch(rows: list[Dataset]) -> int:
    from catalogue.access import SYSTEM
    from search import outbox

    from .audit import access_snapshot, audit_dataset_changes

    policies = policies_ensure(owner_groups={row.owner_group for row in rows})
    periods = proposal_embargo_periods(p for row in rows for p in (row.proposal_ids or [])[:1])
    moved = []
    for row in rows:
        values = {
            "proposal_ids": row.proposal_ids, "end_time": row.end_time,
            "creation_time": row.creation_time, "is_published": row.is_published,
        }  # fmt: skip
        new_end = embargo_end_for(values, policies[row.owner_group], periods)
        if new_end != row.embargo_end:
            moved.append((row, access_snapshot(row)))
            row.embargo_end = new_end
    if not moved:
        return 0
    now = timezone.now()
    for row, _ in moved:  # the datestamp moves: harvesters must see an embargo change
        row.updated_at, row.updated_by = now, SYSTEM.username
    Dataset.objects.bulk_update(
        [row for row, _ in moved], ["embargo_end", "updated_at", "updated_by"]
    )
    for row, before in moved:
        history_record(
            user=SYSTEM, instance=row, operation="update",
            before={"embargo_end": before["embargo_end"]},
            after={"embargo_end": snapshot(row, ["embargo_end"])["embargo_end"]},
        )  # fmt: skip
        audit_dataset_changes(user=SYSTEM, dataset=row, before=before, note="policy changed")
    outbox.record_many([row.pid for row, _ in moved], "upsert")
    return len(moved)
