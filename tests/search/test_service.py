"""The service with real users, datasets written by the catalogue services, the default
(tantivy) backend: what a user finds is what Dataset.objects.visible_to(user) holds."""

from datetime import timedelta
from unittest.mock import Mock

import pytest
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import dataset_create
from search.backends import get_backend, reset_backends
from search.backends.memory import MemoryBackend
from search.backends.tantivy_backend import TantivyBackend
from search.indexing import index_datasets
from search.query import FACETS, parse_query_string
from search.service import UNAVAILABLE, search
from tests.factories import dataset_data, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_user(db):
    return make_user("sam", "other-group", email="Sam@Example.org")


@pytest.fixture
def catalogue(index_dir):
    """One dataset of each kind of access, indexed."""
    now = timezone.now()
    kinds = {
        "private": {},
        "access group": {"access_groups": ["p-readers"]},
        "shared": {"shared_with": ["sam@example.org"]},
        "embargoed": {"embargo_end": (now + timedelta(days=30)).isoformat()},
        "embargo ended": {"embargo_end": (now - timedelta(days=1)).isoformat()},
        "published": {"is_published": True, "owner_group": "p-other"},
    }
    made = {}
    for kind, fields in kinds.items():
        fields.setdefault("embargo_end", None)
        made[kind] = dataset_create(user=SYSTEM, data=dataset_data(dataset_name=kind, **fields))
    index_datasets(d.pid for d in made.values())
    return made


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "member", "owner", "shared", "admin"])
def test_each_user_finds_exactly_the_datasets_visible_to_them(request, catalogue, persona):
    user = (
        None
        if persona == "anonymous"
        else request.getfixturevalue("shared_user" if persona == "shared" else persona)
    )

    result = search(user, parse_query_string("", facets=FACETS))

    visible = set(Dataset.objects.visible_to(user).values_list("pid", flat=True))
    assert {hit.pid for hit in result.hits} == visible
    assert result.total == len(visible)
    assert sum(count for _, count in result.facets["type"]) == len(visible)


def test_an_embargo_ends_without_reindexing(catalogue, outsider):
    embargoed = catalogue["embargoed"].pid
    later = timezone.now() + timedelta(days=31)

    assert embargoed not in [h.pid for h in search(outsider, parse_query_string("")).hits]
    assert embargoed in [h.pid for h in search(outsider, parse_query_string(""), now=later).hits]


def test_an_inactive_account_searches_as_anonymous(catalogue, owner):
    owner.is_active = False

    result = search(owner, parse_query_string(""))

    assert {h.pid for h in result.hits} == {
        catalogue["published"].pid,
        catalogue["embargo ended"].pid,
    }


def test_a_failing_engine_gives_an_empty_result_with_a_message(index_dir, monkeypatch, caplog):
    monkeypatch.setattr(get_backend(), "search", Mock(side_effect=OSError("index gone")))

    result = search(None, parse_query_string("quartz", facets=["type"]))

    assert (result.hits, result.total, result.facets) == ([], 0, {"type": []})
    assert result.error == UNAVAILABLE
    assert "search failed" in caplog.text


def test_the_backend_is_chosen_by_dotted_path(settings, index_dir, admin):
    settings.SEARCH_BACKEND = "search.backends.memory.MemoryBackend"
    dataset = dataset_create(user=SYSTEM, data=dataset_data(dataset_name="Garnet"))

    index_datasets([dataset.pid])

    assert isinstance(get_backend(), MemoryBackend)
    assert [h.pid for h in search(admin, parse_query_string("garnet")).hits] == [dataset.pid]


def test_the_default_is_tantivy_in_the_data_directory(settings):
    del settings.SEARCH_INDEX_DIR
    try:
        backend = get_backend()
        assert isinstance(backend, TantivyBackend)
        assert backend.root == settings.DATA_DIR / "search-index"
    finally:
        reset_backends()
