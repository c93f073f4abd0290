"""The filter language: inner joins at depth, parameters in SI, PaNET expansion, where operators,
and the same answers from the search engine and from the database."""

import pytest

from catalogue.access import SYSTEM
from catalogue.services import published_data_create, published_data_register
from search.backends.base import SearchBackend
from search.panosc import engine

from .conftest import PANET, dataset_pid, document_pid

pytestmark = pytest.mark.django_db


class BrokenBackend(SearchBackend):
    """An engine that is down: the service reports an error for every search."""

    def search(self, request, access):
        raise ConnectionError("engine down")


def pids(found):
    return sorted(d["pid"] for d in found)


def parameters(where):
    return {"relation": "parameters", "scope": {"where": where}}


def techniques(where):
    return {"relation": "techniques", "scope": {"where": where}}


PHOTON_KEV = {
    "and": [{"name": "photon_energy"}, {"value": {"between": [0.88, 0.99]}}, {"unit": "keV"}]
}


# --- inner joins --------------------------------------------------------------------------------
def test_instruments_are_dropped_when_no_dataset_has_the_parameter(reference, api):
    include = [{"relation": "datasets", "scope": {"include": [parameters(PHOTON_KEV)]}}]

    found = api.json("Instruments", {"include": include})

    assert [(i["name"], pids(i["datasets"])) for i in found] == [("ODIN", [dataset_pid(2)])]


def test_an_include_without_where_drops_nothing(reference, api):
    found = api.json("Instruments", {"include": [{"relation": "datasets"}], "limit": 0})

    assert len(found) == 15
    assert sum(len(i["datasets"]) for i in found) == 4


def test_datasets_dropped_at_depth_two_take_their_documents_with_them(reference, api):
    instrument = {"relation": "instrument", "scope": {"where": {"name": "DREAM"}}}
    include = [{"relation": "datasets", "scope": {"include": [instrument]}}]

    found = api.json("Documents", {"include": include})

    assert [d["pid"] for d in found] == [document_pid("document2")]
    assert [(d["pid"], d["instrument"]["name"]) for d in found[0]["datasets"]] == [
        (dataset_pid(3), "DREAM")
    ]


def test_an_inner_join_three_levels_deep(reference, api):
    person = {"relation": "person", "scope": {"where": {"fullName": "James Chadwick"}}}
    members = {
        "relation": "members",
        "scope": {"where": {"role": "principal investigator"}, "include": [person]},
    }
    documents = {"relation": "documents", "scope": {"include": [members]}}

    found = api.json(
        "Instruments", {"include": [{"relation": "datasets", "scope": {"include": [documents]}}]}
    )

    assert sorted(i["name"] for i in found) == ["DREAM", "MAGiC"]
    assert all(
        m["person"]["fullName"] == "James Chadwick"
        for i in found
        for d in i["datasets"]
        for doc in d["documents"]
        for m in doc["members"]
    )


def test_two_parameter_includes_need_two_matching_parameters(reference, api):
    solid = parameters({"and": [{"name": "sample_state"}, {"value": "solid"}]})
    copper = parameters({"and": [{"name": "chemical_formula"}, {"value": "Cu"}]})
    gold = parameters({"and": [{"name": "chemical_formula"}, {"value": "Au"}]})

    assert pids(api.json("Datasets", {"include": [solid, copper]})) == [dataset_pid(1)]
    assert api.json("Datasets", {"include": [solid, gold]}) == []


# --- parameters in SI ---------------------------------------------------------------------------
def test_a_filter_in_kev_matches_a_value_stored_in_ev_and_shows_it_in_kev(reference, api):
    (found,) = api.json("Datasets", {"include": [parameters(PHOTON_KEV)]})

    assert found["pid"] == dataset_pid(2)
    assert found["parameters"] == [{"id": 1, "name": "photon_energy", "value": 0.93, "unit": "keV"}]


def test_a_temperature_in_kelvin_matches_one_stored_in_celsius(reference, api):
    where = {"and": [{"name": "temperature"}, {"value": {"gt": 290, "lt": 300}}, {"unit": "K"}]}

    (found,) = api.json("Datasets", {"include": [parameters(where)]})

    assert found["parameters"] == [{"id": 1, "name": "temperature", "value": 293.15, "unit": "K"}]


def test_an_si_filter_outside_the_range_matches_nothing(reference, api):
    where = {"and": [{"name": "photon_energy"}, {"value": {"gt": 1}}, {"unit": "keV"}]}

    assert api.json("Datasets", {"include": [parameters(where)]}) == []


# --- PaNET --------------------------------------------------------------------------------------
def test_a_technique_matches_its_panet_descendants(reference, api, add_dataset):
    xafs = {"pid": PANET + "PaNET01197", "name": "x-ray absorption fine structure"}
    extra = add_dataset(techniques=[xafs])

    by_name = api.json("Datasets", {"include": [techniques({"name": "x-ray absorption"})]})
    by_pid = api.json("Datasets", {"include": [techniques({"pid": PANET + "PaNET01227"})]})
    by_short_pid = api.json("Datasets", {"include": [techniques({"pid": "PaNET01227"})]})

    assert (
        pids(by_name)
        == pids(by_pid)
        == pids(by_short_pid)
        == sorted([dataset_pid(3), dataset_pid(4), extra.pid])
    )


def test_a_broad_technique_finds_its_sub_techniques(reference, api):
    found = api.json("Datasets", {"include": [techniques({"name": "small angle scattering"})]})

    assert pids(found) == [dataset_pid(1), dataset_pid(2)]


def test_neq_excludes_the_whole_descendant_set(reference, api, add_dataset):
    add_dataset(techniques=[{"pid": PANET + "PaNET01198", "name": "EXAFS"}])

    found = api.json("Datasets", {"include": [techniques({"name": {"neq": "x-ray absorption"}})]})

    assert pids(found) == [dataset_pid(1), dataset_pid(2)]


def test_an_unrelated_technique_matches_nothing(reference, api):
    assert api.json("Datasets", {"include": [techniques({"name": "x-ray diffraction"})]}) == []


# --- where --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"title": {"like": "%Dataset 2"}}, [2]),
        ({"title": {"ilike": "panosc test dataset _"}}, [1, 2, 3, 4]),
        ({"title": {"nlike": "%Dataset 2"}}, [1, 3, 4]),
        ({"title": {"regexp": "/dataset [34]$/i"}}, [3, 4]),
        ({"text": "dataset 3"}, [3]),
        ({"size": {"between": [1500, 3500]}}, [2, 3]),
        ({"size": {"gte": 3000}}, [3, 4]),
        ({"pid": {"inq": [dataset_pid(1), dataset_pid(4)]}}, [1, 4]),
        ({"pid": {"nin": [dataset_pid(1), dataset_pid(4)]}}, [2, 3]),
        ({"or": [{"size": 1000}, {"title": "PaNOSC Test Dataset 4"}]}, [1, 4]),
        ({"and": [{"isPublic": True}, {"size": {"lt": 2500}}]}, [1, 2]),
        ({"creationDate": {"gt": "2020-05-05T00:00:00Z"}}, [1, 2, 3, 4]),
        ({"creationDate": {"lt": "2020-01-01"}}, []),
    ],
)
def test_where_operators_on_datasets(reference, api, where, expected):
    assert pids(api.json("Datasets", {"where": where})) == [dataset_pid(n) for n in expected]


def test_documents_where_and_text(reference, api):
    found = api.json("Documents", {"where": {"text": "document 2"}})

    assert [d["pid"] for d in found] == [document_pid("document2")]


@pytest.fixture
def publication(reference):
    record = published_data_create(
        user=SYSTEM,
        data={
            "doi": "10.5072/pub-1",
            "title": "A paper on copper",
            "abstract": "Copper, measured",
            "dataset_pids": [dataset_pid(1)],
            "status": "public",
            "metadata": {
                "creators": [{"name": "Lise Meitner", "affiliation": [{"name": "KWI"}]}],
                "contributors": [{"name": "Otto Hahn"}],
            },
        },
    )
    return published_data_register(user=SYSTEM, record=record)


def test_a_dataset_lists_its_proposal_and_its_publication(publication, api):
    include = [{"relation": "documents", "scope": {"include": ["members"]}}]

    (found,) = api.json("Datasets", {"where": {"pid": dataset_pid(1)}, "include": include})

    assert [(d["pid"], d["type"]) for d in found["documents"]] == [
        (document_pid("document1"), "proposal"),
        ("10.5072/pub-1", "publication"),
    ]
    assert [m["role"] for m in found["documents"][1]["members"]] == ["creator", "contributor"]


def test_publications_are_filtered_by_their_creators_and_datasets(publication, api):
    person = {"relation": "person", "scope": {"where": {"fullName": {"like": "Lise%"}}}}
    members = {"relation": "members", "scope": {"include": [person, "affiliation"]}}

    found = api.json(
        "Documents", {"where": {"type": "publication"}, "include": [members, "datasets"]}
    )

    assert [d["pid"] for d in found] == ["10.5072/pub-1"]
    assert found[0]["doi"] == "10.5072/pub-1"
    assert found[0]["members"] == [
        {
            "id": 1,
            "role": "creator",
            "person": {"id": "10.5072/pub-1~1", "fullName": "Lise Meitner"},
            "affiliation": {"id": "10.5072/pub-1~1", "name": "KWI"},
        }
    ]
    assert [d["pid"] for d in found[0]["datasets"]] == [dataset_pid(1)]


def test_a_publication_without_the_creator_is_dropped(publication, api):
    person = {"relation": "person", "scope": {"where": {"fullName": "Marie Curie"}}}
    members = {"relation": "members", "scope": {"include": [person]}}

    assert api.json("Documents", {"include": [members]}) == []


def test_documents_of_both_kinds_are_listed_in_one_order(publication, api):
    found = api.json("Documents", {"order": "title DESC", "limit": 2})
    everything = api.json("Documents", {"order": ["type ASC", "pid ASC"]})

    assert [d["title"] for d in found] == ["PaNOSC Test Document 2", "PaNOSC Test Document 1"]
    assert [d["type"] for d in everything] == ["proposal", "proposal", "publication"]
    assert api.json("Documents/count") == {"count": 3}
    assert api.json("Documents", {"skip": 2}) == everything[2:]


# --- the engine and the database agree ------------------------------------------------------
FILTERS = [
    {"include": [techniques({"name": "x-ray absorption"})]},
    {"include": [parameters(PHOTON_KEV)]},
    {
        "include": [
            parameters(
                {
                    "or": [
                        {"and": [{"name": "sample_state"}, {"value": "solid"}]},
                        {"and": [{"name": "chemical_formula"}, {"value": "Au"}]},
                    ]
                }
            )
        ]
    },
    {
        "include": [
            parameters({"and": [{"name": "temperature"}, {"value": {"lt": 80}}, {"unit": "degC"}]})
        ]
    },
    {"include": [parameters({"and": [{"name": "chemical_formula"}, {"value": {"neq": "Cu"}}]})]},
    {
        "where": {"title": {"like": "%Dataset%"}},
        "include": [techniques({"pid": PANET + "PaNET01189"})],
    },
]


@pytest.mark.parametrize("flt", FILTERS)
def test_the_engine_and_the_database_give_the_same_datasets(
    reference, api, settings, monkeypatch, flt
):
    calls = []
    real = engine.search
    monkeypatch.setattr(engine, "search", lambda *a, **k: calls.append(1) or real(*a, **k))
    from_engine = pids(api.json("Datasets", flt))
    assert calls, "the engine answered"

    settings.SEARCH_BACKEND = "tests.search.panosc.test_filters.BrokenBackend"
    from_database = pids(api.json("Datasets", flt))

    assert from_engine == from_database
    assert from_engine  # every filter here matches something


NESTED = [
    {"include": [{"relation": "datasets", "scope": {"include": [parameters(PHOTON_KEV)]}}]},
    {
        "include": [
            {
                "relation": "datasets",
                "scope": {"include": [techniques({"name": "x-ray absorption"})]},
            }
        ]
    },
]


@pytest.mark.parametrize("flt", NESTED)
def test_nested_scopes_give_the_same_documents_from_engine_and_database(
    reference, api, settings, flt
):
    from_engine = api.json("Documents", flt)

    settings.SEARCH_BACKEND = "tests.search.panosc.test_filters.BrokenBackend"
    from_database = api.json("Documents", flt)

    assert from_engine == from_database
    assert from_engine
