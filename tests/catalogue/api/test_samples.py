import json

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Sample
from catalogue.services.entities import sample_create
from tests.factories import make_dataset

URL = "/api/v3/Samples"


def make_sample(sample_id: str, **overrides) -> Sample:
    data = {"sample_id": sample_id, "owner_group": "p-owner", "access_groups": ["p-readers"]}
    return sample_create(user=SYSTEM, data={**data, **overrides})


def q(value, unit):
    return {"value": value, "unit": unit}


@pytest.fixture
def corpus(db):
    return {
        "hot": make_sample(
            "hot",
            description="Lysozyme crystal",
            sample_characteristics={
                "temperature": q(300, "K"),
                "chemical_formula": "H2O",
                "holder": {"material": "kapton", "thickness": q(25, "um")},
            },
        ),
        "cold": make_sample(
            "cold",
            owner_group="x",
            access_groups=[],
            is_published=True,
            sample_characteristics={"temperature": q(77, "K"), "chemical_formula": "N2"},
        ),
        "hidden": make_sample("hidden", owner_group="x", access_groups=[]),
    }


def fullquery(client, fields):
    response = client.get(f"{URL}/fullquery", {"fields": json.dumps(fields)})
    assert response.status_code == 200, response.json()
    return sorted(s["sampleId"] for s in response.json())


def test_pyscicat_sample_is_created_with_si_values(owner, api):
    sample = {
        "sampleId": "s-1",
        "owner": "Ada Lovelace",
        "description": "steel coupon",
        "sampleCharacteristics": {"thickness": {"value": 250, "unit": "µm"}},
        "isPublished": False,
        "ownerGroup": "p-owner",
    }
    response = api(owner).post(URL, sample, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["sampleId"] == "s-1"
    assert data["sampleCharacteristics"]["thickness"]["unitSI"] == "m"
    assert data["sampleCharacteristics"]["thickness"]["valueSI"] == pytest.approx(2.5e-4)
    assert "unitIssues" not in data


def test_sample_id_is_made_when_missing(owner, api):
    data = api(owner).post(URL, {"ownerGroup": "p-owner"}, format="json").json()
    assert len(data["sampleId"]) == 36
    assert Sample.objects.get().pk == data["sampleId"]


@pytest.mark.parametrize(
    "who, group, expected",
    [
        ("anonymous", "p-owner", 403),
        ("owner", "p-owner", 201),
        ("owner", "someone-else", 403),
        ("member", "p-owner", 403),
        ("admin", "someone-else", 201),
    ],
)
def test_sample_create_matrix(db, request, who, group, expected, api):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = api(user).post(URL, {"ownerGroup": group}, format="json")
    assert response.status_code == expected
    assert Sample.objects.count() == (1 if expected == 201 else 0)


def test_privileged_sample_group_creates_for_any_group(outsider, settings, api):
    settings.SAMPLE_PRIVILEGED_GROUPS = ["other-group"]
    assert api(outsider).post(URL, {"ownerGroup": "anyone"}, format="json").status_code == 201


@pytest.mark.parametrize(
    "bad",
    [
        {"sampleCharacteristics": ["not", "an", "object"]},
        {"ownerGroup": ""},
        {"datasetId": "some-pid"},
        {"isPublished": "yes"},
        {"accessGroups": [1, 2]},
    ],
)
def test_bad_sample_input_is_400_and_writes_nothing(owner, bad, api):
    response = api(owner).post(URL, {"ownerGroup": "p-owner", **bad}, format="json")
    assert response.status_code == 400
    assert not Sample.objects.exists()


def test_duplicate_sample_id_is_409(owner, api):
    make_sample("s-1")
    assert (
        api(owner)
        .post(URL, {"sampleId": "s-1", "ownerGroup": "p-owner"}, format="json")
        .status_code
        == 409
    )


@pytest.mark.parametrize(
    "who, visible",
    [
        ("anonymous", {"cold"}),
        ("outsider", {"cold"}),
        ("member", {"hot", "cold"}),
        ("admin", {"hot", "cold", "hidden"}),
    ],
)
def test_reads_follow_the_sample_rules(corpus, request, who, visible, api):
    client = api(None if who == "anonymous" else request.getfixturevalue(who))
    assert {s["sampleId"] for s in client.get(URL).json()} == visible
    assert client.get(f"{URL}/count").json() == {"count": len(visible)}
    assert set(fullquery(client, {})) == visible
    for sid in corpus:
        assert client.get(f"{URL}/{sid}").status_code == (200 if sid in visible else 403)
        assert client.get(f"{URL}/{sid}/authorization").json() == {"canAccess": sid in visible}
    assert client.get(f"{URL}/nope").status_code == 404


def test_characteristics_conditions_with_a_unit_compare_si_values(corpus, admin, api):
    client = api(admin)
    above_20_celsius = {"lhs": "temperature", "relation": "GREATER_THAN", "rhs": 20, "unit": "degC"}
    assert fullquery(client, {"characteristics": [above_20_celsius]}) == ["hot"]
    range_kelvin = {"lhs": "temperature", "relation": "RANGE", "rhs": [50, 100], "unit": "K"}
    assert fullquery(client, {"characteristics": [range_kelvin]}) == ["cold"]
    thin = {"lhs": "holder.thickness", "relation": "LESS_THAN", "rhs": 0.1, "unit": "mm"}
    assert fullquery(client, {"characteristics": [thin]}) == ["hot"]
    wrong_dimension = {"lhs": "temperature", "relation": "GREATER_THAN", "rhs": 1, "unit": "m"}
    assert fullquery(client, {"characteristics": [wrong_dimension]}) == []


def test_characteristics_conditions_without_a_unit(corpus, admin, api):
    client = api(admin)
    water = {"lhs": "chemical_formula", "relation": "EQUAL_TO_STRING", "rhs": "H2O"}
    assert fullquery(client, {"characteristics": [water]}) == ["hot"]
    kapton = {"lhs": "holder.material", "relation": "CONTAINS_STRING", "rhs": "KAPT", "unit": "K"}
    assert fullquery(client, {"characteristics": [kapton]}) == ["hot"]
    numeric = {"lhs": "temperature", "relation": "EQUAL_TO_NUMERIC", "rhs": 77, "unit": ""}
    assert fullquery(client, {"characteristics": [numeric]}) == ["cold"]
    both = [water, {"lhs": "temperature", "relation": "LESS_THAN", "rhs": 100}]
    assert fullquery(client, {"characteristics": both}) == []
    text = {"text": "lysozyme", "characteristics": [water]}
    assert fullquery(client, text) == ["hot"]


@pytest.mark.parametrize(
    "bad",
    [
        {"characteristics": {"lhs": "t"}},
        {"characteristics": [{"lhs": "t", "relation": "BIGGER", "rhs": 1}]},
        {"characteristics": [{"lhs": "t", "relation": "GREATER_THAN", "rhs": "warm"}]},
        {"characteristics": [{"lhs": "t", "relation": "GREATER_THAN", "rhs": 1, "unit": "blorp"}]},
        {"characteristics": [{"lhs": "t", "relation": ["x"], "rhs": 1}]},
        {"colour": "red"},
    ],
)
def test_bad_fullquery_is_400(corpus, admin, bad, api):
    response = api(admin).get(f"{URL}/fullquery", {"fields": json.dumps(bad)})
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


def test_metadata_keys_are_dotted_paths_of_readable_samples(corpus, owner, admin, api):
    keys = api(owner).get(f"{URL}/metadataKeys").json()
    assert keys == [
        "chemical_formula",
        "holder",
        "holder.material",
        "holder.thickness",
        "temperature",
    ]
    fields = json.dumps({"metadataKey": "HOLDER"})
    assert api(admin).get(f"{URL}/metadataKeys", {"fields": fields}).json() == [
        "holder",
        "holder.material",
        "holder.thickness",
    ]


def test_find_one_answers_the_first_match_or_an_empty_body(corpus, member, api):
    flt = json.dumps({"where": {"description": {"like": "Lyso"}}, "include": ["datasets"]})
    response = api(member).get(f"{URL}/findOne", {"filter": flt})
    assert response.json()["sampleId"] == "hot"
    assert response.json()["datasets"] == []
    none = api(member).get(
        f"{URL}/findOne", {"filter": json.dumps({"where": {"sampleId": "hidden"}})}
    )
    assert (none.status_code, none.content) == (200, b"")


def test_patch_without_sample_id_recomputes_si_values(corpus, owner, api):
    changes = {"sampleCharacteristics": {"temperature": q(25, "degC")}}
    response = api(owner).patch(f"{URL}/hot", changes, format="json")
    assert response.status_code == 200
    assert response.json()["sampleId"] == "hot"
    assert response.json()["sampleCharacteristics"]["temperature"]["valueSI"] == pytest.approx(
        298.15
    )


def test_patch_rights_and_bad_input(corpus, member, owner, api):
    assert api(member).patch(f"{URL}/hot", {"description": "x"}, format="json").status_code == 403
    bad = api(owner).patch(f"{URL}/hot", {"ownerGroup": "someone-else"}, format="json")
    assert bad.status_code == 403
    assert api(owner).patch(f"{URL}/hot", {"isPublished": 1}, format="json").status_code == 400
    assert Sample.objects.get(pk="hot").owner_group == "p-owner"


def test_delete_needs_a_delete_group(corpus, owner, settings, api):
    assert api(owner).delete(f"{URL}/hot").status_code == 403
    settings.DELETE_GROUPS = ["p-owner"]
    response = api(owner).delete(f"{URL}/hot")
    assert (response.status_code, response.json()["sampleId"]) == (200, "hot")
    assert not Sample.objects.filter(pk="hot").exists()


def test_datasets_of_a_sample_are_the_visible_ones(corpus, member, outsider, api):
    shared = make_dataset(sample_ids=["hot"], access_groups=["p-readers"])
    make_dataset(sample_ids=["hot"])
    assert [d["pid"] for d in api(member).get(f"{URL}/hot/datasets").json()] == [shared.pid]
    assert api(outsider).get(f"{URL}/hot/datasets").json() == []


def test_sample_paths_are_case_insensitive(corpus, admin, api):
    assert api(admin).get("/api/v3/samples/count").json() == {"count": 3}
    assert api(admin).get("/api/v3/SAMPLES/hot/AUTHORIZATION").json() == {"canAccess": True}
