"""The change history: one row per create, update or delete of a tracked record."""

from __future__ import annotations

from catalogue.models import HistoryEntry

from .common import actor_name, snapshot


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


def history_update(*, user, instance, before: dict, fields) -> list[str]:
    """An "update" entry for the `fields` of `instance` that differ from the snapshot `before`
    (none when nothing changed); returns their names."""
    after = snapshot(instance, fields)
    changed = [name for name in fields if before.get(name) != after.get(name)]
    if changed:
        history_record(
            user=user,
            instance=instance,
            operation="update",
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return changed


def record_update(*, user, instance, values: dict) -> list[str]:
    """Sets `values` on `instance`, saves it as changed by `user` and records the fields that
    changed in the history; returns their names. Call inside the writing transaction."""
    fields = list(values)
    before = snapshot(instance, fields)
    for name, value in values.items():
        setattr(instance, name, value)
    instance.updated_by = actor_name(user)
    instance.save()
    return history_update(user=user, instance=instance, before=before, fields=fields)
