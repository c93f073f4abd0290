"""Fixtures of the data-policy tests: datasets under embargo, mail sent by committed work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.services import dataset_update
from tests.factories import make_dataset


def days(n: float) -> timedelta:
    return timedelta(days=n)


def embargoed(ends_in: timedelta = timedelta(days=200), **fields):
    """A dataset of p-owner whose embargo ends `ends_in` from now (negative: ended)."""
    fields.setdefault("dataset_name", "Embargoed scan")
    return make_dataset(embargo_end=timezone.now() + ends_in, **fields)


def reload(dataset):
    dataset.refresh_from_db()
    return dataset


def publish(dataset):
    return dataset_update(user=SYSTEM, dataset=dataset, changes={"is_published": True})


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks of the block (tasks are sent eagerly, see `eager`)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def eager():
    """Celery tasks run in this process when sent (no worker needed)."""
    from portal.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
