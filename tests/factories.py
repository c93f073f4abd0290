"""Factories for tests: realistic records made through the services."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group, User

from catalogue.access import SYSTEM
from catalogue.services import dataset_create

_counter = itertools.count(1)


def make_user(username: str, *groups: str, email: str | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.org" if email is None else email,
        password="pw-" + username,
        **extra,
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def dataset_data(**overrides) -> dict:
    number = next(_counter)
    data = {
        "type": "raw",
        "owner_group": "p-owner",
        "owner": "Ada Lovelace",
        "contact_email": "ada@example.org",
        "source_folder": f"/data/p1234/run{number:04d}",
        "creation_time": "2026-01-15T10:00:00Z",
        "principal_investigators": ["Ada Lovelace"],
        "creation_location": "/PSI/SLS/TOMCAT",
        "description": f"Tomography scan {number}",
        "scientific_metadata": {"energy": {"value": 12.4, "unit": "keV"}},
    }
    data.update(overrides)
    return data


def make_dataset(user=SYSTEM, **overrides):
    return dataset_create(user=user, data=dataset_data(**overrides))
