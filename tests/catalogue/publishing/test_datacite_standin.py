"""The DataCite stand-in answers the rows of pids.md §7 as DataCite (lupo) does, and fedcat's
DataCite client sorts its answers into success, retry and refusal."""

from __future__ import annotations

import base64

import httpx
import pytest

from catalogue.formats import datacite as datacite_format
from catalogue.formats.record import publication_record
from catalogue.publishing.doi import DataCiteClient, DoiRejected, DoiUnavailable
from tests.catalogue.publishing.conftest import PASSWORD, PREFIX, REPOSITORY, publish
from tests.support.datacite_server import Account, DataCiteStandIn

AUTH = (REPOSITORY, PASSWORD)
JSON_API = {"Content-Type": "application/vnd.api+json"}
JSONAPI_REFUSAL = "You need to provide a payload following the JSONAPI spec"


@pytest.fixture
def server():
    accounts = {
        REPOSITORY: Account(PASSWORD, {PREFIX}),
        "OTHER.REPO": Account("other", {"10.80001"}),
    }
    with DataCiteStandIn(accounts) as running:
        yield running


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, auth=AUTH, headers=JSON_API, timeout=5) as client:
        yield client


def body(**attributes) -> dict:
    return {"data": {"type": "dois", "attributes": attributes}}


@pytest.fixture
def valid_xml(db):
    record = publish(doi=f"{PREFIX}/xml-1", register=False)
    return datacite_format.to_xml(publication_record(record, base_url="http://localhost:8000"))


def xml_for(valid_xml: bytes, doi: str) -> str:
    return base64.b64encode(valid_xml.replace(f"{PREFIX}/xml-1".encode(), doi.encode())).decode()


def errors(response) -> list[dict]:
    return response.json()["errors"]


def test_post_with_a_doi_creates_a_lower_cased_draft(http):
    response = http.post("/dois", json=body(doi=f"{PREFIX}/ABC-1"))

    assert response.status_code == 201
    assert response.headers["Location"] == f"/dois/{PREFIX}/abc-1"
    assert response.json()["data"]["attributes"]["state"] == "draft"
    assert response.json()["data"]["id"] == f"{PREFIX}/abc-1"


def test_post_with_a_prefix_generates_a_suffix_and_needs_one_of_them(http):
    made = http.post("/dois", json=body(prefix=PREFIX))
    assert made.status_code == 201
    assert made.json()["data"]["attributes"]["suffix"].count("-") == 1

    refused = http.post("/dois", json=body())
    assert refused.status_code == 422
    assert errors(refused)[0]["title"] == "Parameter prefix is required"


def test_a_body_without_data_is_400(http):
    response = http.put(f"/dois/{PREFIX}/x", json={"doi": "x"})
    assert response.status_code == 400
    assert errors(response)[0]["title"] == JSONAPI_REFUSAL


def test_missing_or_wrong_credentials_are_401(server):
    for auth in (None, (REPOSITORY, "nope")):
        response = httpx.post(f"{server.url}/dois", json=body(doi=f"{PREFIX}/x"), auth=auth)
        assert response.status_code == 401
        assert response.json() == {"errors": [{"status": "401", "title": "Bad credentials."}]}


def test_another_repositorys_prefix_or_doi_is_403(http, server):
    assert http.post("/dois", json=body(doi="10.80001/x")).status_code == 403
    theirs = httpx.Client(base_url=server.url, auth=("OTHER.REPO", "other"))
    assert theirs.post("/dois", json=body(doi="10.80001/x")).status_code == 201
    response = http.put("/dois/10.80001/x", json=body(url="http://localhost/x"))
    assert response.status_code == 403
    assert errors(response)[0]["title"] == "You are not authorized to access this resource."


def test_a_duplicate_post_and_a_bad_doi_are_422(http):
    assert http.post("/dois", json=body(doi=f"{PREFIX}/dup")).status_code == 201
    duplicate = http.post("/dois", json=body(doi=f"{PREFIX}/dup"))
    assert duplicate.status_code == 422
    assert errors(duplicate) == [
        {"source": "doi", "title": "This DOI has already been taken", "uid": f"{PREFIX}/dup"}
    ]
    invalid = http.put(f"/dois/{PREFIX}/a+b", json=body())
    assert (invalid.status_code, errors(invalid)[0]["title"]) == (422, "Is invalid")


def test_publish_needs_a_url_in_the_repository_domains(http, valid_xml):
    doi = f"{PREFIX}/url-1"
    xml = xml_for(valid_xml, doi)
    no_url = http.put(f"/dois/{doi}", json=body(event="publish", xml=xml))
    assert (no_url.status_code, errors(no_url)[0]["source"]) == (422, "url")
    assert errors(no_url)[0]["title"] == "Can't be blank"
    foreign = http.put(f"/dois/{doi}", json=body(event="publish", xml=xml, url="https://x.org/"))
    assert foreign.status_code == 422
    assert errors(foreign)[0]["title"].endswith(f"repository {REPOSITORY} domain settings.")


def test_invalid_metadata_is_422_with_the_xsd_source_and_the_draft_stays(http, valid_xml):
    doi = f"{PREFIX}/bad-1"
    assert http.put(f"/dois/{doi}", json=body(titles=[{"title": "draft"}])).status_code == 201
    broken = base64.b64decode(xml_for(valid_xml, doi))
    start, end = broken.index(b"<creators>"), broken.index(b"</creators>") + 11
    xml = base64.b64encode(broken[:start] + b"<creators/>" + broken[end:]).decode()

    response = http.put(
        f"/dois/{doi}", json=body(event="publish", xml=xml, url="http://localhost/x")
    )

    assert response.status_code == 422
    entry = errors(response)[0]
    assert (entry["source"], entry["uid"]) == ("creators", doi)
    assert entry["title"].startswith(f"DOI {doi}: Missing child element(s).")
    assert http.get(f"/dois/{doi}").json()["data"]["attributes"]["state"] == "draft"


def test_put_upserts_and_events_move_the_state(http, valid_xml):
    doi = f"{PREFIX}/life-1"
    xml, url = xml_for(valid_xml, doi), "http://localhost:8000/doi/x"
    created = http.put(f"/dois/{doi}", json=body(event="register", xml=xml, url=url))
    assert (created.status_code, created.json()["data"]["attributes"]["state"]) == (
        201,
        "registered",
    )
    for event, state in [
        ("publish", "findable"),
        ("register", "findable"),  # inapplicable: ignored, 200
        ("hide", "registered"),
        ("show", "findable"),
    ]:
        answer = http.put(f"/dois/{doi}", json=body(event=event))
        assert (answer.status_code, answer.json()["data"]["attributes"]["state"]) == (200, state)


def test_get_hides_drafts_and_registered_dois_from_anonymous_readers(http, server, valid_xml):
    doi = f"{PREFIX}/get-1"
    http.put(f"/dois/{doi}", json=body())
    anonymous = httpx.get(f"{server.url}/dois/{doi}")
    assert anonymous.status_code == 404
    assert errors(anonymous)[0]["title"] == "The resource you are looking for doesn't exist."
    assert http.get(f"/dois/{doi}").status_code == 200
    assert http.get(f"/dois/{PREFIX}/unknown").status_code == 404


def test_only_drafts_can_be_deleted(http, valid_xml):
    http.put(f"/dois/{PREFIX}/draft", json=body())
    deleted = http.delete(f"/dois/{PREFIX}/draft")
    assert (deleted.status_code, deleted.content) == (204, b"")

    doi = f"{PREFIX}/kept"
    xml = xml_for(valid_xml, doi)
    http.put(f"/dois/{doi}", json=body(event="publish", xml=xml, url="http://localhost/x"))
    refused = http.delete(f"/dois/{doi}")
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "HEAD, GET, POST, PATCH, PUT, OPTIONS"
    assert errors(refused)[0]["title"] == "Method not allowed"


# --- fedcat's client: what it makes of each answer -------------------------------------------


@pytest.fixture
def client(server):
    made = DataCiteClient(server.url, REPOSITORY, PASSWORD, timeout=0.5)
    yield made
    made.close()


def test_the_client_answers_the_state_of_a_successful_put(client):
    attributes = client.put_doi(f"{PREFIX}/c-1", {"doi": f"{PREFIX}/c-1"})
    assert (attributes["doi"], attributes["state"]) == (f"{PREFIX}/c-1", "draft")
    assert client.get_doi(f"{PREFIX}/nothing") is None


@pytest.mark.parametrize(
    ("fault", "options", "status"),
    [
        ("status", {"status": 429, "retry_after": 30}, 429),
        ("status", {"status": 500}, 500),
        ("status", {"status": 502}, 502),
        ("status", {"status": 503}, 503),
        ("drop", {}, None),
        ("lost", {}, None),
        ("hang", {"seconds": 5, "apply": False}, None),
    ],
)
def test_the_client_calls_network_errors_429_and_5xx_temporary(
    client, server, fault, options, status
):
    server.inject(fault, **options)
    with pytest.raises(DoiUnavailable) as caught:
        client.put_doi(f"{PREFIX}/t-1", {})
    assert caught.value.status == status
    if status == 429:
        assert caught.value.retry_after == 30


def test_the_client_calls_other_4xx_refusals_with_datacites_errors(client, server):
    wrong = DataCiteClient(server.url, REPOSITORY, "wrong", timeout=1)
    with pytest.raises(DoiRejected) as caught:
        wrong.put_doi(f"{PREFIX}/r-1", {})
    assert caught.value.status == 401
    assert caught.value.errors == [{"status": "401", "source": "", "title": "Bad credentials."}]

    with pytest.raises(DoiRejected) as caught:
        client.put_doi(f"{PREFIX}/a+b", {})
    assert (caught.value.status, caught.value.errors[0]["source"]) == (422, "doi")
    wrong.close()
