"""The portal's writes: licence acceptances and the download log.

Acceptance is per user for signed-in users, and per browser session for anonymous visitors (the
session remembers it; the row records it). It is for the dataset's licence and usage conditions
(its own, else its owner group's policy's) at that moment, so a change of either is asked again.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from catalogue.services.policies import usage_conditions_for
from portal.models import DownloadKind, DownloadLog, LicenceAcceptance

SESSION_KEY = "fedcat_accepted_licences"


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def _session_entry(dataset, conditions: str) -> str:
    digest = hashlib.sha256(conditions.encode()).hexdigest()[:16] if conditions else ""
    return f"{dataset.pid}\x00{dataset.license or ''}\x00{digest}"


def licence_acceptance(*, user, dataset, conditions: str | None = None):
    """The signed-in user's acceptance of the dataset's current licence and conditions."""
    if not _signed_in(user):
        return None
    if conditions is None:
        conditions = usage_conditions_for(dataset)
    return LicenceAcceptance.objects.filter(
        user=user, dataset_pid=dataset.pid, licence=dataset.license or "", conditions=conditions
    ).first()


def licence_accepted(*, user, session, dataset) -> bool:
    """Whether the current licence and usage conditions were accepted (a changed licence or
    changed conditions are asked again)."""
    conditions = usage_conditions_for(dataset)
    if _signed_in(user):
        return licence_acceptance(user=user, dataset=dataset, conditions=conditions) is not None
    return _session_entry(dataset, conditions) in (session.get(SESSION_KEY) or [])


@transaction.atomic
def licence_accept(*, user, session, dataset, ip: str | None) -> LicenceAcceptance:
    """Records that `user` (or this session) accepts the dataset's licence and usage
    conditions; idempotent."""
    licence = dataset.license or ""
    conditions = usage_conditions_for(dataset)
    if _signed_in(user):
        found = licence_acceptance(user=user, dataset=dataset, conditions=conditions)
        if found is not None:
            return found
        return LicenceAcceptance.objects.create(
            user=user, dataset_pid=dataset.pid, licence=licence, conditions=conditions, ip=ip
        )
    accepted = list(session.get(SESSION_KEY) or [])
    if _session_entry(dataset, conditions) not in accepted:
        accepted.append(_session_entry(dataset, conditions))
        session[SESSION_KEY] = accepted[-500:]
    if session.session_key is None:
        session.save()  # a key to record; the middleware sends the cookie
    return LicenceAcceptance.objects.create(
        session_key=session.session_key or "",
        dataset_pid=dataset.pid,
        licence=licence,
        conditions=conditions,
        ip=ip,
    )


def download_log_start(
    *,
    user,
    dataset,
    kind: DownloadKind,
    size: int,
    ip: str | None,
    datafile=None,
    number_of_files: int = 1,
    byte_range: str = "",
) -> DownloadLog:
    return DownloadLog.objects.create(
        user=user if _signed_in(user) else None,
        dataset_pid=dataset.pid,
        kind=kind,
        file_id=getattr(datafile, "pk", None),
        file_path=getattr(datafile, "path", ""),
        number_of_files=number_of_files,
        byte_range=byte_range,
        size=size,
        ip=ip,
    )


def download_log_finish(log: DownloadLog, *, bytes_sent: int) -> None:
    """Called when the stream ends, whole or cut short."""
    DownloadLog.objects.filter(pk=log.pk).update(
        bytes_sent=bytes_sent, completed=bytes_sent == log.size
    )


def client_ip(request) -> str | None:
    """The peer's address. Behind a proxy this is the proxy unless the front server rewrites
    REMOTE_ADDR; X-Forwarded-For is not trusted here."""
    return request.META.get("REMOTE_ADDR") or None
