"""catalogue.access beyond the static matrix: how groups are computed, and that changes to a
dataset (or the clock) are honoured at once by both the single-record check and the queryset.

The persona × action × state matrix is in test_access_matrix.py, creation in test_access_create.py.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from catalogue.access import ANONYMOUS, SYSTEM, Action, can, principal_for
from catalogue.errors import PermissionDenied
from catalogue.models import Dataset
from catalogue.services import dataset_delete, dataset_update
from tests.factories import make_dataset, make_user


@pytest.fixture(autouse=True)
def group_settings(settings):
    settings.ADMIN_GROUPS = ["admin"]
    settings.DELETE_GROUPS = ["deleters"]
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = []
    settings.ACCESS_GROUPS_STATIC_VALUES = []
    # Real password hashing costs a quarter of a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def allowed(user, action: Action, dataset: Dataset) -> bool:
    """`can` and the queryset, which must agree; fails loudly when they do not."""
    single = can(user, action, dataset)
    listed = Dataset.objects.permitted(user, action).filter(pk=dataset.pk).exists()
    assert single is listed, f"can() says {single}, permitted() says {listed}"
    return single


def update(dataset: Dataset, **changes) -> Dataset:
    return dataset_update(user=SYSTEM, dataset=dataset, changes=changes)


def readable(user, dataset: Dataset) -> bool:
    listed = Dataset.objects.visible_to(user).filter(pk=dataset.pk).exists()
    assert allowed(user, Action.READ, dataset) is listed
    return listed


# --- Who a user is --------------------------------------------------------------------------------


def test_groups_are_the_django_groups_plus_the_static_values(db, settings):
    settings.ACCESS_GROUPS_STATIC_VALUES = ["site-users", "ess"]
    user = make_user("gina", "p-owner", "p-readers", email="  Gina.G@Example.ORG ")

    principal = principal_for(user)

    assert principal.groups == {"p-owner", "p-readers", "site-users", "ess"}
    assert principal.email == "gina.g@example.org"
    assert principal.is_authenticated


def test_a_django_superuser_is_an_admin_without_being_in_an_admin_group(db):
    root = make_user("root", is_superuser=True)

    assert principal_for(root).is_admin
    assert not principal_for(make_user("plain")).is_admin


@pytest.mark.parametrize("nobody", [None, AnonymousUser()], ids=["none", "anonymous_user"])
def test_no_user_is_the_anonymous_principal(nobody):
    assert principal_for(nobody) is ANONYMOUS


def test_an_inactive_user_is_anonymous_whatever_their_groups(db, settings):
    settings.ACCESS_GROUPS_STATIC_VALUES = ["p-owner"]
    user = make_user("ivan", "admin", "p-owner", is_active=False, is_superuser=True)

    assert principal_for(user) is ANONYMOUS


# --- Static groups, sharedWith and e-mail --------------------------------------------------------


@pytest.mark.parametrize(
    ("static_group", "action"),
    [("p-readers", Action.READ), ("p-readers", Action.DOWNLOAD), ("p-owner", Action.UPDATE)],
)
def test_a_static_group_value_gives_every_signed_in_user_that_group(
    db, settings, static_group, action
):
    dataset = make_dataset(access_groups=["p-readers"], embargo_end=None)
    settings.ACCESS_GROUPS_STATIC_VALUES = [static_group]

    assert allowed(make_user("gina"), action, dataset)
    assert not allowed(AnonymousUser(), action, dataset)


def test_without_a_static_value_the_same_user_is_refused(db):
    # The counterpart of the test above: it is the setting, not something else, that grants.
    dataset = make_dataset(access_groups=["p-readers"], embargo_end=None)

    assert not allowed(make_user("gina"), Action.READ, dataset)


def test_a_user_without_email_never_matches_blank_shared_with_entries(db):
    dataset = make_dataset(shared_with=["", " ", "sam@example.org"], embargo_end=None)
    user = make_user("nora")
    user.email = ""  # make_user fills in a default address for a blank one
    user.save(update_fields=["email"])

    assert not readable(user, dataset)
    assert not allowed(user, Action.DOWNLOAD, dataset)


def test_shared_with_is_compared_without_case_or_surrounding_spaces(db):
    dataset = make_dataset(shared_with=["  SAM@Example.Org "], embargo_end=None)

    assert readable(make_user("sam", email="sam@EXAMPLE.org"), dataset)
    assert not readable(make_user("samuel", email="samuel@example.org"), dataset)


def test_access_group_names_with_stray_spaces_are_judged_alike_by_can_and_queryset(db):
    # The index strips array values; can() used to compare them raw and so disagreed with lists.
    dataset = make_dataset(access_groups=[" p-readers "], embargo_end=None)

    assert readable(make_user("mike", "p-readers"), dataset)


def test_access_group_names_are_case_sensitive(db):
    # Group names are identifiers (as in SciCat); only e-mail addresses ignore case.
    dataset = make_dataset(access_groups=["P-Readers"], embargo_end=None)

    assert not readable(make_user("mike", "p-readers"), dataset)


# --- Changes are honoured at once -----------------------------------------------------------------


def test_adding_and_removing_an_access_group_through_the_service_takes_effect_at_once(db):
    outsider = make_user("oscar", "other-group")
    dataset = make_dataset(embargo_end=None)
    assert not readable(outsider, dataset)

    dataset = dataset_update(
        user=SYSTEM, dataset=dataset, changes={"access_groups": ["other-group"]}
    )
    assert readable(outsider, dataset)
    assert allowed(outsider, Action.DOWNLOAD, dataset)
    assert not allowed(outsider, Action.UPDATE, dataset)

    dataset = update(dataset, access_groups=[])
    assert not readable(outsider, dataset)


def test_sharing_and_unsharing_through_the_service_takes_effect_at_once(db):
    sam = make_user("sam", email="sam@example.org")
    dataset = make_dataset(embargo_end=None)

    dataset = dataset_update(
        user=SYSTEM, dataset=dataset, changes={"shared_with": ["SAM@example.org"]}
    )
    assert readable(sam, dataset)

    dataset = update(dataset, shared_with=[])
    assert not readable(sam, dataset)


def test_changing_the_owner_group_moves_the_owner_rights(db):
    olivia, oscar = make_user("olivia", "p-owner"), make_user("oscar", "other-group")
    dataset = make_dataset(embargo_end=None)

    dataset = dataset_update(user=olivia, dataset=dataset, changes={"owner_group": "other-group"})

    assert allowed(oscar, Action.UPDATE, dataset)
    assert not allowed(olivia, Action.UPDATE, dataset)
    assert not readable(olivia, dataset)


def test_publishing_through_the_service_makes_the_dataset_public_at_once(db):
    dataset = make_dataset(embargo_end=None)

    dataset = update(dataset, is_published=True)

    assert readable(AnonymousUser(), dataset)
    assert allowed(AnonymousUser(), Action.DOWNLOAD, dataset)


def test_an_embargo_ends_by_itself_at_query_time(db):
    # The querysets compare with the database's clock, so the clock really has to move.
    ends = timezone.now() + timedelta(seconds=1)
    dataset = make_dataset(embargo_end=ends)
    assert not readable(AnonymousUser(), dataset)

    # No write happens: only time passes the embargo end.
    time.sleep(max(0.0, (ends - timezone.now()).total_seconds()) + 0.05)

    assert readable(AnonymousUser(), dataset)
    assert allowed(AnonymousUser(), Action.DOWNLOAD, dataset)
    assert not allowed(AnonymousUser(), Action.UPDATE, dataset)


@pytest.mark.parametrize("pinned", [{"q-own"}, {"q-other"}, {"q-own", "q-other"}, {"q-none"}])
@pytest.mark.parametrize("persona", ["owner", "reader", "guest", "outsider", "anonymous"])
def test_telling_the_rules_the_owner_groups_keeps_the_same_datasets_of_those_groups(
    db, persona, pinned
):
    make_dataset(owner_group="q-own")
    make_dataset(owner_group="q-own", access_groups=["q-readers"])
    make_dataset(owner_group="q-other", access_groups=["q-readers", "q-own"])
    make_dataset(owner_group="q-other", shared_with=["guest@example.org"])
    make_dataset(owner_group="q-other", is_published=True)
    make_dataset(owner_group="q-other")
    users = {
        "owner": make_user("owner", "q-own"),
        "reader": make_user("reader", "q-readers"),
        "guest": make_user("guest", email="guest@example.org"),
        "outsider": make_user("outsider", "q-none"),
        "anonymous": AnonymousUser(),
    }
    user, groups = users[persona], frozenset(pinned)

    told = Dataset.objects.visible_to(user, owner_groups=groups).filter(owner_group__in=groups)
    untold = Dataset.objects.visible_to(user).filter(owner_group__in=groups)

    assert set(told) == set(untold)


# --- Internal work and deletion -------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_the_system_principal_may_do_everything(db, action):
    dataset = make_dataset(owner_group="q-other", embargo_end=None)

    assert allowed(SYSTEM, action, dataset)


def test_dataset_delete_refuses_an_admin_outside_the_delete_groups(db):
    dataset = make_dataset(embargo_end=None)

    with pytest.raises(PermissionDenied):
        dataset_delete(user=make_user("ada", "admin"), dataset=dataset)
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_dataset_delete_lets_a_delete_group_member_delete_what_they_cannot_read(db):
    # As upstream: DELETE_GROUPS is a global right and does not need read access.
    dataset = make_dataset(embargo_end=None)
    dora = make_user("dora", "deleters")
    assert not readable(dora, dataset)

    dataset_delete(user=dora, dataset=dataset)

    assert not Dataset.objects.filter(pk=dataset.pk).exists()
