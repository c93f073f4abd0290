"""Steps shared by the block services: ownership copies, counters, permission checks."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from catalogue.access import Action, can
from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Dataset
from search import outbox

from ..common import actor_name
from ..history import history_record


def ownership(dataset: Dataset) -> dict:
    """SciCat copies these from the dataset; the client never sends them for a block."""
    return {
        "owner_group": dataset.owner_group,
        "access_groups": list(dataset.access_groups or []),
        "instrument_group": dataset.instrument_group,
        "is_published": dataset.is_published,
    }


def move_counters(*, user, dataset: Dataset, deltas: dict[str, int]) -> None:
    """Adds `deltas` to the dataset's counters and records before/after in its history.

    The UPDATE locks the row until commit, so reading it back gives exactly our result and
    `before` is that minus our deltas, whatever other transactions did earlier. Nothing happens
    when every delta is zero.
    """
    if not any(deltas.values()):
        return
    updated = Dataset.objects.filter(pk=dataset.pk).update(
        **{name: F(name) + delta for name, delta in deltas.items()},
        updated_by=actor_name(user),
        updated_at=timezone.now(),
    )
    if not updated:
        raise NotFound(f"dataset: {dataset.pid} not found")
    after = Dataset.objects.filter(pk=dataset.pk).values(*deltas).get()
    before = {name: after[name] - delta for name, delta in deltas.items()}
    for name, value in after.items():
        setattr(dataset, name, value)  # the caller's copy shows the new counters
    history_record(user=user, instance=dataset, operation="update", before=before, after=after)
    outbox.record(dataset, "upsert")


def require(user, action: Action, dataset: Dataset, message: str) -> None:
    if not can(user, action, dataset):
        raise PermissionDenied(message)
