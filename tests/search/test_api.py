"""GET /api/search/ and /api/search/keys: the JSON envelope, access per persona (hits, totals,
facet counts, metadata keys), paging, sorting, bad input, sessions and tokens, engine failure.

Datasets are written by the catalogue services and indexed into a fresh tantivy index."""

from datetime import timedelta
from unittest.mock import Mock

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.access import SYSTEM
from catalogue.models import Dataset
from catalogue.services import dataset_create, dataset_delete, dataset_update
from catalogue.services.tokens import token_issue
from search.apis import _url_builder
from search.backends import get_backend
from search.indexing import index_datasets
from search.service import UNAVAILABLE
from tests.factories import dataset_data, make_user

pytestmark = pytest.mark.django_db
URL, KEYS = "/api/search/", "/api/search/keys"
KINDS = {  # dataset name -> its access
    "private": {},
    "group": {"access_groups": ["p-readers"]},
    "shared": {"shared_with": ["sam@example.org"]},
    "embargoed": {"embargo_end": (timezone.now() + timedelta(days=30)).isoformat()},
    "published": {"is_published": True, "owner_group": "p-other"},
}


@pytest.fixture
def shared_user(db):
    return make_user("sam", "other-group", email="Sam@Example.org")


@pytest.fixture
def stored(db):
    """One dataset per kind of access, each with its name as keyword and metadata key."""
    made = {}
    for kind, access in KINDS.items():
        data = dataset_data(
            dataset_name=f"Garnet {kind}",
            keywords=[kind],
            scientific_metadata={f"{kind}_temperature": {"value": 300, "unit": "K"}},
            **{"embargo_end": None, **access},
        )
        made[kind] = dataset_create(user=SYSTEM, data=data)
    return made


@pytest.fixture
def catalogue(stored, index_dir):
    """The same, indexed."""
    index_datasets(d.pid for d in stored.values())
    return stored


def client_for(request, persona: str) -> APIClient:
    client = APIClient()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def names(body: dict) -> set[str]:
    return {hit["title"].removeprefix("Garnet ") for hit in body["hits"]}


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", {"published"}),
        ("outsider", {"published"}),
        ("member", {"published", "group"}),
        ("shared_user", {"published", "shared"}),
        ("owner", {"published", "private", "group", "shared", "embargoed"}),
        ("admin", set(KINDS)),
    ],
)
def test_each_persona_gets_only_visible_hits_totals_and_facet_counts(
    request, catalogue, persona, expected
):
    response = client_for(request, persona).get(URL, {"q": "garnet", "facets": "keywords,type"})

    body = response.json()
    assert response.status_code == 200
    assert names(body) == expected
    assert body["total"] == len(expected)
    assert {f["value"] for f in body["facets"]["keywords"]} == expected
    assert body["facets"]["type"] == [{"value": "raw", "count": len(expected)}]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    assert {h["pid"] for h in body["hits"]} == set(
        Dataset.objects.visible_to(user).values_list("pid", flat=True)
    )


def test_the_envelope_has_hits_with_title_snippet_highlights_and_url(catalogue, client):
    long_text = "Garnet powder " + "grain " * 100
    dataset = dataset_create(
        user=SYSTEM,
        data=dataset_data(dataset_name="Long one", description=long_text, is_published=True),
    )
    index_datasets([dataset.pid])

    body = client.get(URL, {"q": "powder", "size": "5"}).json()

    assert body["total"] == 1 and body["page"] == 1 and body["size"] == 5
    assert body["error"] is None and body["facets"] == {} and body["query"] == "powder"
    (hit,) = body["hits"]
    assert hit["pid"] == dataset.pid and hit["title"] == "Long one"
    assert hit["score"] > 0
    assert hit["description"].startswith("Garnet powder grain") and hit["description"][-1] == "…"
    assert len(hit["description"]) <= 301
    assert "<mark>powder</mark>" in hit["highlights"]["description"]
    assert hit["url"].endswith(dataset.pid)
    assert client.get(hit["url"]).status_code == 200


def test_pages_follow_each_other_without_overlap(catalogue, admin):
    client = APIClient()
    client.force_login(admin)

    pages = [client.get(URL, {"q": "garnet", "size": 2, "page": n}).json() for n in (1, 2, 3)]

    pids = [hit["pid"] for page in pages for hit in page["hits"]]
    assert [len(page["hits"]) for page in pages] == [2, 2, 1]
    assert sorted(pids) == sorted(d.pid for d in catalogue.values())
    assert {page["total"] for page in pages} == {5}
    assert [(page["page"], page["size"]) for page in pages] == [(1, 2), (2, 2), (3, 2)]


def test_the_sort_parameter_orders_and_shows_in_the_canonical_query(catalogue, admin):
    client = APIClient()
    client.force_login(admin)

    body = client.get(URL, {"q": "TYPE:raw  garnet", "sort": "name"}).json()

    assert [hit["title"] for hit in body["hits"]] == sorted(f"Garnet {k}" for k in KINDS)
    assert body["query"] == "garnet type:raw sort:name"
    assert all(hit["score"] is None for hit in body["hits"])


def test_a_unit_aware_condition_finds_by_si_value(catalogue, client):
    warm = client.get(URL, {"q": "published_temperature>20 degC"}).json()
    cold = client.get(URL, {"q": "published_temperature>30 degC"}).json()

    assert names(warm) == {"published"}
    assert cold["hits"] == [] and cold["total"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": '"unclosed'}, "q"),
        ({"q": "size>lots"}, "size"),
        ({"q": "garnet", "facets": "colour"}, "facets"),
        ({"q": "garnet", "page": "0"}, "page"),
        ({"q": "garnet", "size": "5000"}, "size"),
        ({"q": "garnet", "sort": "colour"}, "sort"),
        ({"q": "temperature:[3 K TO 1 K]"}, "temperature"),
    ],
)
def test_a_query_that_cannot_be_read_is_a_400_naming_the_field(catalogue, client, params, field):
    response = client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_a_failing_engine_is_a_503_with_the_envelope(catalogue, client, monkeypatch):
    monkeypatch.setattr(get_backend(), "search", Mock(side_effect=OSError("index gone")))

    response = client.get(URL, {"q": "garnet", "facets": "type"})

    assert response.status_code == 503
    assert response.json() == {
        "total": 0,
        "page": 1,
        "size": 25,
        "hits": [],
        "facets": {"type": []},
        "query": "garnet",
        "error": UNAVAILABLE,
    }


def test_a_bearer_token_searches_as_its_user(catalogue, owner):
    raw, _ = token_issue(user=owner)
    client = APIClient()

    with_token = client.get(URL, {"q": "garnet"}, HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    as_parameter = client.get(URL, {"q": "garnet", "access_token": raw}).json()
    bad_token = client.get(URL, {"q": "garnet"}, HTTP_AUTHORIZATION="Bearer fc_nonsense").json()

    assert "private" in names(with_token) and "private" in names(as_parameter)
    assert names(bad_token) == {"published"}


def test_a_dataset_deleted_since_indexing_is_left_out(catalogue, admin):
    dataset_delete(user=SYSTEM, dataset=catalogue["private"])  # the index is not told yet
    client = APIClient()
    client.force_login(admin)

    body = client.get(URL, {"q": "garnet"}).json()

    assert "private" not in names(body)


def test_a_dataset_whose_access_was_withdrawn_since_indexing_is_left_out(catalogue, member):
    dataset_update(user=SYSTEM, dataset=catalogue["group"], changes={"access_groups": []})
    client = APIClient()
    client.force_login(member)

    body = client.get(URL, {"q": "garnet"}).json()

    assert names(body) == {"published"}


# --- /keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", {"published_temperature"}),
        ("member", {"published_temperature", "group_temperature"}),
        ("owner", {f"{kind}_temperature" for kind in KINDS}),
    ],
)
def test_metadata_keys_come_from_visible_datasets_only(request, stored, persona, expected):
    body = client_for(request, persona).get(KEYS).json()

    assert {k["key"] for k in body["keys"]} == expected
    assert body["scanned"] == len(expected)


def test_metadata_keys_match_a_prefix_of_any_dotted_part_with_kind_and_units(client):
    metadata = {
        "sample": {"temperature": {"value": 20, "unit": "degC"}, "name": "Si"},
        "temperature_set": [{"v": 4, "u": "K"}],
        "run": 42,
    }
    dataset_create(user=SYSTEM, data=dataset_data(is_published=True, scientific_metadata=metadata))

    body = client.get(KEYS, {"prefix": "TEMP"}).json()
    run = client.get(KEYS + "/", {"prefix": "ru"}).json()

    assert [(k["key"], k["kind"], k["units"]) for k in body["keys"]] == [
        ("temperature_set", "quantity", ["K"]),
        ("sample.temperature", "quantity", ["degC"]),
    ]
    assert run["keys"] == [{"key": "run", "kind": "number", "units": [], "count": 1}]


def test_the_keys_of_a_new_dataset_show_up_at_once(stored, client):
    assert client.get(KEYS, {"prefix": "pressure"}).json()["keys"] == []
    metadata = {"pressure": {"value": 1, "unit": "bar"}}
    dataset_create(user=SYSTEM, data=dataset_data(is_published=True, scientific_metadata=metadata))

    body = client.get(KEYS, {"prefix": "pressure"}).json()

    assert [k["key"] for k in body["keys"]] == ["pressure"]


def test_a_too_long_prefix_is_a_400(client):
    response = client.get(KEYS, {"prefix": "x" * 201})

    assert response.status_code == 400 and response.json()["field"] == "prefix"


@pytest.mark.parametrize("pid", ["fedcat/abc-1", "10.5072/a b?c#d%e/ä"])
def test_hit_urls_quote_pids_as_reverse_does(pid):
    assert _url_builder()(pid) == reverse("portal:dataset", kwargs={"pid": pid})
