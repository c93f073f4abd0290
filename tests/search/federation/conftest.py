"""Fixtures for the federation: partners configured per test, fake partners that are closed
afterwards, a small indexed local catalogue."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from search.indexing import index_datasets
from tests.factories import make_dataset

from .fakes import FakePartner


@pytest.fixture
def federation(settings):
    """federation.use(name=fake_or_url, ...) configures those partners (type panosc, in that
    order); options per partner with federation.use(name=(fake, {"timeout": 0.2})). The cache
    (answers and breakers) starts empty."""
    settings.FEDERATION_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.FEDERATION_PARTNERS = ""
    settings.FEDERATION_CACHE_SECONDS = 30
    settings.FEDERATION_DEADLINE_SECONDS = 5.0
    settings.FEDERATION_BREAKER_FAILURES = 3
    settings.FEDERATION_BREAKER_SECONDS = 60
    cache.clear()

    class Federation:
        def use(self, **partners):
            entries = []
            for name, spec in partners.items():
                target, options = spec if isinstance(spec, tuple) else (spec, {})
                url = target if isinstance(target, str) else target.url
                entries.append({"name": name, "type": "panosc", "url": url, **options})
            settings.FEDERATION_PARTNERS = json.dumps(entries)

    yield Federation()
    cache.clear()


@pytest.fixture
def fake():
    """fake(items, **config) -> a FakePartner, closed after the test."""
    made = []

    def make(items=(), **config):
        partner = FakePartner(items, **config)
        made.append(partner)
        return partner

    yield make
    for partner in made:
        partner.close()


@pytest.fixture
def local_catalogue(index_dir):
    """Three public datasets and one private one, indexed."""
    made = [
        make_dataset(
            pid="local/lysozyme-1",
            dataset_name="Lysozyme diffraction local one",
            creation_time="2025-03-01T00:00:00Z",
            is_published=True,
        ),
        make_dataset(
            pid="local/lysozyme-2",
            dataset_name="Lysozyme lysozyme lysozyme local two",
            creation_time="2025-01-01T00:00:00Z",
            is_published=True,
        ),
        make_dataset(
            pid="local/other",
            dataset_name="Ferritin local",
            creation_time="2024-06-01T00:00:00Z",
            is_published=True,
        ),
        make_dataset(
            pid="local/secret",
            dataset_name="Lysozyme secret local",
            creation_time="2026-10-01T00:00:00Z",
            is_published=False,
        ),
    ]
    index_datasets(d.pid for d in made)
    return made
