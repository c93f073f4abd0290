"""The dataset permission matrix: every persona × every action × every dataset state.

EXPECTED_GRID is written by hand from SciCat's rules and fedcat's documented choices
(docs/access-rules.md); it is deliberately not derived from catalogue.access.PERMISSIONS, so a
change to the rules fails here until the docs and this grid change with it. Every cell is checked
twice: the single-record check `can()` and the queryset `Dataset.objects.permitted()`.

The datasets and users are made once for the module (inside a transaction rolled back at the end);
each test only reads them, so the thousand-odd cells run in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from catalogue.access import Action, can
from catalogue.models import Dataset
from tests.factories import make_dataset, make_user

SHARED_EMAIL = "Sam.Shared@Example.org"

# One letter per action, in this order; "." where the action is denied.
LETTERS = {
    "R": Action.READ,
    "D": Action.DOWNLOAD,
    "U": Action.UPDATE,
    "L": Action.UPDATE_LIFECYCLE,
    "P": Action.PUBLISH,
    "X": Action.DELETE,
    "E": Action.EXTEND_EMBARGO,
}

# States (columns; the datasets are built in `world` below):
#   private  owned by p-owner, no access groups, nobody shared, unpublished, no embargo end
#   other    the same, owned by q-other
#   access   accessGroups [p-readers]          two_ag  accessGroups [p-readers, p-readers-2]
#   shared   sharedWith the shared user's e-mail twice, in other letter cases
#   blank    sharedWith ["", "  "]             pub_grp accessGroups ["public"] (not special)
#   publ     isPublished                       publ_ag isPublished and accessGroups [p-readers]
#   embargo  embargo ends in a year            ended   embargo ended yesterday
# Every dataset has instrumentGroup p-instrument, which must grant nothing.
EXPECTED_GRID = """
persona    private other   access  two_ag  shared  blank   pub_grp publ    publ_ag embargo ended
anonymous  ....... ....... ....... ....... ....... ....... ....... RD..... RD..... ....... RD.....
inactive   ....... ....... ....... ....... ....... ....... ....... RD..... RD..... ....... RD.....
outsider   ....... ....... ....... ....... ....... ....... ....... RD..... RD..... ....... RD.....
no_email   ....... ....... ....... ....... ....... ....... ....... RD..... RD..... ....... RD.....
instrument ....... ....... ....... ....... ....... ....... ....... RD..... RD..... ....... RD.....
shared     ....... ....... ....... ....... RD..... ....... ....... RD..... RD..... ....... RD.....
member     ....... ....... RD..... RD..... ....... ....... ....... RD..... RD..... ....... RD.....
owner      RDULP.. ....... RDULP.. RDULP.. RDULP.. RDULP.. RDULP.. RDULP.. RDULP.. RDULP.. RDULP..
admin      RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E
superuser  RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E
admin_del  RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE RDULPXE
deleter    .....X. .....X. .....X. .....X. .....X. .....X. .....X. RD...X. RD...X. .....X. RD...X.
lifecycle  R..L... R..L... R..L... R..L... R..L... R..L... R..L... RD.L... RD.L... R..L... RD.L...
"""


def _parse_grid(text: str) -> dict[str, dict[str, dict[Action, bool]]]:
    header, *rows = text.strip().splitlines()
    states = header.split()[1:]
    grid = {}
    for row in rows:
        persona, *cells = row.split()
        assert len(cells) == len(states), f"row {persona} has {len(cells)} cells"
        grid[persona] = {
            state: {action: code[i] == letter for i, (letter, action) in enumerate(LETTERS.items())}
            for state, code in zip(states, cells, strict=True)
        }
    return grid


EXPECTED = _parse_grid(EXPECTED_GRID)
PERSONAS = list(EXPECTED)
STATES = list(EXPECTED[PERSONAS[0]])

# The group settings the grid assumes; set explicitly so the environment cannot change them.
MATRIX_SETTINGS = {
    "ADMIN_GROUPS": ["admin"],
    "DELETE_GROUPS": ["deleters"],
    "UPDATE_DATASET_LIFECYCLE_GROUPS": ["archivemanager"],
    "ACCESS_GROUPS_STATIC_VALUES": [],
    "EMBARGO_METADATA_PUBLIC": False,
}


# Hashing a real password costs a quarter of a second per user; tests need no real hashing.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _without_email(user: User) -> User:
    user.email = ""  # make_user fills in a default address for a blank one
    user.save(update_fields=["email"])
    return user


def _make_users() -> dict[str, object]:
    return {
        "anonymous": AnonymousUser(),
        # Would have every right if it were active, and its e-mail is shared on `shared`.
        "inactive": make_user(
            "ivan",
            "p-owner",
            "p-readers",
            "admin",
            "deleters",
            email=SHARED_EMAIL,
            is_active=False,
            is_superuser=True,
        ),
        "outsider": make_user("oscar", "other-group"),
        "no_email": _without_email(make_user("nora")),
        "instrument": make_user("ines", "p-instrument"),
        "shared": make_user("sam", email=SHARED_EMAIL),
        "member": make_user("mike", "p-readers", "p-readers-2"),
        "owner": make_user("olivia", "p-owner"),
        "admin": make_user("ada", "admin"),
        "superuser": make_user("root", is_superuser=True, is_staff=True),
        "admin_del": make_user("adele", "admin", "deleters"),
        "deleter": make_user("dora", "deleters"),
        "lifecycle": make_user("archie", "archivemanager"),
    }


def _make_datasets() -> dict[str, Dataset]:
    now = timezone.now()
    states = {
        "private": {},
        "other": {"owner_group": "q-other"},
        "access": {"access_groups": ["p-readers"]},
        "two_ag": {"access_groups": ["p-readers", "p-readers-2"]},
        "shared": {"shared_with": ["sam.shared@example.org", "SAM.SHARED@EXAMPLE.ORG "]},
        "blank": {"shared_with": ["", "  "]},
        "pub_grp": {"access_groups": ["public"]},
        "publ": {"is_published": True},
        "publ_ag": {"is_published": True, "access_groups": ["p-readers"]},
        "embargo": {"embargo_end": now + timedelta(days=365)},
        "ended": {"embargo_end": now - timedelta(days=1)},
    }
    assert list(states) == STATES, "the grid's columns and the datasets built here differ"
    base = {"instrument_group": "p-instrument", "embargo_end": None}
    # Through the service (as SYSTEM), so the DatasetTerm index is filled as in production.
    return {name: make_dataset(**{**base, **overrides}) for name, overrides in states.items()}


@dataclass
class World:
    users: dict[str, object]
    datasets: dict[str, Dataset]

    @property
    def ids(self) -> list[int]:
        return [dataset.pk for dataset in self.datasets.values()]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Users and datasets for the whole module, rolled back when the module is done.

    Each test's own transaction (the `db` fixture) nests inside this one as a savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            built = World(users=_make_users(), datasets=_make_datasets())
        assert set(built.users) == set(PERSONAS), "the grid's rows and the personas differ"
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def matrix_settings(settings):
    for name, value in MATRIX_SETTINGS.items():
        setattr(settings, name, value)


pytestmark = pytest.mark.django_db

# One test per persona and state; each checks all seven actions, and a failure shows the
# differing actions by name. (Separate tests per action cost seven times the fixture overhead.)
CELLS = [
    pytest.param(persona, state, id=f"{persona}-{state}")
    for persona in PERSONAS
    for state in STATES
]


@pytest.mark.parametrize(("persona", "state"), CELLS)
def test_permission_matrix_cell(world, persona, state):
    user, dataset = world.users[persona], world.datasets[state]
    expected = {str(action): allowed for action, allowed in EXPECTED[persona][state].items()}

    single = {str(action): can(user, action, dataset) for action in Action}
    listed = {
        str(action): Dataset.objects.permitted(user, action).filter(pk=dataset.pk).exists()
        for action in Action
    }

    assert single == expected
    assert listed == expected


# With EMBARGO_METADATA_PUBLIC (docs/access-rules.md, relation "embargoed"): an embargoed
# dataset's record is public, its files are not; nothing else changes. A dataset with no
# embargo end (private) is not under an embargo, and an ended embargo is public anyway.
EXPECTED_OPEN_GRID = """
persona    private embargo ended   publ    access
anonymous  ....... R...... RD..... RD..... .......
outsider   ....... R...... RD..... RD..... .......
shared     ....... R...... RD..... RD..... .......
member     ....... R...... RD..... RD..... RD.....
owner      RDULP.. RDULP.. RDULP.. RDULP.. RDULP..
admin      RDULP.E RDULP.E RDULP.E RDULP.E RDULP.E
deleter    .....X. R....X. RD...X. RD...X. .....X.
lifecycle  R..L... R..L... RD.L... RD.L... R..L...
"""
EXPECTED_OPEN = _parse_grid(EXPECTED_OPEN_GRID)
OPEN_CELLS = [
    pytest.param(persona, state, id=f"open-{persona}-{state}")
    for persona, row in EXPECTED_OPEN.items()
    for state in row
]


@pytest.mark.parametrize(("persona", "state"), OPEN_CELLS)
def test_permission_matrix_cell_with_public_embargoed_metadata(world, settings, persona, state):
    settings.EMBARGO_METADATA_PUBLIC = True
    user, dataset = world.users[persona], world.datasets[state]
    expected = {str(action): allowed for action, allowed in EXPECTED_OPEN[persona][state].items()}

    single = {str(action): can(user, action, dataset) for action in Action}
    listed = {
        str(action): Dataset.objects.permitted(user, action).filter(pk=dataset.pk).exists()
        for action in Action
    }

    assert single == expected
    assert listed == expected


def test_grid_letters_cover_every_action():
    # Guards the parser: a grid that dropped an action would silently test nothing for it.
    assert set(LETTERS.values()) == set(Action)


def _readable(persona: str) -> set[str]:
    return {state for state, row in EXPECTED[persona].items() if row[Action.READ]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_to_selects_the_same_datasets_as_permitted_read(world, persona):
    user = world.users[persona]
    ours = Dataset.objects.filter(pk__in=world.ids)
    visible = set(ours.visible_to(user).values_list("pk", flat=True))
    permitted = set(ours.permitted(user, Action.READ).values_list("pk", flat=True))

    assert visible == permitted
    assert visible == {world.datasets[state].pk for state in _readable(persona)}


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_count_counts_each_dataset_once(world, persona):
    # The member is in both access groups of two_ag and the shared user's address is listed
    # twice on `shared`: a join instead of EXISTS would count those datasets twice.
    user = world.users[persona]
    visible = Dataset.objects.filter(pk__in=world.ids).visible_to(user)

    assert visible.count() == len(_readable(persona))
    assert len(list(visible)) == len(_readable(persona))


@pytest.mark.parametrize("action", list(Action))
def test_permitted_count_counts_each_dataset_once_for_every_action(world, action):
    ours = Dataset.objects.filter(pk__in=world.ids)
    counts = {persona: ours.permitted(world.users[persona], action).count() for persona in PERSONAS}

    assert counts == {
        persona: sum(EXPECTED[persona][state][action] for state in STATES) for persona in PERSONAS
    }
