"""Writes of proposals, samples, instruments, policies and techniques.

Permissions follow SciCat (catalogue/access_entities.py): proposals need ADMIN or
PROPOSAL_GROUPS, samples SAMPLE_GROUPS for the user's own groups or SAMPLE_PRIVILEGED_GROUPS for
any, instruments an admin, policies ADMIN or POLICY_GROUPS; deletes need DELETE_GROUPS.
Quantities in sample characteristics and instrument metadata get valueSI/unitSI like scientific
metadata. Callers pass model field names (snake_case); the API translates SciCat's camelCase.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction

from catalogue.access import principal_for
from catalogue.access_entities import (
    may_delete,
    may_manage_policies,
    may_write_proposals,
    may_write_sample,
)
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import HistoryEntry, Instrument, Policy, Proposal, Sample, Technique
from catalogue.units import annotate_quantities

from .common import actor_name, clean_text, clean_value, parse_timestamp, snapshot
from .history import history_record, record_update
from .policies import embargo_period_changed, policies_ensure
from .rows import insert_objects

# Kept by the server; a client value is dropped.
SERVER_FIELDS = frozenset({"created_by", "updated_by", "unit_issues", "number_of_datasets"})
# JSON lists whose elements must be strings.
STRING_LISTS = frozenset({"access_groups", "instrument_ids", "manager"}) | frozenset(
    {"archive_emails_to_be_notified", "retrieve_emails_to_be_notified"}
)
EMAIL_FIELDS = {Proposal: ("email", "pi_email")}
MEASUREMENT_PERIOD_KEYS = frozenset({"id", "instrument", "start", "end", "comment"})


def _field_names(model: type[models.Model]) -> set[str]:
    names = {field.name for field in model._meta.concrete_fields}
    return names - {"created_at", "updated_at", "id"}


def _clean(model, data: dict, *, required=(), quantities: str | None = None) -> dict:
    """The fields to store: names, types and values checked; server-kept fields dropped."""
    if not isinstance(data, dict):
        raise InvalidInput(f"a {model.__name__} must be an object")
    unknown = set(data) - _field_names(model)
    if unknown:
        raise InvalidInput(f"unknown {model.__name__} fields: {', '.join(sorted(unknown))}")
    values = {k: v for k, v in data.items() if k not in SERVER_FIELDS}
    missing = [name for name in required if values.get(name) in (None, "")]
    if missing:
        raise InvalidInput(f"missing required {model.__name__} fields: {', '.join(missing)}")
    for name, value in values.items():
        values[name] = clean_value(model._meta.get_field(name), value)
    for name in STRING_LISTS & set(values):
        if not all(isinstance(item, str) for item in values[name]):
            raise InvalidInput(f"{name} must be a list of strings")
    if "access_groups" in values:
        # Stored as the access rules compare them: trimmed, and without blanks.
        values["access_groups"] = [g.strip() for g in values["access_groups"] if g.strip()]
    for name in EMAIL_FIELDS.get(model, ()):
        if values.get(name):
            _check_email(values[name], name)
    if "measurement_period_list" in values:
        values["measurement_period_list"] = _measurement_periods(values["measurement_period_list"])
    if quantities and quantities in values:
        values[quantities], issues = annotate_quantities(values[quantities])
        values["unit_issues"] = [asdict(issue) for issue in issues]
    return values


def _check_email(value: str, name: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidInput(f"{name} must be an email") from None


def _measurement_periods(periods: list) -> list[dict]:
    """SciCat's [{instrument, start, end, comment?}], with the times written in UTC."""
    cleaned = []
    for index, period in enumerate(periods):
        where = f"MeasurementPeriodList[{index}]"
        if not isinstance(period, dict):
            raise InvalidInput(f"{where} must be an object")
        unknown = set(period) - MEASUREMENT_PERIOD_KEYS
        if unknown:
            raise InvalidInput(f"{where}: unknown fields {', '.join(sorted(unknown))}")
        item = dict(period)
        item["instrument"] = clean_text(period.get("instrument"), f"{where}.instrument")
        for key in ("start", "end"):
            moment = parse_timestamp(period.get(key), f"{where}.{key}")
            if moment is None:
                raise InvalidInput(f"{where}.{key} is required")
            item[key] = moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
        if "comment" in period:
            item["comment"] = clean_text(period["comment"], f"{where}.comment")
        cleaned.append(item)
    return cleaned


def _require(allowed: bool, message: str = "Forbidden resource") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _create(user, model, values: dict):
    actor = actor_name(user)
    instance = model(created_by=actor, updated_by=actor, **values)
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as exc:
        name = getattr(instance, "owner_group", None) if model is Policy else instance.pk
        raise Conflict(f"{model.__name__} {name} already exists") from exc
    history_record(user=user, instance=instance, operation="create", after=snapshot(instance))
    return instance


def _update(user, instance, values: dict):
    try:
        with transaction.atomic():
            record_update(user=user, instance=instance, values=values)
    except IntegrityError as exc:
        raise Conflict(f"{type(instance).__name__} {instance.pk}: {exc}") from exc
    return instance


def _delete(user, instance) -> dict:
    _require(may_delete(user))
    last_state = snapshot(instance)
    history_record(user=user, instance=instance, operation="delete", before=last_state)
    instance.delete()
    return last_state


# --- Proposals -----------------------------------------------------------------------------------

PROPOSAL_REQUIRED = ("proposal_id", "email", "title", "owner_group")


def proposal_validate(*, user, data: dict) -> None:
    """Checks a proposal body without writing it (POST /Proposals/isValid); InvalidInput if bad.

    Needs the right to create proposals. As upstream, missing fields are not reported: only
    unknown fields and wrong values.
    """
    _require(may_write_proposals(user))
    _clean(Proposal, data)


@transaction.atomic
def proposal_create(*, user, data: dict) -> Proposal:
    _require(may_write_proposals(user))
    values = _clean(Proposal, data, required=PROPOSAL_REQUIRED)
    return _create(user, Proposal, values)


@transaction.atomic
def proposal_update(*, user, proposal: Proposal, changes: dict) -> Proposal:
    """pyscicat leaves proposalId out of the body; a proposalId sent along is ignored."""
    _require(may_write_proposals(user))
    changes = {k: v for k, v in changes.items() if k != "proposal_id"}
    values = _clean(Proposal, changes)
    _no_blank_required(values, PROPOSAL_REQUIRED, "Proposal")
    before = proposal.embargo_period
    _update(user, proposal, values)
    embargo_period_changed(
        user=user, subject=f"proposal:{proposal.pk}", before=before, after=proposal.embargo_period
    )
    return proposal


@transaction.atomic
def proposal_delete(*, user, proposal: Proposal) -> dict:
    return _delete(user, proposal)


def _no_blank_required(values: dict, required, name: str) -> None:
    blank = [field for field in required if field in values and values[field] in (None, "")]
    if blank:
        raise InvalidInput(f"{name} fields must not be empty: {', '.join(blank)}")


# --- Samples -------------------------------------------------------------------------------------


@transaction.atomic
def sample_create(*, user, data: dict) -> Sample:
    """sampleId is optional: a uuid4 is made when it is missing."""
    return _create(user, Sample, sample_clean(user=user, data=data))


def sample_clean(*, user, data: dict) -> dict:
    """sample_create's checks without the write: the values samples_insert takes."""
    if not isinstance(data, dict):
        raise InvalidInput("a Sample must be an object")
    if data.get("sample_id") in (None, ""):
        data = {**data, "sample_id": str(uuid.uuid4())}
    values = _clean(Sample, data, required=("owner_group",), quantities="sample_characteristics")
    _require(may_write_sample(user, values["owner_group"]), "Unauthorized to create this sample")
    return values


@transaction.atomic(savepoint=False)  # all or nothing: a failure fails the caller's transaction
def samples_insert(*, user, rows: list[dict]) -> list[Sample]:
    """Creates samples checked by sample_clean, each with sample_create's history entry, in one
    INSERT per table (a harvest makes hundreds). A sampleId already taken, in the database or
    twice in `rows`, is an IntegrityError and nothing is written."""
    actor = actor_name(user)
    samples = [Sample(created_by=actor, updated_by=actor, **values) for values in rows]
    insert_objects(samples)
    history = [
        HistoryEntry(
            subsystem="Sample",
            document_id=sample.pk,
            operation="create",
            after=snapshot(sample),
            user=actor,
        )
        for sample in samples
    ]
    insert_objects(history)
    return samples


@transaction.atomic
def sample_update(*, user, sample: Sample, changes: dict) -> Sample:
    _require(may_write_sample(user, sample.owner_group), "Unauthorized to update this sample")
    changes = {k: v for k, v in changes.items() if k != "sample_id"}
    values = _clean(Sample, changes, quantities="sample_characteristics")
    _no_blank_required(values, ("owner_group",), "Sample")
    if "owner_group" in values:
        _require(
            may_write_sample(user, values["owner_group"]), "Unauthorized to update this sample"
        )
    return _update(user, sample, values)


@transaction.atomic
def sample_delete(*, user, sample: Sample) -> dict:
    return _delete(user, sample)


# --- Instruments and techniques ------------------------------------------------------------


@transaction.atomic
def instrument_create(*, user, data: dict) -> Instrument:
    """Admins only. pyscicat sends `pid` and no `uniqueName`: both are accepted."""
    _require(principal_for(user).is_admin)
    if not isinstance(data, dict):
        raise InvalidInput("an Instrument must be an object")
    data = dict(data)
    if data.get("pid") in (None, ""):
        data["pid"] = f"{settings.PID_PREFIX}/{uuid.uuid4()}"
    if not data.get("unique_name"):
        data["unique_name"] = data.get("name") or ""
    values = _clean(
        Instrument, data, required=("name", "unique_name"), quantities="custom_metadata"
    )
    if Instrument.objects.filter(unique_name=values["unique_name"]).exists():
        raise Conflict(f"An instrument with uniqueName {values['unique_name']} already exists")
    return _create(user, Instrument, values)


@transaction.atomic
def instrument_update(*, user, instrument: Instrument, changes: dict) -> Instrument:
    """pyscicat leaves pid out of the body; a pid sent along is ignored."""
    _require(principal_for(user).is_admin)
    changes = {k: v for k, v in changes.items() if k != "pid"}
    values = _clean(Instrument, changes, quantities="custom_metadata")
    _no_blank_required(values, ("name", "unique_name"), "Instrument")
    return _update(user, instrument, values)


@transaction.atomic
def instrument_delete(*, user, instrument: Instrument) -> dict:
    return _delete(user, instrument)


def technique_ensure(*, pid: str, name: str) -> Technique:
    """The vocabulary entry for a PaNET technique, created or renamed to `name`."""
    if not pid or not name:
        raise InvalidInput("a technique needs both pid and name")
    technique, _ = Technique.objects.update_or_create(pid=pid, defaults={"name": name})
    return technique


# --- Policies ------------------------------------------------------------------------------------


@transaction.atomic
def policy_create(*, user, data: dict) -> Policy:
    """Admins and POLICY_GROUPS; one policy per ownerGroup (a second one is a Conflict)."""
    _require(may_manage_policies(user))
    values = _clean(Policy, data, required=("owner_group",))
    return _create(user, Policy, values)


@transaction.atomic
def policy_update(*, user, policy: Policy, changes: dict) -> Policy:
    """A changed embargoPeriod moves the embargoes that follow the policy (policies.py)."""
    _require(may_manage_policies(user))
    values = _clean(Policy, changes)
    _no_blank_required(values, ("owner_group",), "Policy")
    before = policy.embargo_period
    _update(user, policy, values)
    subject = f"policy:{policy.owner_group}"
    embargo_period_changed(user=user, subject=subject, before=before, after=policy.embargo_period)
    return policy


@transaction.atomic
def policy_delete(*, user, policy: Policy) -> dict:
    return _delete(user, policy)


@transaction.atomic
def policies_update_where(*, user, owner_groups: list[str], changes: dict) -> int:
    """Applies `changes` to the policy of each owner group, making missing ones first.

    SciCat's POST /Policies/updateWhere. Returns the number of policies updated.
    """
    _require(may_manage_policies(user))
    groups = sorted({group.strip() for group in owner_groups if group.strip()})
    if not groups:
        raise InvalidInput("ownerGroupList must name at least one owner group")
    values = _clean(Policy, changes)
    if "owner_group" in values:
        raise InvalidInput("updateWhere cannot change the ownerGroup of policies")
    policies = policies_ensure(owner_groups=groups)
    for group in groups:
        before = policies[group].embargo_period
        _update(user, policies[group], values)
        after = policies[group].embargo_period
        embargo_period_changed(user=user, subject=f"policy:{group}", before=before, after=after)
    return len(groups)
