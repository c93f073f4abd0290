"""Policies per owner group, and the embargo they set on new datasets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from catalogue.models import Policy, Proposal

from .common import years_after


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
