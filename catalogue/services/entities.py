"""Writes of proposals, samples, instruments, techniques and attachments.

Permissions follow SciCat (docs/access-rules.md): proposals need ADMIN or PROPOSAL_GROUPS,
samples SAMPLE_GROUPS for the user's own groups or SAMPLE_PRIVILEGED_GROUPS for any, instruments
an admin; deletes need DELETE_GROUPS. Quantities in sample characteristics and instrument
metadata get valueSI/unitSI like scientific metadata.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict

from django.conf import settings
from django.db import IntegrityError, models, transaction

from catalogue.access import principal_for
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import Attachment, Dataset, Instrument, Proposal, Sample, Technique
from catalogue.units import annotate_quantities

from .common import actor_name, parse_timestamp, snapshot
from .history import history_record

TIME_FIELDS = ("start_time", "end_time")


def _field_names(model: type[models.Model]) -> set[str]:
    return {field.name for field in model._meta.concrete_fields} - {"created_at", "updated_at"}


def _clean(model, data: dict, *, required=(), quantities: str | None = None) -> dict:
    unknown = set(data) - _field_names(model)
    if unknown:
        raise InvalidInput(f"unknown {model.__name__} fields: {', '.join(sorted(unknown))}")
    values = {k: v for k, v in data.items() if k not in {"created_by", "updated_by", "unit_issues"}}
    missing = [name for name in required if values.get(name) in (None, "")]
    if missing:
        raise InvalidInput(f"missing required {model.__name__} fields: {', '.join(missing)}")
    for name in TIME_FIELDS:
        if name in values:
            values[name] = parse_timestamp(values[name], name)
    if quantities and quantities in values:
        if not isinstance(values[quantities] or {}, dict):
            raise InvalidInput(f"{quantities} must be an object")
        values[quantities], issues = annotate_quantities(values[quantities] or {})
        values["unit_issues"] = [asdict(issue) for issue in issues]
    return values


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
        raise Conflict(f"{model.__name__} {instance.pk} already exists") from exc
    history_record(user=user, instance=instance, operation="create", after=snapshot(instance))
    return instance


def _update(user, instance, values: dict):
    before = snapshot(instance, list(values))
    for name, value in values.items():
        setattr(instance, name, value)
    instance.updated_by = actor_name(user)
    instance.save()
    after = snapshot(instance, list(values))
    changed = [name for name in values if before.get(name) != after.get(name)]
    if changed:
        history_record(
            user=user,
            instance=instance,
            operation="update",
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return instance


def _delete(user, instance) -> dict:
    _require(principal_for(user).in_any(settings.DELETE_GROUPS) or principal_for(user).is_system)
    last_state = snapshot(instance)
    history_record(user=user, instance=instance, operation="delete", before=last_state)
    instance.delete()
    return last_state


# --- Proposals -----------------------------------------------------------------------------------


def _may_write_proposals(user) -> bool:
    principal = principal_for(user)
    return principal.is_admin or principal.in_any(settings.PROPOSAL_GROUPS)


@transaction.atomic
def proposal_create(*, user, data: dict) -> Proposal:
    _require(_may_write_proposals(user))
    values = _clean(Proposal, data, required=("proposal_id", "email", "title", "owner_group"))
    return _create(user, Proposal, values)


@transaction.atomic
def proposal_update(*, user, proposal: Proposal, changes: dict) -> Proposal:
    _require(_may_write_proposals(user))
    changes = {k: v for k, v in changes.items() if k != "proposal_id"}
    return _update(user, proposal, _clean(Proposal, changes))


@transaction.atomic
def proposal_delete(*, user, proposal: Proposal) -> dict:
    return _delete(user, proposal)


# --- Samples -------------------------------------------------------------------------------------


def _may_write_sample(user, owner_group: str) -> bool:
    principal = principal_for(user)
    if principal.is_admin or principal.in_any(settings.SAMPLE_PRIVILEGED_GROUPS):
        return True
    return principal.in_any(settings.SAMPLE_GROUPS) and owner_group in principal.groups


@transaction.atomic
def sample_create(*, user, data: dict) -> Sample:
    data = {"sample_id": str(uuid.uuid4()), **data}
    values = _clean(Sample, data, required=("owner_group",), quantities="sample_characteristics")
    _require(_may_write_sample(user, values["owner_group"]))
    return _create(user, Sample, values)


@transaction.atomic
def sample_update(*, user, sample: Sample, changes: dict) -> Sample:
    _require(_may_write_sample(user, sample.owner_group))
    changes = {k: v for k, v in changes.items() if k != "sample_id"}
    values = _clean(Sample, changes, quantities="sample_characteristics")
    if "owner_group" in values:
        _require(_may_write_sample(user, values["owner_group"]))
    return _update(user, sample, values)


@transaction.atomic
def sample_delete(*, user, sample: Sample) -> dict:
    return _delete(user, sample)


# --- Instruments and techniques ------------------------------------------------------------


@transaction.atomic
def instrument_create(*, user, data: dict) -> Instrument:
    """Admins only. pyscicat sends `pid` and no `uniqueName`: both are accepted."""
    _require(principal_for(user).is_admin)
    data = dict(data)
    data.setdefault("pid", f"{settings.PID_PREFIX}/{uuid.uuid4()}")
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
    _require(principal_for(user).is_admin)
    changes = {k: v for k, v in changes.items() if k != "pid"}
    return _update(user, instrument, _clean(Instrument, changes, quantities="custom_metadata"))


@transaction.atomic
def instrument_delete(*, user, instrument: Instrument) -> dict:
    return _delete(user, instrument)


def technique_ensure(*, pid: str, name: str) -> Technique:
    """The vocabulary entry for a PaNET technique, created or renamed to `name`."""
    if not pid or not name:
        raise InvalidInput("a technique needs both pid and name")
    technique, _ = Technique.objects.update_or_create(pid=pid, defaults={"name": name})
    return technique


# --- Attachments ---------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, user, dataset: Dataset, thumbnail: str, caption: str = "") -> Attachment:
    """A preview on a dataset; owner and access groups come from the dataset, as in SciCat."""
    from catalogue.access import Action, can

    _require(can(user, Action.UPDATE, dataset), "Unauthorized to update this dataset")
    if not isinstance(thumbnail, str) or not thumbnail.startswith("data:"):
        raise InvalidInput("thumbnail must be a data URI (data:image/png;base64,...)")
    return _create(
        user,
        Attachment,
        {
            "dataset": dataset,
            "thumbnail": thumbnail,
            "caption": caption or "",
            "owner_group": dataset.owner_group,
            "access_groups": list(dataset.access_groups or []),
            "instrument_group": dataset.instrument_group,
            "is_published": dataset.is_published,
        },
    )
