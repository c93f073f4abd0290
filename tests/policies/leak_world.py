"""The catalogue the leak suite reads: one dataset per access state, with everything that can
reveal it (files on disk, a datablock, a thumbnail, a proposal and instrument, a DOI), six
personas with sessions and API tokens, and a search index. Built once per module through the
services, inside a transaction rolled back at the end (tests/policies/test_leaks.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.models import Dataset, Instrument
from catalogue.services import (
    attachment_add,
    datablock_add,
    dataset_create,
    dataset_update,
    origdatablock_add,
    proposal_create,
    published_data_create,
    published_data_register,
    published_data_withdraw,
)
from catalogue.services.tokens import token_issue
from portal.models import LicenceAcceptance
from search.indexing import index_datasets
from tests.factories import dataset_data, make_user

SHARED_EMAIL = "sam.shared@example.org"
PROPOSAL = "leak-prop"
INSTRUMENT = "leak-inst"
# A state name is also its marker: "Leakcheck <state> scan", keyword leakkw<state>, metadata key
# leakkey<state>, file leakfile-<state>.dat. No state name contains another.
STATES = ("private", "group", "shared", "embargoed", "ended", "published", "withdrawn")
PERSONAS = ("anonymous", "outsider", "shared_user", "member", "owner", "admin")


def title(state: str) -> str:
    return f"Leakcheck {state} scan"


def thumbnail(state: str) -> str:
    return "data:image/png;base64," + base64.b64encode(f"thumb-of-{state}".encode()).decode()


def _fields(state: str, now) -> dict:
    """How each state differs from a private dataset of p-owner."""
    return {
        "private": {},
        "group": {"access_groups": ["p-readers"]},
        "shared": {"shared_with": [SHARED_EMAIL.upper()]},
        "embargoed": {"embargo_end": now + timedelta(days=365)},
        "ended": {"embargo_end": now - timedelta(days=1)},
        "published": {"is_published": True},
        "withdrawn": {"is_published": True},
    }[state]


@dataclass
class World:
    users: dict[str, object]
    tokens: dict[str, str | None]
    datasets: dict[str, Dataset]
    files: dict[str, int]  # state -> the id of its one file
    dois: dict[str, str]  # state -> the DOI of the publication holding its dataset
    storage: Path
    by_uuid: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.by_uuid = {d.pid.split("/")[-1]: s for s, d in self.datasets.items()}

    def mentioned(self, text: str) -> set[str]:
        """The states whose dataset `text` names: by title, file, key, thumbnail or pid."""
        found = set()
        for state, dataset in self.datasets.items():
            markers = (title(state), f"leakfile-{state}", f"leakkey{state}", f"leakkw{state}",
                       thumbnail(state), dataset.pid.split("/")[-1])  # fmt: skip
            if any(marker in text for marker in markers):
                found.add(state)
        return found

    def states_of(self, pids) -> set[str]:
        return {self.by_uuid[p.split("/")[-1]] for p in pids if p.split("/")[-1] in self.by_uuid}


def _users() -> dict[str, object]:
    users = {
        "anonymous": AnonymousUser(),
        "outsider": make_user("leak-oscar", "other-group"),
        "shared_user": make_user("leak-sam", email=SHARED_EMAIL),
        "member": make_user("leak-mike", "p-readers"),
        "owner": make_user("leak-olivia", "p-owner"),
        "admin": make_user("leak-ada", "admin"),
    }
    view = Permission.objects.filter(codename="view_dataset")
    for persona, user in users.items():
        if persona != "anonymous":  # staff, so the admin's changelist is a read path too
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.user_permissions.add(*view)
    return users


def _dataset(state: str, folder: Path, now) -> Dataset:
    folder.mkdir(parents=True)
    (folder / f"leakfile-{state}.dat").write_bytes(f"bytes of {state}\n".encode())
    data = dataset_data(
        dataset_name=title(state),
        description=f"The {state} dataset of the leak suite.",
        keywords=[f"leakkw{state}"],
        scientific_metadata={f"leakkey{state}": {"value": 1.5, "unit": "m"}},
        source_folder=str(folder),
        proposal_ids=[PROPOSAL],
        instrument_ids=[INSTRUMENT],
        license="CC-BY-4.0",
        embargo_end=None,
    )
    data.update(_fields(state, now))
    return dataset_create(user=SYSTEM, data=data)


def _publish_each(datasets: dict[str, Dataset]) -> dict[str, str]:
    """A registered DOI over each dataset; registering publishes the dataset, so each is put
    back in its state afterwards ("a publication whose data were closed again"). The DOI of
    `withdrawn` is withdrawn: its data stay published, its landing page is a tombstone."""
    dois = {}
    for state, dataset in datasets.items():
        record = published_data_create(
            user=SYSTEM,
            data={"title": f"Publication of {state}", "dataset_pids": [dataset.pid],
                  "metadata": {"creators": [{"name": "Lovelace, Ada"}], "publisher": "fedcat"}},
        )  # fmt: skip
        published_data_register(user=SYSTEM, record=record)
        if state == "withdrawn":
            published_data_withdraw(user=SYSTEM, record=record, reason="leak suite")
        elif not _fields(state, timezone.now()).get("is_published"):
            dataset_update(user=SYSTEM, dataset=Dataset.objects.get(pk=dataset.pk),
                           changes={"is_published": False})  # fmt: skip
        dois[state] = record.doi
    return dois


def build_world(storage: Path) -> World:
    now = timezone.now()
    users = _users()
    tokens = {p: (token_issue(user=u)[0] if p != "anonymous" else None) for p, u in users.items()}
    Instrument.objects.create(pid=INSTRUMENT, unique_name="LEAKINST", name="Leak instrument")
    proposal_create(
        user=SYSTEM,
        data={"proposal_id": PROPOSAL, "email": "pi@example.org", "title": "Leak proposal",
              "owner_group": "p-owner", "is_published": True},
    )  # fmt: skip
    datasets, files = {}, {}
    for state in STATES:
        dataset = _dataset(state, storage / state, now)
        block = origdatablock_add(
            user=SYSTEM, dataset=dataset,
            files=[{"path": f"leakfile-{state}.dat", "size": 20}], chk_alg="sha256",
        )  # fmt: skip
        files[state] = block.files.get().pk
        datablock_add(
            user=SYSTEM, dataset=dataset, archive_id=f"arch-{state}", version="1",
            files=[{"path": f"leakfile-{state}.dat.tar", "size": 20}],
        )  # fmt: skip
        attachment_add(user=SYSTEM, dataset=dataset, thumbnail=thumbnail(state), caption=state)
        datasets[state] = dataset
    dois = _publish_each(datasets)
    datasets = {s: Dataset.objects.get(pk=d.pk) for s, d in datasets.items()}
    for persona, user in users.items():  # downloads then answer 200, not the licence form
        if persona != "anonymous":
            LicenceAcceptance.objects.bulk_create(
                LicenceAcceptance(user=user, dataset_pid=d.pid, licence="CC-BY-4.0")
                for d in datasets.values()
            )
    index_datasets([d.pid for d in datasets.values()])
    return World(users, tokens, datasets, files, dois, storage)
