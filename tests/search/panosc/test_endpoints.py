"""Endpoints, shapes, paths, errors and CORS of /panosc-api/."""

import pytest

from .conftest import LOKI, dataset_pid, document_pid, encoded

pytestmark = pytest.mark.django_db


def test_counts_are_numbers_and_take_a_where(reference, api):
    assert api.json("Datasets/count") == {"count": 4}
    assert api.json("Datasets/count", where={"title": {"like": "%Dataset 1"}}) == {"count": 1}
    assert api.json("Documents/count") == {"count": 2}
    assert api.json("Documents/count", where={"type": "publication"}) == {"count": 0}
    assert api.json("Instruments/count", where={"facility": "ESS"}) == {"count": 15}


def test_a_dataset_has_the_spec_fields_and_iso_dates(reference, api):
    (found,) = api.json("Datasets", {"where": {"pid": dataset_pid(1)}})

    assert found == {
        "pid": dataset_pid(1),
        "title": "PaNOSC Test Dataset 1",
        "isPublic": True,
        "creationDate": "2020-05-05T15:01:02.341Z",
        "size": 1000,
        "score": 0.5,
    }


def test_every_relation_of_a_dataset_has_its_shape(reference, api):
    relations = ["techniques", "parameters", "files", "samples", "instrument", "documents"]

    found = api.json(f"Datasets/{encoded(dataset_pid(2))}", {"include": relations})

    assert found["techniques"] == [
        {
            "pid": "http://purl.org/pan-science/PaNET/PaNET01189",
            "name": "small-angle neutron scattering",
            "panetId": "http://purl.org/pan-science/PaNET/PaNET01189",
        }
    ]
    assert found["parameters"] == [{"id": 1, "name": "photon_energy", "value": 930, "unit": "eV"}]
    assert [(f["name"], f["size"]) for f in found["files"]] == [("panosc-file2.hdf", 2000)]
    assert found["samples"] == [
        {
            "pid": "20.500.12269/panosc-sample1",
            "name": "solid copper cylinder",
            "description": "solid copper cylinder",
        }
    ]
    assert found["instrument"] == {
        "pid": "20.500.12269/ess-odin",
        "name": "ODIN",
        "facility": "ESS",
    }
    assert [(d["pid"], d["type"]) for d in found["documents"]] == [
        (document_pid("document1"), "proposal")
    ]


def test_a_document_shows_its_members_with_person(reference, api):
    include = [{"relation": "members", "scope": {"include": ["person", "affiliation"]}}]

    found = api.json(f"Documents/{encoded(document_pid('document1'))}", {"include": include})

    assert found["summary"] == "A proposal of the PaNOSC reference catalogue"
    assert [(m["role"], m["person"]["fullName"]) for m in found["members"]] == [
        ("principal investigator", "John Smith"),
        ("main proposer", "James Chadwick"),
    ]
    assert all("affiliation" not in m and "email" not in m["person"] for m in found["members"])


def test_files_of_a_dataset_and_their_count(reference, api):
    path = f"Datasets/{encoded(dataset_pid(3))}/files"

    assert api.json(path) == [
        {"id": reference[3].files.get().id, "name": "panosc-file3.hdf", "size": 3000}
    ]
    assert api.json(path + "/count") == {"count": 1}
    assert api.json(path + "/count", where={"name": "other.hdf"}) == {"count": 0}


@pytest.mark.parametrize(
    "path",
    ["datasets/count", "DATASETS/COUNT", "Datasets/count/", "datasets", "instruments", "DOCUMENTS"],
)
def test_paths_match_in_any_case_and_with_a_trailing_slash(reference, api, path):
    assert api.get(path).status_code == 200


def test_pids_with_a_slash_are_found_encoded_or_not(reference, api):
    for pid in (encoded(dataset_pid(4)), dataset_pid(4)):
        assert api.json(f"Datasets/{pid}")["pid"] == dataset_pid(4)
        assert api.json(f"datasets/{pid}/FILES/count") == {"count": 1}
    assert api.json(f"instruments/{encoded(LOKI)}/")["name"] == "LoKI"


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("Datasets/10.1%2Fnone", "Dataset"),
        ("Documents/none", "Document"),
        ("Instruments/none", "Instrument"),
        ("Datasets/none/files", "Dataset"),
    ],
)
def test_an_unknown_pid_is_a_404_in_loopback_shape(reference, api, path, model):
    response = api.get(path)

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["statusCode"], error["name"], error["code"]) == (404, "Error", "MODEL_NOT_FOUND")
    assert model in error["message"]


def test_a_filter_that_is_not_json_is_a_400(reference, client):
    response = client.get("/panosc-api/Datasets", {"filter": "{not json"})

    assert response.status_code == 400
    assert response.json()["error"]["statusCode"] == 400


@pytest.mark.parametrize(
    "flt",
    [
        {"where": {"title": {"near": "x"}}},
        {"where": {"colour": "blue"}},
        {"include": [{"relation": "authors", "scope": {"where": {"name": "x"}}}]},
    ],
)
def test_an_unknown_operator_field_or_relation_matches_nothing(reference, api, flt):
    assert api.json("Datasets", flt) == []


def test_unknown_keys_and_unconditional_unknown_relations_are_ignored(reference, api):
    found = api.json("Datasets", {"limit": 2, "colour": "blue", "include": ["authors"]})

    assert len(found) == 2
    assert all("authors" not in d for d in found)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_404(reference, client, method):
    response = getattr(client, method)("/panosc-api/Datasets", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json()["error"]["statusCode"] == 404
    assert response["Access-Control-Allow-Origin"] == "*"


def test_an_unknown_path_is_a_404_in_loopback_shape(reference, api):
    response = api.get("Samples")

    assert response.status_code == 404
    assert response.json()["error"]["statusCode"] == 404


def test_answers_allow_any_origin(reference, api):
    response = api.get("Datasets", headers={"HTTP_ORIGIN": "https://data.panosc.eu"})

    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_allows_get_and_the_authorization_header(reference, client):
    response = client.options(
        "/panosc-api/Documents",
        HTTP_ORIGIN="https://data.panosc.eu",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()


def test_the_bracket_form_of_a_filter(reference, client):
    response = client.get(
        "/panosc-api/Datasets",
        {"filter[where][title]": "PaNOSC Test Dataset 2", "filter[limit]": "5"},
    )

    assert [d["pid"] for d in response.json()] == [dataset_pid(2)]


def test_fields_order_limit_and_skip(reference, api):
    found = api.json(
        "Datasets", {"fields": {"pid": True}, "order": "title DESC", "limit": 2, "skip": 1}
    )

    assert found == [{"pid": dataset_pid(3), "score": 0.5}, {"pid": dataset_pid(2), "score": 0.5}]


def test_limit_zero_means_no_limit(reference, api):
    assert len(api.json("Instruments", {"limit": 0})) == 15


def test_a_get_by_pid_keeps_the_record_when_its_include_finds_nothing(reference, api):
    include = [{"relation": "files", "scope": {"where": {"name": "other.hdf"}}}]

    found = api.json(f"Datasets/{encoded(dataset_pid(1))}", {"include": include})

    assert found["pid"] == dataset_pid(1)
    assert found.get("files", []) == []


def test_a_negative_limit_is_a_400(reference, api):
    assert api.get("Datasets", {"limit": -1}).status_code == 400
