"""The change history: one row per create, update or delete of a tracked record."""

from __future__ import annotations

from catalogue.models import HistoryEntry

from .common import actor_name


def history_record(*, user, instance, operation: str, before=None, after=None) -> HistoryEntry:
    """Records a change. Call inside the writing transaction so both land or neither does."""
    document_id = getattr(instance, "pid", None) or str(instance.pk)
    return HistoryEntry.objects.create(
        subsystem=type(instance).__name__,
        document_id=document_id,
        operation=operation,
        before=before or {},
        after=after or {},
        user=actor_name(user),
    )
