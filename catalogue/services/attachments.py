"""Writes of attachments: previews on datasets (data URIs), owned like their dataset."""

from __future__ import annotations

from django.db import transaction

from catalogue.access import Action, can, principal_for
from catalogue.errors import InvalidInput
from catalogue.models import Attachment, Dataset

from .common import actor_name, clean_text, snapshot
from .entities import _require
from .history import history_record

# A thumbnail is a data URI stored in the row (and shown in lists): kept to a preview's size.
MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024


def _thumbnail(value) -> str:
    """A data URI, or "" (upstream's v3 DTO and pyscicat HEAD make the thumbnail optional)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not value.startswith("data:") or "," not in value:
        raise InvalidInput("thumbnail must be a data URI (data:image/png;base64,...)")
    if len(value) > MAX_THUMBNAIL_BYTES:
        raise InvalidInput(
            f"thumbnail is too large: {len(value)} bytes; at most {MAX_THUMBNAIL_BYTES} (5 MB)"
        )
    return clean_text(value, "thumbnail")


def _may_write_attachments_of(user, dataset: Dataset | None) -> bool:
    """The dataset's owner or an admin (SciCat's attachment create/update/delete rule)."""
    if dataset is None:  # a proposal's or sample's attachment
        return principal_for(user).is_admin
    return can(user, Action.UPDATE, dataset)


@transaction.atomic
def attachment_add(*, user, dataset: Dataset, thumbnail: str = "", caption=None) -> Attachment:
    """A preview on a dataset; owner and access groups come from the dataset, as in SciCat.

    caption is optional (pyscicat 0.4.8 may leave it out; upstream requires it).
    """
    _require(_may_write_attachments_of(user, dataset), "Unauthorized to update this dataset")
    actor = actor_name(user)
    attachment = Attachment.objects.create(
        dataset=dataset,
        thumbnail=_thumbnail(thumbnail),
        caption="" if caption is None else clean_text(caption, "caption"),
        owner_group=dataset.owner_group,
        access_groups=list(dataset.access_groups or []),
        instrument_group=dataset.instrument_group,
        is_published=dataset.is_published,
        created_by=actor,
        updated_by=actor,
    )
    history_record(user=user, instance=attachment, operation="create", after=_light(attachment))
    return attachment


@transaction.atomic
def attachment_update(*, user, attachment: Attachment, changes: dict) -> Attachment:
    """Changes an attachment's thumbnail and/or caption; ownership follows its dataset."""
    _require(_may_write_attachments_of(user, attachment.dataset), "Unauthorized access")
    unknown = set(changes) - {"thumbnail", "caption"}
    if unknown:
        raise InvalidInput(f"unknown Attachment fields: {', '.join(sorted(unknown))}")
    before = _light(attachment)
    if "thumbnail" in changes:
        attachment.thumbnail = _thumbnail(changes["thumbnail"])
    if "caption" in changes:
        attachment.caption = clean_text(changes["caption"] or "", "caption")
    attachment.updated_by = actor_name(user)
    attachment.save()
    after = _light(attachment)
    changed = [name for name in after if before.get(name) != after.get(name)]
    changed = [name for name in changed if name not in {"updated_at", "updated_by"}]
    if changed:
        history_record(
            user=user,
            instance=attachment,
            operation="update",
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return attachment


@transaction.atomic
def attachment_delete(*, user, attachment: Attachment) -> dict:
    """Deletes an attachment (its dataset's owner or an admin); returns its last state."""
    _require(_may_write_attachments_of(user, attachment.dataset), "Unauthorized access")
    last_state = snapshot(attachment)
    history_record(user=user, instance=attachment, operation="delete", before=_light(attachment))
    attachment.delete()
    return last_state


@transaction.atomic
def attachments_delete_all(*, user, dataset: Dataset) -> int:
    """Deletes every attachment of a dataset; returns how many."""
    _require(_may_write_attachments_of(user, dataset), "Unauthorized access")
    attachments = list(Attachment.objects.select_for_update().filter(dataset_id=dataset.pk))
    for attachment in attachments:
        history_record(
            user=user, instance=attachment, operation="delete", before=_light(attachment)
        )
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    return len(attachments)


def _light(attachment: Attachment) -> dict:
    """A history snapshot without the image itself (up to 5 MB): its size and a prefix."""
    state = snapshot(attachment)
    thumbnail = state.get("thumbnail") or ""
    state["thumbnail"] = f"{thumbnail[:40]}… ({len(thumbnail)} bytes)" if thumbnail else ""
    return state
