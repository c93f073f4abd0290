"""Dataset creation tiers: every cell of the create table, under SciCat's own test configuration
(test/config/.env upstream) and under fedcat's defaults, checked through `can_create_dataset`
and enforced by `dataset_create`.

The expected grids are written by hand (docs/access-rules.md), not derived from the code.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from catalogue.access import can_create_dataset
from catalogue.errors import PermissionDenied
from catalogue.models import Dataset
from catalogue.services import dataset_create
from tests.factories import dataset_data, make_user

CONFIGS = {
    "scicat_test": {
        "ADMIN_GROUPS": ["admin", "adminingestor"],
        "CREATE_DATASET_GROUPS": ["group1", "group2", "group3"],
        "CREATE_DATASET_WITH_PID_GROUPS": ["group2"],
        "CREATE_DATASET_PRIVILEGED_GROUPS": ["datasetIngestor", "group3"],
    },
    "default": {
        "ADMIN_GROUPS": ["admin"],
        "CREATE_DATASET_GROUPS": ["#all"],
        "CREATE_DATASET_WITH_PID_GROUPS": [],
        "CREATE_DATASET_PRIVILEGED_GROUPS": [],
    },
}

# Personas: (groups, is_superuser). A persona's "own" group is its first group; the anonymous
# user and the superuser are tried with group1 and group4 as "own". "other" is group5, which
# nobody is in.
PERSONAS = {
    "anonymous": ((), False),
    "user4": (("group4",), False),  # signed in, in no create group of the SciCat config
    "user1": (("group1",), False),  # CREATE_DATASET_GROUPS
    "user2": (("group2",), False),  # CREATE_DATASET_GROUPS and ..._WITH_PID_GROUPS
    "user3": (("group3",), False),  # CREATE_DATASET_GROUPS and ..._PRIVILEGED_GROUPS
    "ingestor": (("datasetIngestor",), False),  # ..._PRIVILEGED_GROUPS only
    "admin": (("admin",), False),
    "adminingestor": (("adminingestor",), False),
    "superuser": (("group4",), True),
}
OTHER_GROUP = "group5"

# Columns: own group without pid, own group with pid, other group without pid, other with pid.
EXPECTED_GRIDS = {
    "scicat_test": """
persona        own  own_pid  other  other_pid
anonymous      .    .        .      .
user4          .    .        .      .
user1          Y    .        .      .
user2          Y    Y        .      .
user3          Y    Y        Y      Y
ingestor       Y    Y        Y      Y
admin          Y    Y        Y      Y
adminingestor  Y    Y        Y      Y
superuser      Y    Y        Y      Y
""",
    "default": """
persona        own  own_pid  other  other_pid
anonymous      .    .        .      .
user4          Y    .        .      .
user1          Y    .        .      .
user2          Y    .        .      .
user3          Y    .        .      .
ingestor       Y    .        .      .
admin          Y    Y        Y      Y
adminingestor  Y    .        .      .
superuser      Y    Y        Y      Y
""",
}
COLUMNS = {"own": (False, False), "own_pid": (False, True), "other": (True, False)}
COLUMNS["other_pid"] = (True, True)  # (other group?, with pid?)


def _parse(text: str) -> dict[tuple[str, str], bool]:
    header, *rows = text.strip().splitlines()
    columns = header.split()[1:]
    assert columns == list(COLUMNS)
    cells = {}
    for row in rows:
        persona, *marks = row.split()
        for column, mark in zip(columns, marks, strict=True):
            cells[persona, column] = mark == "Y"
    assert {persona for persona, _ in cells} == set(PERSONAS)
    return cells


EXPECTED = {config: _parse(grid) for config, grid in EXPECTED_GRIDS.items()}

CELLS = [
    pytest.param(config, persona, column, id=f"{config}-{persona}-{column}")
    for config in CONFIGS
    for persona in PERSONAS
    for column in COLUMNS
]


@pytest.fixture
def configure(settings):
    def apply(config: str) -> None:
        for name, value in CONFIGS[config].items():
            setattr(settings, name, value)
        settings.ACCESS_GROUPS_STATIC_VALUES = []
        settings.DATASET_PID_REGEX = ""
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    return apply


def _persona(name: str):
    groups, is_superuser = PERSONAS[name]
    if name == "anonymous":
        return AnonymousUser(), "group1"
    return make_user(f"u-{name}", *groups, is_superuser=is_superuser), groups[0]


@pytest.mark.parametrize(("config", "persona", "column"), CELLS)
def test_create_tier_cell(db, configure, config, persona, column):
    configure(config)
    user, own_group = _persona(persona)
    other, with_pid = COLUMNS[column]
    owner_group = OTHER_GROUP if other else own_group
    expected = EXPECTED[config][persona, column]

    decision = can_create_dataset(user, owner_group=owner_group, with_pid=with_pid)
    assert bool(decision) is expected
    assert bool(decision.reason) is not expected  # a refusal always says why

    pid = f"fedcat/{uuid.uuid4()}" if with_pid else None
    data = dataset_data(owner_group=owner_group, **({"pid": pid} if pid else {}))
    if expected:
        dataset = dataset_create(user=user, data=data)
        assert dataset.owner_group == owner_group
        if with_pid:
            assert dataset.pid == pid
    else:
        with pytest.raises(PermissionDenied):
            dataset_create(user=user, data=data)
        assert not Dataset.objects.filter(owner_group=owner_group).exists()


def test_a_create_tier_user_is_refused_a_pid_for_their_own_group_with_a_reason(db, configure):
    configure("scicat_test")
    user1 = make_user("user1", "group1")
    data = dataset_data(owner_group="group1", pid=f"fedcat/{uuid.uuid4()}")

    with pytest.raises(PermissionDenied, match="pid"):
        dataset_create(user=user1, data=data)

    assert dataset_create(user=user1, data=dataset_data(owner_group="group1")).pid
