"""selectors.count (a count without the ORM's aggregation) and HasTerm (the access rules' term
check written as SQL) answer exactly what the ORM's own count and Exists subquery answer."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import reduce
from operator import or_

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue import access, selectors
from catalogue.access import SYSTEM
from catalogue.models import Dataset, DatasetTerm, HasTerm, OrigDatablock, TermKind
from catalogue.services import dataset_update, origdatablock_add
from tests.factories import make_dataset, make_user


@pytest.fixture
def catalogue(db, settings):
    settings.ADMIN_GROUPS = ["admin"]
    settings.ACCESS_GROUPS_STATIC_VALUES = []
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_dataset(owner_group="p-a", access_groups=["p-readers"])
    make_dataset(owner_group="p-a", shared_with=["Guest@Example.org"])
    make_dataset(owner_group="p-b", access_groups=["p-readers", "p-other"])
    make_dataset(owner_group="p-b", is_published=True)
    ended = make_dataset(owner_group="p-c")
    dataset_update(
        user=SYSTEM, dataset=ended, changes={"embargo_end": timezone.now() - timedelta(days=1)}
    )
    make_dataset(owner_group="p-c", keywords=["x-ray", "tomo"])
    return {
        "member": make_user("member", "p-a"),
        "reader": make_user("reader", "p-readers"),
        "guest": make_user("guest", email="guest@example.org"),
        "outsider": make_user("outsider", "p-z"),
        "admin": make_user("admin", "admin"),
    }


QUERIES = {
    "all": lambda visible: visible,
    "one group": lambda visible: visible.filter(owner_group="p-a"),
    "no group": lambda visible: visible.filter(owner_group="nobody"),
    "empty in": lambda visible: visible.filter(pk__in=[]),
    "ordered": lambda visible: visible.filter(owner_group__in=["p-a", "p-b"]).order_by("-pk"),
    "a join (falls back)": lambda visible: visible.filter(terms__value="tomo"),
    "a slice (falls back)": lambda visible: visible.order_by("pk")[:2],
    "distinct (falls back)": lambda visible: visible.filter(terms__kind="keyword").distinct(),
    "a subquery": lambda visible: visible.filter(
        pk__in=DatasetTerm.objects.filter(value="p-readers").values("dataset_id")
    ),
}


@pytest.mark.parametrize("persona", ["member", "reader", "guest", "outsider", "admin"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_count_equals_the_orm_count_for_every_persona(catalogue, persona, name):
    visible = Dataset.objects.visible_to(catalogue[persona])
    queryset = QUERIES[name](visible)

    assert selectors.count(queryset) == queryset.count()


def test_count_sends_one_statement_and_none_for_an_empty_in(catalogue):
    with CaptureQueriesContext(connection) as counted:
        assert selectors.count(Dataset.objects.filter(owner_group="p-a")) == 2
    with CaptureQueriesContext(connection) as empty:
        assert selectors.count(Dataset.objects.filter(pk__in=[])) == 0

    assert [q["sql"].startswith("SELECT COUNT(*)") for q in counted] == [True]
    assert len(empty) == 0


def _orm_has_term(terms: dict, outer="pk"):
    either = reduce(or_, (Q(kind=kind, value__in=values) for kind, values in terms.items()))
    return Q(Exists(DatasetTerm.objects.filter(either, dataset=OuterRef(outer))))


@pytest.mark.parametrize(
    "terms",
    [
        {TermKind.ACCESS_GROUP: ["p-readers"]},
        {TermKind.ACCESS_GROUP: ["p-other", "p-readers", "p-none"]},
        {TermKind.SHARED_WITH: ["guest@example.org"]},
        {TermKind.ACCESS_GROUP: ["p-readers"], TermKind.SHARED_WITH: ["guest@example.org"]},
        {TermKind.ACCESS_GROUP: [], TermKind.SHARED_WITH: ["guest@example.org"]},
        {TermKind.KEYWORD: ["tomo"]},
        {TermKind.KEYWORD: []},
    ],
)
def test_has_term_selects_what_the_orm_exists_subquery_selects(catalogue, terms):
    every = set(Dataset.objects.values_list("pk", flat=True))
    ours = set(Dataset.objects.filter(HasTerm(terms)).values_list("pk", flat=True))
    orm = set(Dataset.objects.filter(_orm_has_term(terms)).values_list("pk", flat=True))
    negated = set(Dataset.objects.exclude(HasTerm(terms)).values_list("pk", flat=True))

    assert ours == orm
    assert negated == every - orm
    assert bool(ours) is any(terms.values())


def test_one_has_term_of_two_kinds_selects_the_union_of_each(catalogue):
    def selected(terms):
        return set(Dataset.objects.filter(HasTerm(terms)).values_list("pk", flat=True))

    groups = {TermKind.ACCESS_GROUP: ["p-readers"]}
    shared = {TermKind.SHARED_WITH: ["guest@example.org"]}

    assert selected(groups | shared) == selected(groups) | selected(shared)
    assert selected(groups) - selected(shared) and selected(shared) - selected(groups)


def test_access_rules_hold_inside_a_subquery_of_another_model(catalogue):
    """Nested as a subquery, Django renames the dataset table (U0 ...): HasTerm must follow."""
    for dataset in Dataset.objects.all():
        origdatablock_add(user=SYSTEM, dataset=dataset, files=[{"path": "a.h5", "size": 1}])
    reader = catalogue["reader"]

    visible = Dataset.objects.visible_to(reader)
    blocks = OrigDatablock.objects.filter(dataset__in=visible.values("pk"))
    readable = set(visible.values_list("pk", flat=True))
    expected = {block.pk for block in OrigDatablock.objects.all() if block.dataset_id in readable}

    assert {block.pk for block in blocks} == expected
    assert 0 < len(expected) < OrigDatablock.objects.count()


# --- count_remembered ----------------------------------------------------------------------


class Builds:
    """A queryset builder that counts how often it was called."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self):
        self.calls += 1
        return self.build()


@pytest.fixture
def forget(settings):
    selectors._COUNT_STATEMENTS.clear()
    yield
    selectors._COUNT_STATEMENTS.clear()


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_remembered_count_equals_the_orm_count_and_builds_once(catalogue, forget, name):
    for persona, user in catalogue.items():
        build = Builds(lambda user=user: QUERIES[name](Dataset.objects.visible_to(user)))
        expected = build.build().count()

        counts = [selectors.count_remembered((name, persona), build) for _ in range(3)]

        assert counts == [expected] * 3
        falls_back = "falls back" in name
        assert build.calls == (3 if falls_back else 1)


def test_remembered_counts_are_kept_apart_by_their_keys(catalogue, forget):
    def count_for(persona):
        user = catalogue[persona]
        key = ("visible", access.principal_for(user))
        return selectors.count_remembered(key, lambda: Dataset.objects.visible_to(user))

    counts = {persona: count_for(persona) for persona in ("admin", "outsider", "reader")}

    assert counts == {
        persona: Dataset.objects.visible_to(catalogue[persona]).count() for persona in counts
    }
    assert counts["admin"] > counts["reader"] > counts["outsider"]


def test_a_remembered_count_follows_the_clock_past_an_embargo_end(catalogue, forget):
    ends = timezone.now() + timedelta(seconds=1)
    make_dataset(owner_group="p-d", embargo_end=ends)

    def public_in_group():
        build = lambda: Dataset.objects.visible_to(None).filter(owner_group="p-d")  # noqa: E731
        return selectors.count_remembered(("anonymous", "p-d"), build)

    before = public_in_group()
    time.sleep(max(0.0, (ends - timezone.now()).total_seconds()) + 0.05)

    assert (before, public_in_group()) == (0, 1)


def test_changed_settings_forget_the_remembered_counts(catalogue, forget, settings):
    reader = catalogue["reader"]

    def count():
        return selectors.count_remembered("k", lambda: Dataset.objects.visible_to(reader))

    as_reader = count()
    settings.ADMIN_GROUPS = ["p-readers"]  # the reader is now an admin: sees all six

    assert (as_reader, count()) == (4, 6)
