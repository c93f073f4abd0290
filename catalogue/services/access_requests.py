"""Access requests: a user asks for a closed dataset's files, its owners grant or refuse.

A grant adds the requester's e-mail to the dataset's sharedWith through `dataset_update`, so the
access rules (catalogue/access.py, `Relation.SHARED`) stay the only thing that decides who sees
what; an expiry is ended by `access_grants_expire` (the beat job), which takes the address out
again. Requesters and owners are told by e-mail after the commit (catalogue.tasks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.access import SYSTEM, Action, can, principal_for
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import AccessEventKind, AccessRequest, Dataset
from catalogue.models import AccessRequestStatus as Status

from .audit import audit_record
from .common import actor_name, clean_text
from .datasets import dataset_update

MAX_PENDING_PER_USER = 20
MAX_MESSAGE = 4000


def _notify(request: AccessRequest, event: str) -> None:
    from catalogue.tasks import access_request_notify

    pk = request.pk
    transaction.on_commit(lambda: access_request_notify.delay(pk, event), robust=True)


def _audit(user, request: AccessRequest, action: str, note: str = "") -> None:
    audit_record(
        user=user,
        subject=request.dataset.pid,
        kind=AccessEventKind.ACCESS_REQUEST,
        action=action,
        after={"request": request.pk, "email": request.email, "expires_at": _iso(request)},
        note=note,
    )


def _iso(request: AccessRequest) -> str | None:
    return request.expires_at.isoformat() if request.expires_at else None


def _locked(request: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().select_related("dataset").get(pk=request.pk)


@transaction.atomic
def access_request_create(*, user, dataset: Dataset, message: str = "") -> AccessRequest:
    """A signed-in user with an e-mail asks for a dataset they may not download yet."""
    principal = principal_for(user)
    if not principal.is_authenticated or principal.is_system:
        raise PermissionDenied("Sign in to ask for access")
    if not principal.email:
        raise InvalidInput("Your account has no e-mail address; access is shared by e-mail")
    if can(user, Action.DOWNLOAD, dataset):
        raise InvalidInput("You have access to this dataset already")
    message = clean_text(message or "", "message", max_length=MAX_MESSAGE).strip()
    pending = AccessRequest.objects.filter(requester=user, status=Status.PENDING)
    if pending.count() >= MAX_PENDING_PER_USER:
        raise InvalidInput(
            f"You have {MAX_PENDING_PER_USER} open requests; wait for answers before asking more"
        )
    request = AccessRequest(dataset=dataset, requester=user, email=principal.email, message=message)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise Conflict("You have asked for access to this dataset already") from exc
    _audit(user, request, "requested")
    _notify(request, "requested")
    return request


@transaction.atomic
def access_request_withdraw(*, user, request: AccessRequest) -> AccessRequest:
    request = _locked(request)
    if request.requester_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the requester may withdraw a request")
    if request.status != Status.PENDING:
        raise InvalidInput(f"This request is {request.status} already")
    request.status = Status.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _audit(user, request, "withdrawn")
    return request


def _require_owner(user, request: AccessRequest) -> None:
    if not can(user, Action.UPDATE, request.dataset):
        raise PermissionDenied("Only the dataset's owners may answer access requests")


def _check_expiry(expires_at: datetime | None) -> None:
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("The access must end in the future")
    longest = getattr(settings, "ACCESS_GRANT_MAX_DAYS", 0)
    if longest and (expires_at is None or expires_at > now + timedelta(days=longest)):
        raise InvalidInput(f"Access may be granted for at most {longest} days on this site")


def _shared(dataset: Dataset) -> set[str]:
    return {str(e).strip().lower() for e in dataset.shared_with or []}


@transaction.atomic
def access_request_grant(
    *, user, request: AccessRequest, expires_at: datetime | None = None, note: str = ""
) -> AccessRequest:
    """Shares the dataset with the requester's e-mail (until `expires_at`, if given)."""
    request = _locked(request)
    _require_owner(user, request)
    if request.status != Status.PENDING:
        raise InvalidInput(f"This request is {request.status} already")
    _check_expiry(expires_at)
    note = clean_text(note or "", "note", max_length=MAX_MESSAGE).strip()
    dataset = Dataset.objects.select_for_update().get(pk=request.dataset_id)
    request.added_email = request.email.lower() not in _shared(dataset)
    if request.added_email:
        dataset_update(
            user=user,
            dataset=dataset,
            changes={"shared_with": [*(dataset.shared_with or []), request.email]},
            note=f"access request {request.pk} granted",
        )
    request.status = Status.GRANTED
    request.decided_by = actor_name(user)
    request.decided_at = timezone.now()
    request.decision_note = note
    request.expires_at = expires_at
    request.save()
    _audit(user, request, "granted", note)
    _notify(request, "granted")
    return request


@transaction.atomic
def access_request_refuse(*, user, request: AccessRequest, note: str = "") -> AccessRequest:
    request = _locked(request)
    _require_owner(user, request)
    if request.status != Status.PENDING:
        raise InvalidInput(f"This request is {request.status} already")
    request.status = Status.REFUSED
    request.decided_by = actor_name(user)
    request.decided_at = timezone.now()
    request.decision_note = clean_text(note or "", "note", max_length=MAX_MESSAGE).strip()
    request.save()
    _audit(user, request, "refused", request.decision_note)
    _notify(request, "refused")
    return request


@transaction.atomic
def access_grant_end(*, user, request: AccessRequest, note: str = "") -> AccessRequest:
    """Ends a grant: the address leaves sharedWith unless it was there before the grant or
    another live grant still needs it. Owners, admins, and the system (expiry)."""
    request = _locked(request)
    _require_owner(user, request)
    if request.status != Status.GRANTED:
        raise InvalidInput(f"This request is {request.status}, not granted")
    others = AccessRequest.objects.filter(
        dataset=request.dataset, status=Status.GRANTED, email__iexact=request.email
    ).exclude(pk=request.pk)
    dataset = Dataset.objects.select_for_update().get(pk=request.dataset_id)
    if request.added_email and not others.exists():
        wanted = request.email.lower()
        kept = [e for e in dataset.shared_with or [] if str(e).strip().lower() != wanted]
        if len(kept) != len(dataset.shared_with or []):
            dataset_update(
                user=user,
                dataset=dataset,
                changes={"shared_with": kept},
                note=note or f"access request {request.pk} ended",
            )
    request.status = Status.ENDED
    request.ended_at = timezone.now()
    request.save(update_fields=["status", "ended_at"])
    _audit(user, request, "ended", note)
    _notify(request, "ended")
    return request


def access_grants_expire(*, now: datetime | None = None) -> int:
    """Ends every grant whose expiry has passed (the beat job); returns how many."""
    now = now or timezone.now()
    expired = AccessRequest.objects.filter(status=Status.GRANTED, expires_at__lte=now)
    ended = 0
    for request in list(expired.order_by("pk")):
        try:
            access_grant_end(user=SYSTEM, request=request, note="access expired")
        except InvalidInput:
            continue  # ended by an owner meanwhile
        ended += 1
    return ended
