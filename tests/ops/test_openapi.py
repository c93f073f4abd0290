"""The OpenAPI documents the fuzzer checks the APIs against, and the bugs fuzzing found.

bench/fuzz.py (and test_fuzz.py) run schemathesis against a live site; these pin the fixes in
fast tests: huge skip/limit values, pids with a newline, JSON 404s for unknown API paths, and a
schema that stays the same from one request to the next.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.django_db

HUGE = 2**70  # past what SQL integers hold


def test_panosc_openapi_document_describes_every_endpoint(client):
    response = client.get("/panosc-api/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "/panosc-api"}]
    expected = {
        f"/{entity}{suffix}"
        for entity in ("Datasets", "Documents", "Instruments")
        for suffix in ("", "/count", "/{pid}")
    }
    assert set(document["paths"]) == expected | {
        "/Datasets/{pid}/files",
        "/Datasets/{pid}/files/count",
    }


def test_scicat_schema_is_the_same_on_every_request(client):
    first = client.get("/api/schema/?format=json").content
    second = client.get("/api/schema/?format=json").content

    assert first == second
    components = json.loads(second)["components"]["schemas"]
    assert "StatusEnum" in components  # drf-spectacular's enum component, every time


def test_scicat_filter_parameters_are_described_as_json(client):
    schema = client.get("/api/schema/?format=json").json()

    (parameter,) = schema["paths"]["/api/v3/Datasets"]["get"]["parameters"]
    assert parameter["name"] == "filter"
    assert parameter["content"]["application/json"]["schema"]["type"] == "object"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v3/Datasets?filter=" + quote(json.dumps({"limits": {"skip": HUGE, "limit": HUGE}})),
        "/panosc-api/Datasets?filter=" + quote(json.dumps({"skip": HUGE, "limit": HUGE})),
        "/panosc-api/Instruments?filter=" + quote(json.dumps({"offset": HUGE})),
    ],
)
def test_huge_skip_or_limit_reads_as_an_empty_page(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("/api/v3/NoSuchThing", "Not Found"),
        ("/api/v3/Datasets/a%0Ab/attachments", "Not Found"),
        ("/panosc-api/Documents/line%0Abreak", None),
    ],
)
def test_unknown_api_paths_answer_json_404(client, url, error):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == error if error else body["error"]["statusCode"] == 404
