"""The techniques, instrument, proposal and sample a draft names: found, or created once.

``Links`` remembers what it found or made. Made for one batch of drafts (``Links.preload``),
it reads each kind of entity for the whole batch in one query, and only plans the new samples
(checked, not written): ``samples_insert`` then creates those the batch's saved datasets name,
together. Made empty, it asks the database per draft and creates at once, as a single save
does. Stable ids (uuid5) mean two runs, or two workers, agree on what they create; a Conflict
on create means another harvest made it meanwhile.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from catalogue.access import SYSTEM
from catalogue.errors import Conflict
from catalogue.models import Instrument, Proposal, Sample, Technique

from ..entities import (
    instrument_create,
    proposal_create,
    proposal_update,
    sample_clean,
    sample_create,
    samples_insert,
    technique_ensure,
)
from .sources import email_of

if TYPE_CHECKING:
    from catalogue.harvest.draft import DatasetDraft
    from catalogue.harvest.mapping import Placement

_NAMESPACE = uuid.UUID("0c6f6a55-3f7e-4b7e-8d7e-5b1f2f0a9c41")
_KINDS = {  # kind -> (model, key field)
    "instrument": (Instrument, "unique_name"),
    "proposal": (Proposal, "proposal_id"),
    "sample": (Sample, "sample_id"),
}


def links_ensure(draft: DatasetDraft, placement: Placement, notes: list[str]) -> dict:
    """The dataset's id lists for one draft; what could not be done is appended to `notes`."""
    return Links().ensure(draft, placement, notes)


class Links:
    def __init__(self, *, plan_samples: bool = False):
        self.found: dict[str, dict] = {kind: {} for kind in _KINDS}
        self.techniques: dict[str, str] = {}  # pid -> name, as stored
        self.plan_samples = plan_samples
        self.planned: dict[str, dict] = {}  # sample id -> its sample_clean values

    @classmethod
    def preload(cls, pairs: Iterable[tuple[DatasetDraft, Placement]]) -> Links:
        """Links for these (draft, placement) pairs, each kind read in one query; new samples
        are planned, for samples_insert."""
        links, wanted = cls(plan_samples=True), {kind: set() for kind in _KINDS}
        pids = set()
        for draft, placement in pairs:
            pids.update(t["pid"] for t in draft.techniques)
            if data := draft.to_instrument_data():
                wanted["instrument"].add(data["unique_name"])
            proposal_id = placement.proposal_id or draft.proposal_id
            if proposal_id:
                wanted["proposal"].add(proposal_id)
            if sample := _sample_identity(draft, placement, proposal_id):
                wanted["sample"].add(sample[0])
        for kind, keys in wanted.items():
            model, key = _KINDS[kind]
            found = links.found[kind]
            found.update(dict.fromkeys(keys))  # None: known to be missing
            for row in model.objects.filter(**{f"{key}__in": list(keys)}):
                found[getattr(row, key)] = row
        rows = Technique.objects.filter(pid__in=list(pids)).values_list("pid", "name")
        links.techniques.update(rows)
        return links

    def _get(self, kind: str, key: str):
        found = self.found[kind]
        if key not in found:
            model, field = _KINDS[kind]
            found[key] = model.objects.filter(**{field: key}).first()
        return found[key]

    def known(self, draft: DatasetDraft, placement: Placement) -> bool:
        """True when ensure() will find everything and write nothing (the usual case once a
        proposal's first datasets are in), so it needs no savepoint of its own."""
        if any(self.techniques.get(t["pid"]) != t["name"] for t in draft.techniques):
            return False
        data = draft.to_instrument_data()
        instrument = self.found["instrument"].get(data["unique_name"]) if data else None
        if data and instrument is None:
            return False
        proposal_id = placement.proposal_id or draft.proposal_id
        if proposal_id:
            proposal = self.found["proposal"].get(proposal_id)
            if proposal is None:
                return False
            if instrument and instrument.pid not in (proposal.instrument_ids or []):
                return False
        if self.plan_samples:  # a new sample is only planned
            return True
        sample = _sample_identity(draft, placement, proposal_id)
        return sample is None or self.found["sample"].get(sample[0]) is not None

    def ensure(self, draft: DatasetDraft, placement: Placement, notes: list[str]) -> dict:
        """The dataset's proposal, sample and instrument id lists, their entities made first."""
        for technique in draft.techniques:
            pid, name = technique["pid"], technique["name"]
            if self.techniques.get(pid) != name:
                technique_ensure(pid=pid, name=name)
                self.techniques[pid] = name
        links = {"proposal_ids": [], "sample_ids": [], "instrument_ids": []}
        instrument = self._instrument(draft)
        if instrument is not None:
            links["instrument_ids"] = [instrument.pid]
        proposal_id = placement.proposal_id or draft.proposal_id
        if proposal_id:
            if note := self._proposal(proposal_id, draft, placement, instrument):
                notes.append(note)
            links["proposal_ids"] = [proposal_id]
        sample_id = self._sample(draft, placement, proposal_id)
        if sample_id:
            links["sample_ids"] = [sample_id]
        return links

    def samples_insert(self, sample_ids: Iterable[str]) -> None:
        """Creates the planned samples among `sample_ids` (those the saved datasets name)."""
        rows = [self.planned.pop(i) for i in dict.fromkeys(sample_ids) if i in self.planned]
        if rows:
            made = samples_insert(user=SYSTEM, rows=rows)
            self.found["sample"].update((sample.sample_id, sample) for sample in made)

    def _instrument(self, draft: DatasetDraft) -> Instrument | None:
        data = draft.to_instrument_data()
        if not data:
            return None
        name = data["unique_name"]
        if found := self._get("instrument", name):
            return found
        data["pid"] = f"{settings.PID_PREFIX}/{uuid.uuid5(_NAMESPACE, name)}"
        try:
            made = instrument_create(user=SYSTEM, data=_jsonable(data))
        except Conflict:  # another harvest made it meanwhile
            made = Instrument.objects.get(unique_name=name)
        self.found["instrument"][name] = made
        return made

    def _proposal(self, proposal_id: str, draft, placement: Placement, instrument) -> str:
        """Links the proposal, creating it when missing; "" or why it could not be created."""
        found = self._get("proposal", proposal_id)
        if found is None:
            email = email_of(draft.contact_email, draft.owner_email, placement.contact_email)
            if not email:  # a proposal needs one; the dataset still names the proposal id
                return (
                    f"proposal {proposal_id} not created: no contact e-mail (see docs/harvest.md)"
                )
            data = {
                "proposal_id": proposal_id,
                "title": f"Proposal {proposal_id}",
                "email": email,
                "owner_group": placement.owner_group,
                "access_groups": list(placement.access_groups),
                "instrument_ids": [instrument.pid] if instrument else [],
                "metadata": {"source": "harvest"},
            }
            try:
                self.found["proposal"][proposal_id] = proposal_create(user=SYSTEM, data=data)
                return ""
            except Conflict:
                found = Proposal.objects.get(pk=proposal_id)
        if instrument and instrument.pid not in (found.instrument_ids or []):
            changes = {"instrument_ids": [*(found.instrument_ids or []), instrument.pid]}
            found = proposal_update(user=SYSTEM, proposal=found, changes=changes)
        self.found["proposal"][proposal_id] = found
        return ""

    def _sample(self, draft: DatasetDraft, placement: Placement, proposal_id: str) -> str:
        """A sample per (proposal or owner group, sample name); unnamed ones by description.
        Its id, "" when the draft names none; planned (the first plan wins) or created."""
        identity = _sample_identity(draft, placement, proposal_id)
        if identity is None:
            return ""
        sample_id, data = identity
        if sample_id in self.planned or self._get("sample", sample_id):
            return sample_id
        data = {
            **_jsonable(data),
            "sample_id": sample_id,
            "owner_group": placement.owner_group,
            "access_groups": list(placement.access_groups),
            "proposal_id": proposal_id,
            "owner": draft.owner[:255],
        }
        if self.plan_samples:
            self.planned[sample_id] = sample_clean(user=SYSTEM, data=data)
            return sample_id
        try:
            made = sample_create(user=SYSTEM, data=data)
        except Conflict:
            made = Sample.objects.get(pk=sample_id)
        self.found["sample"][sample_id] = made
        return sample_id


def _sample_identity(draft: DatasetDraft, placement: Placement, proposal_id: str):
    """(sample id, sample data) of the draft's sample, or None when it names none."""
    data = draft.to_sample_data()
    if not data:
        return None
    identity = draft.sample.get("name") or json.dumps(data, sort_keys=True, default=str)
    scope = proposal_id or placement.owner_group
    return str(uuid.uuid5(_NAMESPACE, f"{scope}\n{identity}")), data


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))
