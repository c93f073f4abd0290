"""The federated search over HTTP: the PaNOSC shape, the JSON envelope, the portal page."""

import json
import re

import pytest

from .fakes import dataset

pytestmark = pytest.mark.django_db


def get(client, path, **params):
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return client.get(path, params)


# --- the PaNOSC shape -----------------------------------------------------------------------------
def test_federated_datasets_is_a_plain_array_with_statuses_in_a_header(
    client, federation, fake, local_catalogue
):
    a = fake([dataset("a/1", "Lysozyme A", 0.9)])
    slow = fake([dataset("s/1", "Lysozyme S")], delay=2)
    federation.use(alpha=a, slow=(slow, {"timeout": 0.2}))

    response = get(client, "/panosc-api/federated/Datasets", filter={"query": "lysozyme"})

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list)
    assert {d["pid"] for d in body} == {"local/lysozyme-1", "local/lysozyme-2", "a/1"}
    assert all(
        {"pid", "title", "isPublic", "creationDate", "score", "provider"} <= set(d) for d in body
    )
    header = response["X-Federation-Status"]
    assert re.fullmatch(
        r"local;status=ok;ms=\d+;count=2, alpha;status=ok;ms=\d+;count=1, "
        r"slow;status=timeout;ms=\d+",
        header,
    ), header
    assert response["X-Federation-Total"] == "3"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "X-Federation-Status" in response["Access-Control-Expose-Headers"]


def test_an_error_status_is_a_quoted_string_in_the_header(client, federation, fake):
    bad = fake(mode="invalid-json")
    federation.use(bad=bad)

    response = client.get("/panosc-api/federated/datasets")

    assert 'bad;status="error: invalid JSON";ms=' in response["X-Federation-Status"]


def test_federated_counts_are_numbers(client, federation, fake, local_catalogue):
    federation.use(alpha=fake([dataset("a/1", "A")], count="8"))

    response = get(client, "/panosc-api/federated/Datasets/count", where={"title": {"like": "%"}})

    assert response.json() == {"count": 3 + 8}


def test_federated_documents_and_their_count(client, federation, fake):
    doc = {"pid": "10.5072/d", "title": "Doc", "type": "proposal", "isPublic": True}
    federation.use(alpha=fake([doc], count=1))

    listing = client.get("/panosc-api/federated/Documents")
    count = client.get("/panosc-api/federated/documents/count")

    assert [d["pid"] for d in listing.json()] == ["10.5072/d"]
    assert count.json() == {"count": 1}


def test_fields_apply_to_the_merged_records(client, federation, fake):
    federation.use(alpha=fake([dataset("a/1", "A")]))

    body = get(client, "/panosc-api/federated/Datasets", filter={"fields": ["pid"]}).json()

    assert body == [{"pid": "a/1", "score": 0.5}]


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "{not json"},
        {"filter": '{"limit": -3}'},
        {"filter": '{"skip": 5000}'},
        {"filter": "[" * 100_000},
        {"filter": '{"where": ' * 2000 + "1" + "}" * 2000},
    ],
)
def test_a_bad_filter_is_a_400_in_loopback_shape(client, federation, params):
    response = client.get("/panosc-api/federated/Datasets", params)

    assert response.status_code == 400
    assert response.json()["error"]["statusCode"] == 400


def test_writes_are_404_and_a_preflight_answers(client, federation):
    post = client.post("/panosc-api/federated/Datasets")
    preflight = client.options(
        "/panosc-api/federated/Datasets", HTTP_ACCESS_CONTROL_REQUEST_HEADERS="X-Thing"
    )

    assert post.status_code == 404 and post.json()["error"]["statusCode"] == 404
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Headers"] == "X-Thing"


def test_a_request_from_a_federation_is_answered_locally_only(
    client, federation, fake, local_catalogue
):
    a = fake([dataset("a/1", "A")])
    federation.use(alpha=a)

    response = client.get("/panosc-api/federated/Datasets", HTTP_X_FEDCAT_FEDERATION="1")

    assert {d["partner"] for d in response.json()} == {"local"}
    assert a.requests == []


def test_the_root_lists_partners_and_their_breakers(client, federation, fake):
    federation.use(alpha=fake())

    body = client.get("/panosc-api/federated").json()

    assert [p["name"] for p in body["partners"]] == ["local", "alpha"]
    assert body["partners"][1]["breaker"] == "closed"
    assert body["data_providers"] == [body["partners"][1]["url"]]


def test_the_plain_provider_routes_still_answer(client, federation, local_catalogue):
    assert client.get("/panosc-api/Datasets/count").json() == {"count": 3}


# --- the JSON envelope ----------------------------------------------------------------------------
def test_the_envelope_has_results_total_and_partner_statuses(
    client, federation, fake, local_catalogue
):
    federation.use(alpha=fake([dataset("a/1", "Lysozyme A", 0.9)]), bad=fake(mode="error500"))

    body = client.get("/api/federation/search", {"q": "lysozyme", "size": "2"}).json()

    assert body["total"] == 3 and body["totalExact"] is False
    assert (body["page"], body["size"], len(body["results"])) == (1, 2, 2)
    assert [(p["name"], p["status"]) for p in body["partners"]] == [
        ("local", "ok"),
        ("alpha", "ok"),
        ("bad", "error: HTTP 500"),
    ]


def test_the_envelope_refuses_an_unreadable_query(client, federation):
    response = client.get("/api/federation/search", {"q": "size>banana"})

    assert response.status_code == 400
    assert response.json()["field"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "50", "size": "25"}, "page"),
        ({"filter": "{x"}, "filter"),
    ],
)
def test_the_envelope_refuses_a_page_out_of_reach(client, federation, params, field):
    response = client.get("/api/federation/search", params)

    assert response.status_code == 400
    assert response.json()["field"] == field


def test_the_envelope_page_two(client, federation, fake, settings):
    federation.use(
        alpha=fake([dataset(f"a/{n}", f"A{n}", date=f"2020-01-0{n}") for n in range(1, 6)])
    )

    body = client.get("/api/federation/search", {"size": "2", "page": "2"}).json()

    assert [r["pid"] for r in body["results"]] == ["a/3", "a/2"]


# --- the portal -----------------------------------------------------------------------------------
def test_the_search_page_offers_partners_only_when_there_are_some(client, federation, fake):
    without = client.get("/", {"q": "x"})
    federation.use(alpha=fake())
    with_partners = client.get("/", {"q": "x"})

    assert b'name="partners"' not in without.content
    assert b'name="partners"' in with_partners.content


def test_search_partners_too_lists_merged_results_with_badges(
    client, federation, fake, local_catalogue
):
    a = fake([dataset("a/1", "Lysozyme from alpha", 0.9)])
    slow = fake([dataset("s/1", "Lysozyme slow")], delay=2)
    federation.use(alpha=(a, {"title": "Alpha Facility"}), slow=(slow, {"timeout": 0.2}))

    page = client.get("/", {"q": "lysozyme", "partners": "1"}).content.decode()

    assert "Lysozyme from alpha" in page and "Alpha Facility" in page
    assert 'href="/datasets/local/lysozyme-1"' in page
    assert 'class="ok"' in page and 'class="timeout"' in page and "no answer in time" in page
    assert 'name="partners" value="1" checked' in page


def test_partner_titles_are_escaped_on_the_page(client, federation, fake):
    evil = fake([dataset("evil/1", "<script>alert('x')</script>", 0.9) | {"url": "javascript:x"}])
    federation.use(evil=evil)

    page = client.get("/", {"partners": "1"}).content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "javascript:" not in page


def test_the_partners_page_links_keep_the_option(client, federation, fake):
    federation.use(alpha=fake([dataset(f"a/{n}", f"A{n}") for n in range(12)]))

    page = client.get("/", {"partners": "1", "size": "10"}).content.decode()

    assert "?size=10&amp;partners=1&amp;page=2" in page


def test_a_filter_partners_cannot_apply_says_so(client, federation, fake, local_catalogue):
    a = fake([dataset("a/1", "Lysozyme")])
    federation.use(alpha=a)

    page = client.get("/", {"q": "lysozyme type:raw", "partners": "1"}).content.decode()

    assert "Partners were not asked: they cannot apply type" in page
    assert a.requests == []
