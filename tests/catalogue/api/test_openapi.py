"""The OpenAPI 3 schema at /api/schema/ and the Swagger UI at /explorer/ (SciCat's path).

Everything here runs on the site's own SPECTACULAR_SETTINGS (portal/settings.py), as served.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import Resolver404, resolve

from catalogue.api.schema import SciCatSchemaGenerator

MAIN_PATHS = {
    "/api/v3/auth/login": "post",
    "/api/v3/Datasets": "post",
    "/api/v3/Datasets/{pid}": "patch",
    "/api/v3/Datasets/fullquery": "get",
    "/api/v3/Datasets/{pid}/origdatablocks": "post",
    "/api/v3/Datasets/{pid}/attachments": "post",
    "/api/v3/origdatablocks": "get",
    "/api/v3/Proposals": "post",
    "/api/v3/Proposals/{pid}": "patch",
    "/api/v3/Samples": "post",
    "/api/v3/Samples/{sid}": "patch",
    "/api/v3/Instruments": "post",
    "/api/v3/Instruments/findOne": "get",
    "/api/v3/PublishedData": "get",
    "/api/v3/users/{user_id}/jwt": "post",
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_served_schema_comes_from_the_site_settings(schema, settings):
    view = resolve("/api/schema/").func.view_class

    assert view.generator_class is SciCatSchemaGenerator
    assert schema["info"]["title"] == settings.SPECTACULAR_SETTINGS["TITLE"] == "fedcat SciCat API"
    assert schema["info"]["version"] == "3"


def test_schema_generates_validates_and_emits_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_schema_documents_the_main_scicat_paths(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method in MAIN_PATHS.items()
        if method not in schema["paths"].get(path, {})
    ]

    assert missing == []


def test_schema_paths_are_spelt_as_pyscicat_sends_them(schema):
    odd = [p for p in schema["paths"] if "{var}" in p or p.endswith("/")]

    assert odd == []
    assert all(path.startswith("/api/v3/") for path in schema["paths"])


def test_every_documented_operation_is_served(schema):
    unserved = []
    for path, operations in schema["paths"].items():
        concrete = path.replace("{pid}", "fedcat/0b1c").replace("{", "x").replace("}", "")
        try:
            match = resolve(concrete)
        except Resolver404:
            unserved.append(path)
            continue
        allowed = match.func.cls(**match.func.initkwargs).allowed_methods
        unserved += [f"{m} {path}" for m in operations if m.upper() not in allowed]

    assert unserved == []


def test_dataset_create_documents_the_v3_body_and_a_201(schema):
    post = schema["paths"]["/api/v3/Datasets"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    create = schema["components"]["schemas"]["DatasetCreate"]

    assert body == {"$ref": "#/components/schemas/DatasetCreate"}
    assert {"ownerGroup", "sourceFolder", "creationTime", "type"} <= set(create["required"])
    assert "201" in post["responses"]


def test_login_documents_the_token_in_id(schema):
    login = schema["paths"]["/api/v3/auth/login"]["post"]
    answer = login["responses"]["201"]["content"]["application/json"]["schema"]

    assert answer == {"$ref": "#/components/schemas/Login"}
    assert "id" in schema["components"]["schemas"]["Login"]["required"]
    assert login["security"] == [{}]


def test_pid_path_parameters_say_they_are_url_encoded(schema):
    parameters = schema["paths"]["/api/v3/Datasets/{pid}"]["get"]["parameters"]
    pid = next(p for p in parameters if p["name"] == "pid")

    assert "%2F" in pid["description"]


def test_operations_take_a_bearer_or_query_token_or_none(schema):
    security = schema["paths"]["/api/v3/Datasets"]["get"]["security"]
    schemes = schema["components"]["securitySchemes"]

    assert {"BearerToken": []} in security
    assert {"AccessTokenQuery": []} in security
    assert {} in security  # anonymous callers see published data
    assert schemes["AccessTokenQuery"] == {"type": "apiKey", "in": "query", "name": "access_token"}


def test_operation_ids_are_unique(schema):
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]

    assert len(ids) == len(set(ids))


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_explorer_answers_with_the_swagger_ui_on_the_schema(client):
    response = client.get("/explorer/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'url: "/api/schema/"' in page
    assert "SwaggerUIBundle" in page


def test_explorer_without_a_slash_redirects_to_the_docs(client):
    response = client.get("/explorer")

    assert response.status_code == 301
    assert response["Location"] == "/explorer/"


def test_explorer_references_only_local_static_assets(client, settings):
    page = client.get("/explorer/").content.decode()
    parser = _Assets()
    parser.feed(page)

    assert parser.urls, "the page should load the Swagger UI assets"
    assert "http://" not in page and "https://" not in page
    for url in parser.urls:
        assert url.startswith(settings.STATIC_URL) or url.startswith("/" + settings.STATIC_URL)
        assert finders.find(url.split(settings.STATIC_URL, 1)[1]) is not None, url


def test_explorer_does_not_call_the_online_validator(client):
    page = client.get("/explorer/").content.decode()

    assert '"validatorUrl": null' in page
