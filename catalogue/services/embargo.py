"""Embargoes: releasing what is due, early releases, extensions, and notices ahead of time.

A dataset under embargo is public from its `embargo_end` on (catalogue.access judges that at
query time), but only `embargo_release_due`, run by the beat job, turns it into a published
dataset: isPublished and datasetlifecycle.publishedOn set, its blocks following, the history and
the access audit written and the search index told, so SciCat clients filtering on isPublished,
OAI-PMH and federation partners see the change too. Every step is idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from catalogue.access import SYSTEM, Action, can
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.models import Dataset, EmbargoNotice
from catalogue.policies.mail import dataset_link, owner_recipients, render_mail

from .common import clean_text
from .datasets import dataset_update

logger = logging.getLogger(__name__)

BATCH = 500
NOTICE_LIST_LIMIT = 50  # datasets named in one notice; the rest are counted


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _publish(*, user, dataset: Dataset, released_at: datetime, note: str) -> Dataset:
    lifecycle = dict(dataset.datasetlifecycle or {})
    lifecycle.setdefault("publishedOn", _iso(released_at))
    return dataset_update(
        user=user,
        dataset=dataset,
        changes={"is_published": True, "datasetlifecycle": lifecycle},
        note=note,
    )


# --- The beat job --------------------------------------------------------------------------------


def embargo_release_due(*, now: datetime | None = None) -> int:
    """Publishes every unpublished dataset whose embargo has ended; returns how many.

    Each dataset is released in its own transaction on its locked row, so two runs at once
    release each dataset once, and a failure leaves the others released. (A filter on
    is_published here selects work for the system, not what a user may read.)
    """
    now = now or timezone.now()
    released, after_pk = 0, 0
    while True:
        due = Dataset.objects.filter(is_published=False, embargo_end__lte=now, pk__gt=after_pk)
        pks = list(due.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not pks:
            break
        after_pk = pks[-1]
        released += sum(_release_one(pk, now) for pk in pks)
    if released:
        logger.info("embargo: released %d datasets", released)
    return released


@transaction.atomic
def _release_one(pk: int, now: datetime) -> int:
    dataset = Dataset.objects.select_for_update().filter(pk=pk).first()
    if dataset is None or dataset.is_published:
        return 0
    if dataset.embargo_end is None or dataset.embargo_end > now:
        return 0  # extended since it was selected
    _publish(user=SYSTEM, dataset=dataset, released_at=dataset.embargo_end, note="embargo ended")
    return 1


# --- Decisions by people -------------------------------------------------------------------------


@transaction.atomic
def embargo_release(*, user, dataset: Dataset, note: str = "") -> Dataset:
    """Publishes the dataset now, before its embargo ends: owners and admins (Action.PUBLISH)."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if not can(user, Action.PUBLISH, dataset):
        raise PermissionDenied("Only the dataset's owners may release it early")
    if dataset.is_published:
        return dataset
    now = timezone.now()
    if dataset.embargo_end is None or dataset.embargo_end > now:
        dataset = dataset_update(
            user=user, dataset=dataset, changes={"embargo_end": now}, note="released early"
        )
    reason = clean_text(note or "", "note", max_length=2000).strip()
    return _publish(user=user, dataset=dataset, released_at=now, note=reason or "released early")


@transaction.atomic
def embargo_change(*, user, dataset: Dataset, until: datetime | None, reason: str) -> Dataset:
    """Sets a new embargo end. Later (or none: closed until someone sets one) needs an admin
    (Action.EXTEND_EMBARGO); earlier may be decided by owners. The reason is required and kept
    in the access audit; the end is pinned against policy changes from then on."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    reason = clean_text(reason or "", "reason", max_length=2000).strip()
    if not reason:
        raise InvalidInput("say why the embargo changes; the reason is kept in the audit")
    if dataset.is_published:
        raise InvalidInput("the dataset is published already; its embargo is over")
    if until is not None and until <= timezone.now():
        raise InvalidInput("the new embargo end must be in the future (release the data instead)")
    if not (can(user, Action.PUBLISH, dataset) or can(user, Action.EXTEND_EMBARGO, dataset)):
        raise PermissionDenied("Only the dataset's owners and administrators may change it")
    return dataset_update(user=user, dataset=dataset, changes={"embargo_end": until}, note=reason)


# --- Notices -------------------------------------------------------------------------------------


def _notice_message(address: str, datasets: list[Dataset], connection):
    shown = sorted(datasets, key=lambda d: (d.embargo_end, d.pid))
    context = {
        "datasets": [(d, dataset_link(d.pid)) for d in shown[:NOTICE_LIST_LIMIT]],
        "more": max(0, len(shown) - NOTICE_LIST_LIMIT),
        "first_end": shown[0].embargo_end,
        "count": len(shown),
    }
    return render_mail("embargo_notice", context, [address], connection)


def embargo_notices_send(*, now: datetime | None = None) -> int:
    """E-mails owners once about each dataset whose embargo ends within EMBARGO_NOTICE_DAYS.

    Per owner group: the notice rows are written, then the e-mails sent, in one transaction, so
    a mail server that fails rolls the rows back and the next run tries again. Returns the
    number of datasets announced."""
    days = getattr(settings, "EMBARGO_NOTICE_DAYS", 0)
    if days <= 0:
        return 0
    now = now or timezone.now()
    due = (
        Dataset.objects.filter(is_published=False, embargo_end__gt=now)
        .filter(embargo_end__lte=now + timedelta(days=days))
        .exclude(
            Exists(
                EmbargoNotice.objects.filter(
                    dataset=OuterRef("pk"), embargo_end=OuterRef("embargo_end")
                )
            )
        )
    )
    columns = ("pk", "pid", "dataset_name", "owner_group", "owner_email", "contact_email",
               "embargo_end", "is_published")  # fmt: skip
    by_group: dict[str, list[Dataset]] = defaultdict(list)
    for dataset in due.only(*columns).order_by("owner_group", "pk").iterator():
        by_group[dataset.owner_group].append(dataset)
    announced = 0
    for datasets in by_group.values():
        announced += _notify_group(datasets)
    return announced


@transaction.atomic
def _notify_group(datasets: list[Dataset]) -> int:
    recipients = owner_recipients(datasets)
    per_dataset = defaultdict(list)
    for address, listed in recipients.items():
        for dataset in listed:
            per_dataset[dataset.pk].append(address)
    notices = [
        EmbargoNotice(dataset=d, embargo_end=d.embargo_end, recipients=per_dataset[d.pk])
        for d in datasets
    ]
    try:
        with transaction.atomic():
            EmbargoNotice.objects.bulk_create(notices)
    except IntegrityError:
        return 0  # another run announced them meanwhile
    with get_connection() as connection:
        for address, listed in recipients.items():
            _notice_message(address, listed, connection).send()
    return len(notices)
