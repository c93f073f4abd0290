"""The DOI lifecycle of published data: reserve in the publish transaction, register after commit.

States (catalogue.models.publishing.DoiState):

    draft -> reserved -> registered -> findable        hidden (withdrawn)        failed (4xx)

- `reserve` (inside published_data_register): a draft or failed record becomes `reserved` and
  asks for a sync; the DOI itself was chosen locally when the record was made, so nothing
  remote is needed to promise it.
- `request_sync` marks that DataCite must hear about the record (`sync_requested_at`) and
  schedules `doi_sync` with `delay_on_commit`: a rolled-back publication never reaches DataCite.
- `published_data_sync` (run by the task) sends `PUT /dois/{doi}` with the next event towards
  the wanted state: `register` for a new DOI, then `publish` (findable); `hide` once withdrawn;
  no event for a metadata update. Each call is bracketed by two short transactions: one claims
  the record (a lease, so a worker killed mid-call does not block it for ever), one stores what
  DataCite answered. No transaction stays open during the call.
- Outcomes: DataCite's state as wanted -> findable/hidden and the request cleared; 409, 429, 5xx
  and network errors -> `retry` (the task backs off; the request stays, so the sweep finds it if
  the task gives up or dies); other 4xx -> `failed` with DataCite's error text, shown to the
  owner and the admin, until someone fixes the record and submits it again
  (`published_data_resubmit`).
- `published_data_sweep` (beat) re-sends records whose request is older than a lease and that
  no live task holds: what a killed worker or a lost message left behind.

Because the suffix is local and PUT is an upsert, every repetition (a retry after a lost
answer, a redelivered message, the sweep) is harmless: DataCite answers 200 instead of 201.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalogue.access import principal_for
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.formats import IncompleteMetadata
from catalogue.formats import datacite as datacite_format
from catalogue.formats.record import publication_record, site_url
from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.publishing import doi as providers
from catalogue.publishing.doi import DoiRejected, DoiUnavailable, RemoteDoi

from ..common import actor_name
from ..history import history_record

log = logging.getLogger(__name__)

# DataCite's states, the one wanted for a record, and the event that moves towards it.
FINDABLE, REGISTERED, DRAFT = "findable", "registered", "draft"
MAX_STEPS = 4  # register, publish, and one more if the record changed during a call
SWEEP_LIMIT = 500


@dataclass(frozen=True)
class Outcome:
    """What one run of the sync did. `kind`: done, idle, busy, retry, failed, disabled, gone."""

    kind: str
    state: str = ""
    retry_after: float | None = None
    message: str = ""


@dataclass(frozen=True)
class _Plan:
    doi: str
    token: str
    requested_at: object
    payload: dict
    digest: str
    event: str | None
    target: str
    remote_before: str


def wanted_remote_state(record: PublishedData) -> str:
    return REGISTERED if record.withdrawn_at else FINDABLE


def next_event(remote: str, target: str) -> str | None:
    """The DataCite event that moves a DOI in state `remote` ("" = unknown there) towards
    `target`; None when it is there and only the metadata may need sending."""
    if remote == target:
        return None
    if remote in ("", DRAFT):
        return "register"
    return "publish" if target == FINDABLE else "hide"


def local_state(remote: str, record: PublishedData) -> str:
    if remote == FINDABLE:
        return DoiState.FINDABLE
    if remote == REGISTERED:
        return DoiState.HIDDEN if record.withdrawn_at else DoiState.REGISTERED
    return DoiState.RESERVED


# --- inside the publishing transactions -----------------------------------------------------


def minting_problems(record: PublishedData) -> list[str]:
    """What DataCite would refuse in `record` (missing mandatory properties, values outside
    its lists), as sentences; [] when it can be registered."""
    built = publication_record(record, base_url=site_url())
    return datacite_format.problems(built)


def check_mintable(record: PublishedData) -> None:
    """Refuses to reserve a DOI DataCite would refuse (only when DataCite is configured)."""
    if record.state not in (DoiState.DRAFT, DoiState.FAILED):
        return
    if not providers.registration_enabled():
        return
    problems = minting_problems(record)
    if problems:
        raise InvalidInput([f"cannot register the DOI: {p}" for p in problems])


def request_sync(record: PublishedData) -> None:
    """DataCite must hear about `record`: marks it and schedules the task after commit."""
    record.sync_requested_at = timezone.now()
    PublishedData.objects.filter(pk=record.pk).update(sync_requested_at=record.sync_requested_at)
    _schedule(record.pk)


def _schedule(doi: str) -> None:
    if providers.registration_enabled():
        from catalogue.publishing.tasks import doi_sync

        doi_sync.delay_on_commit(doi)


def reserve(record: PublishedData) -> None:
    """draft or failed -> reserved, with a sync request; call inside the register transaction
    (the caller saves the record)."""
    if record.state in (DoiState.DRAFT, DoiState.FAILED):
        record.state = DoiState.RESERVED
        record.doi_error, record.doi_errors = "", []
        record.sync_requested_at = timezone.now()
        _schedule(record.pk)
    elif record.state == DoiState.RESERVED:
        # Registering a reserved record again (e.g. DataCite was configured since): resend.
        record.sync_requested_at = timezone.now()
        _schedule(record.pk)


def may_manage_publication(user, record: PublishedData) -> bool:
    """Who may edit a publication in the portal, submit it and send it again: admins and the
    person who made it. (The SciCat API keeps its own, wider rule: any signed-in user.)"""
    principal = principal_for(user)
    return principal.is_admin or (
        principal.is_authenticated and record.created_by == principal.username
    )


@transaction.atomic
def published_data_resubmit(*, user, record: PublishedData) -> PublishedData:
    """Sends a failed (or stuck) record to DataCite again, e.g. after its metadata was fixed.
    Admins (the admin's "retry registration") and the record's maker."""
    if not may_manage_publication(user, record):
        raise PermissionDenied("Forbidden resource")
    record = PublishedData.objects.select_for_update().get(pk=record.pk)
    if record.state == DoiState.DRAFT:
        raise InvalidInput(f"{record.doi} is a draft: submit it first")
    before = {"state": record.state, "doi_error": record.doi_error}
    if record.state == DoiState.FAILED:
        check_mintable(record)
        record.state = local_state(record.remote_state, record)
    record.doi_error, record.doi_errors = "", []
    record.sync_claim, record.sync_claimed_at = "", None  # an admin's word beats a stale lease
    record.updated_by = actor_name(user)
    record.save(update_fields=["state", "doi_error", "doi_errors", "sync_claim", "sync_claimed_at"])
    after = {"state": record.state, "doi_error": record.doi_error}
    if before != after:
        history_record(user=user, instance=record, operation="update", before=before, after=after)
    request_sync(record)
    return record


def published_data_sweep(*, stale_after: float | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Re-schedules records whose sync request is older than `stale_after` seconds (default:
    one lease) and that no live task holds. Answers how many were scheduled."""
    if not providers.registration_enabled():
        return 0
    lease = providers.claim_lease_seconds()
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease if stale_after is None else stale_after)
    stale = (
        PublishedData.objects.filter(sync_requested_at__lte=cutoff)
        .exclude(state__in=[DoiState.DRAFT, DoiState.FAILED])
        .exclude(sync_claimed_at__gt=now - timedelta(seconds=lease))
        .exclude(last_attempt_at__gt=cutoff)
        .order_by("sync_requested_at")
        .values_list("doi", flat=True)[:limit]
    )
    dois = list(stale)
    for doi in dois:
        _schedule(doi)
    if dois:
        log.info("doi sweep: rescheduled %d record(s)", len(dois))
    return len(dois)


# --- the task's work: claim, call, store ------------------------------------------------------


def published_data_sync(*, doi: str, provider=None) -> Outcome:
    """Brings DataCite's copy of `doi` to the record's wanted state and metadata.

    Idempotent: a record without a sync request is left alone; repeated calls cost DataCite an
    update at most. The caller (the task) owns the retry policy for `retry` and `busy`.
    """
    own_provider = provider is None
    provider = provider or providers.get_provider()
    if provider is None:
        return Outcome("disabled", message="no DOI provider is configured (DATACITE_URL)")
    try:
        for _ in range(MAX_STEPS):
            plan = _claim(doi, provider)
            if isinstance(plan, Outcome):
                return plan
            try:
                remote = provider.put(doi, plan.payload, event=plan.event)
            except DoiUnavailable as exc:
                return _store_unavailable(plan, exc)
            except DoiRejected as exc:
                outcome = _store_rejected(plan, exc)
            else:
                outcome = _store_answer(plan, remote)
            if outcome is not None:
                return outcome
        return Outcome("retry", message="the record kept changing; trying again")
    finally:
        if own_provider:
            provider.close()


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def _claim(doi: str, provider) -> _Plan | Outcome:
    record = PublishedData.objects.select_for_update().filter(pk=doi).first()
    if record is None:
        return Outcome("gone")
    if record.sync_requested_at is None or record.state in (DoiState.DRAFT, DoiState.FAILED):
        return Outcome("idle", state=record.state)
    now = timezone.now()
    lease = providers.claim_lease_seconds()
    if record.sync_claim and record.sync_claimed_at:
        held = (now - record.sync_claimed_at).total_seconds()
        if held < lease:
            return Outcome("busy", state=record.state, retry_after=lease - held + 0.5)
    target = wanted_remote_state(record)
    try:
        payload = provider.payload(publication_record(record, base_url=site_url()))
    except IncompleteMetadata as exc:
        record.state = DoiState.FAILED
        record.doi_error = f"not sent to DataCite: {exc}"
        record.doi_errors = [
            {"status": "", "source": name, "title": "missing"} for name in exc.missing
        ] + [{"status": "", "source": "", "title": text} for text in exc.invalid]
        record.sync_requested_at = None
        record.save(update_fields=["state", "doi_error", "doi_errors", "sync_requested_at"])
        _count(DoiState.FAILED)
        return Outcome("failed", state=record.state, message=record.doi_error)
    digest = _digest(payload)
    event = next_event(record.remote_state, target)
    if event is None and digest == record.synced_sha256:
        record.state = local_state(record.remote_state, record)
        record.sync_requested_at = None
        record.save(update_fields=["state", "sync_requested_at"])
        return Outcome("done", state=record.state)
    token = uuid.uuid4().hex
    record.sync_claim, record.sync_claimed_at = token, now
    record.attempts += 1
    record.last_attempt_at = now
    record.save(update_fields=["sync_claim", "sync_claimed_at", "attempts", "last_attempt_at"])
    return _Plan(
        doi=doi,
        token=token,
        requested_at=record.sync_requested_at,
        payload=payload,
        digest=digest,
        event=event,
        target=target,
        remote_before=record.remote_state,
    )


def _held(plan: _Plan) -> PublishedData | None:
    """The record, locked, if this plan still holds its claim (else another task took over)."""
    record = PublishedData.objects.select_for_update().filter(pk=plan.doi).first()
    if record is None or record.sync_claim != plan.token:
        return None
    record.sync_claim, record.sync_claimed_at = "", None
    return record


CLAIM_FIELDS = ["sync_claim", "sync_claimed_at"]


@transaction.atomic
def _store_answer(plan: _Plan, remote: RemoteDoi) -> Outcome | None:
    """None: go on with the next step (the next event, or metadata changed meanwhile)."""
    record = _held(plan)
    if record is None:
        return Outcome("busy", message="another task took the record over")
    now = timezone.now()
    record.remote_state = remote.state
    record.synced_at = now
    fields = [*CLAIM_FIELDS, "remote_state", "synced_at", "state", "doi_error", "doi_errors"]
    record.doi_error, record.doi_errors = "", []
    progressed = remote.state != plan.remote_before or plan.event is None
    if not progressed:
        record.state = DoiState.FAILED
        record.doi_error = (
            f"DataCite kept {plan.doi} in state {remote.state or 'unknown'} after the event "
            f"{plan.event}; expected {plan.target}"
        )
        record.sync_requested_at = None
        record.save(update_fields=[*fields, "sync_requested_at"])
        _count(DoiState.FAILED)
        return Outcome("failed", state=record.state, message=record.doi_error)
    record.state = local_state(remote.state, record)
    if remote.state != plan.target:
        record.save(update_fields=fields)
        _count(record.state)
        return None  # e.g. registered; publish next
    record.synced_sha256 = plan.digest
    fields.append("synced_sha256")
    if record.sync_requested_at != plan.requested_at:
        record.save(update_fields=fields)
        return None  # changed during the call: send the new metadata
    record.sync_requested_at = None
    record.save(update_fields=[*fields, "sync_requested_at"])
    _count(record.state)
    return Outcome("done", state=record.state)


@transaction.atomic
def _store_rejected(plan: _Plan, exc: DoiRejected) -> Outcome | None:
    record = _held(plan)
    if record is None:
        return Outcome("busy", message="another task took the record over")
    fields = [*CLAIM_FIELDS]
    if record.sync_requested_at != plan.requested_at:
        record.save(update_fields=fields)
        return None  # the record changed during the call: the refusal may be fixed already
    record.state = DoiState.FAILED
    record.doi_error = exc.message
    record.doi_errors = exc.errors
    record.sync_requested_at = None
    record.save(update_fields=[*fields, "state", "doi_error", "doi_errors", "sync_requested_at"])
    log.warning("DOI %s refused by the provider: %s", plan.doi, exc.message)
    _count(DoiState.FAILED)
    return Outcome("failed", state=record.state, message=exc.message)


@transaction.atomic
def _store_unavailable(plan: _Plan, exc: DoiUnavailable) -> Outcome:
    record = _held(plan)
    if record is not None:
        record.doi_error = f"will retry: {exc.message}"
        record.save(update_fields=[*CLAIM_FIELDS, "doi_error"])
    log.info("DOI %s: provider unavailable (%s); will retry", plan.doi, exc.message)
    _count("retry")
    state = record.state if record is not None else ""
    return Outcome("retry", state=state, retry_after=exc.retry_after, message=exc.message)


def _count(state: str) -> None:
    from portal.observability import metrics

    metrics.record_doi(state=str(state))
