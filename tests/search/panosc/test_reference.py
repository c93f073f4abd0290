"""The 18 reference tests of panosc-eu/search-api (test/{dataset,document,instrument}.test.js),
against the reference catalogue, with exact counts where the reference's forEach would also
pass on an empty answer."""

import pytest

from .conftest import LOKI, dataset_pid, document_pid, encoded

pytestmark = pytest.mark.django_db

DATASET_FIELDS = {"pid", "title", "isPublic", "creationDate"}


def parameters(where):
    return [{"relation": "parameters", "scope": {"where": where}}]


# --- Datasets -----------------------------------------------------------------------------------
def test_datasets_without_filter_have_the_required_fields(reference, api):
    found = api.json("Datasets")

    assert len(found) == 4
    assert all(DATASET_FIELDS | {"score"} <= set(d) for d in found)


def test_datasets_with_technique_x_ray_absorption(reference, api):
    include = [{"relation": "techniques", "scope": {"where": {"name": "x-ray absorption"}}}]

    found = api.json("Datasets", {"include": include})

    assert sorted(d["pid"] for d in found) == [dataset_pid(3), dataset_pid(4)]
    assert all(t["name"] == "x-ray absorption" for d in found for t in d["techniques"])


def test_datasets_with_photon_energy_between_880_and_990_ev(reference, api):
    where = {"and": [{"name": "photon_energy"}, {"value": {"between": [880, 990]}}, {"unit": "eV"}]}

    found = api.json("Datasets", {"include": parameters(where)})

    assert [d["pid"] for d in found] == [dataset_pid(2)]
    assert found[0]["parameters"] == [
        {"id": 1, "name": "photon_energy", "value": 930, "unit": "eV"}
    ]


def test_datasets_with_a_solid_sample_or_copper_carry_all_parameters_in_order(reference, api):
    where = {
        "or": [
            {"and": [{"name": "sample_state"}, {"value": "solid"}]},
            {"and": [{"name": "chemical_formula"}, {"value": "Cu"}]},
        ]
    }

    found = api.json("Datasets", {"include": parameters(where)})

    assert [d["pid"] for d in found] == [dataset_pid(1)]
    assert [(p["name"], p["value"]) for p in found[0]["parameters"]] == [
        ("chemical_formula", "Cu"),
        ("sample_state", "solid"),
    ]


def test_datasets_with_temperature_below_80_celsius(reference, api):
    where = {"and": [{"name": "temperature"}, {"value": {"lt": 80}}, {"unit": "celsius"}]}

    found = api.json("Datasets", {"include": parameters(where)})

    assert [d["pid"] for d in found] == [dataset_pid(3)]
    (parameter,) = found[0]["parameters"]
    assert (parameter["name"], parameter["value"], parameter["unit"]) == (
        "temperature",
        20,
        "celsius",
    )


def test_datasets_with_a_file_matching_text_file1(reference, api):
    include = [{"relation": "files", "scope": {"where": {"text": "file1"}}}]

    found = api.json("Datasets", {"include": include})

    assert [d["pid"] for d in found] == [dataset_pid(1)]
    assert [f["name"] for f in found[0]["files"]] == ["panosc-file1.hdf"]


def test_dataset_by_encoded_pid(reference, api):
    found = api.json(f"Datasets/{encoded(dataset_pid(1))}")

    assert found["pid"] == dataset_pid(1)
    assert set(found) >= DATASET_FIELDS


# --- Documents ----------------------------------------------------------------------------------
def test_documents_without_filter_have_the_required_fields(reference, api):
    found = api.json("Documents")

    assert sorted(d["pid"] for d in found) == [document_pid("document1"), document_pid("document2")]
    assert all({"pid", "isPublic", "type", "title", "score"} <= set(d) for d in found)


def test_proposals_whose_principal_investigator_is_james_chadwick(reference, api):
    pi = {
        "relation": "members",
        "scope": {
            "where": {"role": "principal investigator"},
            "include": [{"relation": "person", "scope": {"where": {"fullName": "James Chadwick"}}}],
        },
    }

    found = api.json(
        "Documents", {"where": {"type": "proposal"}, "include": [{"relation": "datasets"}, pi]}
    )

    assert [d["pid"] for d in found] == [document_pid("document2")]
    assert len(found[0]["datasets"]) == 2
    assert [(m["role"], m["person"]["fullName"]) for m in found[0]["members"]] == [
        ("principal investigator", "James Chadwick")
    ]


def test_documents_with_a_wavelength_parameter_in_nm(reference, api):
    where = {"and": [{"name": "wavelength"}, {"value": {"between": [1000, 1100]}}, {"unit": "nm"}]}

    found = api.json("Documents", {"include": parameters(where)})

    assert [d["pid"] for d in found] == [document_pid("document1")]
    assert found[0]["parameters"] == [{"id": 1, "name": "wavelength", "value": 1064, "unit": "nm"}]


def test_documents_with_datasets_with_a_wavelength_parameter(reference, api):
    where = {"and": [{"name": "wavelength"}, {"value": {"between": [1000, 1100]}}, {"unit": "nm"}]}
    include = [{"relation": "datasets", "scope": {"include": parameters(where)}}]

    found = api.json("Documents", {"include": include})

    assert [d["pid"] for d in found] == [document_pid("document2")]
    assert [d["pid"] for d in found[0]["datasets"]] == [dataset_pid(4)]
    assert [p["name"] for p in found[0]["datasets"][0]["parameters"]] == ["wavelength"]


def test_documents_with_datasets_of_a_sample_and_a_technique(reference, api):
    inner = [
        {"relation": "samples", "scope": {"where": {"name": "solid copper cylinder"}}},
        {"relation": "techniques", "scope": {"where": {"name": "x-ray absorption"}}},
    ]

    found = api.json(
        "Documents", {"include": [{"relation": "datasets", "scope": {"include": inner}}]}
    )

    assert [d["pid"] for d in found] == [document_pid("document2")]
    datasets = found[0]["datasets"]
    assert [d["pid"] for d in datasets] == [dataset_pid(3), dataset_pid(4)]
    assert all(s["name"] == "solid copper cylinder" for d in datasets for s in d["samples"])
    assert all(t["name"] == "x-ray absorption" for d in datasets for t in d["techniques"])


def test_documents_with_datasets_with_a_file_matching_file1(reference, api):
    inner = [{"relation": "files", "scope": {"where": {"text": "file1"}}}]

    found = api.json(
        "Documents", {"include": [{"relation": "datasets", "scope": {"include": inner}}]}
    )

    assert [d["pid"] for d in found] == [document_pid("document1")]
    assert [d["pid"] for d in found[0]["datasets"]] == [dataset_pid(1)]
    assert [f["name"] for f in found[0]["datasets"][0]["files"]] == ["panosc-file1.hdf"]


def test_document_by_encoded_pid(reference, api):
    found = api.json(f"Documents/{encoded(document_pid('document1'))}")

    assert found["pid"] == document_pid("document1")
    assert {"isPublic", "type", "title"} <= set(found)


# --- Instruments --------------------------------------------------------------------------------
def test_instruments_without_filter(reference, api):
    found = api.json("Instruments")

    assert len(found) == 15
    assert all({"pid", "name", "facility"} <= set(i) for i in found)


def test_instrument_named_loki(reference, api):
    found = api.json("Instruments", {"where": {"name": "LoKI"}})

    assert [i["pid"] for i in found] == [LOKI]


def test_three_instruments_of_ess(reference, api):
    found = api.json("Instruments", {"where": {"facility": "ESS"}, "skip": 0, "limit": 3})

    assert len(found) == 3
    assert {i["facility"] for i in found} == {"ESS"}


def test_instrument_by_encoded_pid(reference, api):
    found = api.json(f"Instruments/{encoded(LOKI)}")

    assert (found["pid"], found["name"], found["facility"]) == (LOKI, "LoKI", "ESS")
