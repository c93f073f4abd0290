import json
from urllib.parse import quote

import pytest

from catalogue.access import SYSTEM
from catalogue.models import Dataset, HistoryEntry, PublishedData
from catalogue.services import attachment_add
from catalogue.services.entities import proposal_create
from tests.factories import make_dataset

URL = "/api/v3/PublishedData"


def v3(pids, **overrides) -> dict:
    data = {
        "creator": ["Ada Lovelace", "Charles Babbage"],
        "publisher": "ESS",
        "publicationYear": 2026,
        "title": "Tomography of steel welds",
        "abstract": "Scans of 12 welds.",
        "dataDescription": "https://example.org/how-to-reuse",
        "resourceType": "raw",
        "pidArray": pids,
        "authors": ["Ada Lovelace"],
        "relatedPublications": ["10.1000/journal.1"],
        "affiliation": "PSI",
    }
    return {**data, **overrides}


@pytest.fixture
def dataset(db):
    return make_dataset(size=1000, number_of_files=3)


@pytest.fixture
def pending(owner, dataset, settings, api):
    settings.DOI_PREFIX = "10.17199/"
    response = api(owner).post(URL, v3([dataset.pid], status="pending_registration"), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def url_of(doi: str, suffix: str = "") -> str:
    return f"{URL}/{quote(doi, safe='')}{suffix}"


def test_create_answers_the_v3_shape_and_stores_the_v4_one(pending, dataset):
    assert pending["doi"].startswith("10.17199/")
    assert pending["status"] == "pending_registration"
    assert pending["publisher"] == "ESS"
    assert pending["creator"] == ["Ada Lovelace", "Charles Babbage"]
    assert pending["relatedPublications"] == ["10.1000/journal.1"]
    assert (pending["numberOfFiles"], pending["sizeOfArchive"]) == (3, 1000)
    assert "registeredTime" not in pending
    record = PublishedData.objects.get()
    assert (record.status, record.dataset_pids) == ("private", [dataset.pid])
    assert record.metadata["creators"] == [{"name": "Ada Lovelace"}, {"name": "Charles Babbage"}]
    assert record.metadata["publisher"] == {"name": "ESS"}
    assert record.metadata["contributors"] == [{"name": "Ada Lovelace"}]
    assert record.metadata["relatedIdentifiers"] == [{"relatedIdentifier": "10.1000/journal.1"}]


def test_doi_prefix_defaults_when_the_setting_is_absent(owner, dataset, settings, api):
    if hasattr(settings, "DOI_PREFIX"):
        del settings.DOI_PREFIX
    doi = api(owner).post(URL, v3([dataset.pid]), format="json").json()["doi"]
    assert doi.startswith("10.xxxx/")
    assert len(doi) == len("10.xxxx/") + 36


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"creator": None},
        {"publicationYear": "2026"},
        {"creator": "Ada"},
        {"pidArray": []},
        {"colour": "red"},
        {"status": "registered"},
        {"status": "archived"},
        {"numberOfFiles": -1},
    ],
)
def test_bad_input_is_400_and_writes_nothing(owner, dataset, bad, api):
    response = api(owner).post(URL, v3([dataset.pid], **bad), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert not PublishedData.objects.exists()


def test_missing_fields_are_listed_as_upstream_does(owner, dataset, api):
    response = api(owner).post(URL, {"title": "only a title"}, format="json")
    assert response.status_code == 400
    assert "publisher should not be empty" in response.json()["message"]


def test_only_publishable_datasets_go_in_pid_array(member, outsider, dataset, api):
    # member reads the dataset (access group) but only owners and admins may publish it
    shared = make_dataset(access_groups=["p-readers"])
    assert api(member).post(URL, v3([shared.pid]), format="json").status_code == 403
    assert api(outsider).post(URL, v3([dataset.pid]), format="json").status_code == 403
    assert api(outsider).post(URL, v3(["no/such-pid"]), format="json").status_code == 400
    assert api().post(URL, v3([dataset.pid]), format="json").status_code == 403
    assert not PublishedData.objects.exists()


def test_anonymous_sees_registered_records_only(pending, owner, outsider, api):
    doi = pending["doi"]
    assert api().get(url_of(doi)).status_code == 404
    assert api().get(URL).json() == []
    assert api().get(f"{URL}/count").json() == {"count": 0}
    assert api(outsider).get(url_of(doi)).json()["doi"] == doi  # v3: signed-in users see all
    assert api(owner).post(url_of(doi, "/register")).status_code == 201
    assert api().get(url_of(doi)).json()["status"] == "registered"
    assert [r["doi"] for r in api().get(URL).json()] == [doi]
    assert api().get(f"{URL}/count").json() == {"count": 1}


def test_register_publishes_the_datasets_in_one_step(pending, outsider, dataset, api):
    response = api(outsider).post(url_of(pending["doi"], "/register"))  # any signed-in user
    assert response.status_code == 201
    assert response.json()["status"] == "registered"
    assert response.json()["registeredTime"]
    dataset.refresh_from_db()
    assert dataset.is_published is True
    assert dataset.datasetlifecycle["publishedOn"] == response.json()["registeredTime"]
    assert dataset.datasetlifecycle["archivable"] is True  # the rest of the lifecycle stays
    entry = HistoryEntry.objects.get(subsystem="Dataset", operation="update")
    assert (entry.user, entry.after["is_published"]) == ("oscar", True)
    record = PublishedData.objects.get()
    assert (record.status, record.registered_time is not None) == ("registered", True)


def test_register_again_keeps_the_first_registration_time(pending, owner, api):
    first = api(owner).post(url_of(pending["doi"], "/register")).json()["registeredTime"]
    again = api(owner).post(url_of(pending["doi"], "/register")).json()["registeredTime"]
    assert again == first


def test_register_needs_a_signed_in_user_and_an_existing_record(pending, owner, api):
    assert api().post(url_of(pending["doi"], "/register")).status_code == 404
    assert api(owner).post(url_of("10.17199/nope", "/register")).status_code == 404
    assert PublishedData.objects.get().status == "private"
    assert not Dataset.objects.get().is_published


def test_status_filter_speaks_v3_words(pending, owner, dataset, api):
    other = api(owner).post(URL, v3([dataset.pid], title="Second"), format="json").json()
    api(owner).post(url_of(other["doi"], "/register"))
    client = api(owner)
    flt = json.dumps({"where": {"status": "registered"}})
    assert [r["doi"] for r in client.get(URL, {"filter": flt}).json()] == [other["doi"]]
    flt = json.dumps({"where": {"status": {"inq": ["pending_registration"]}}})
    assert [r["doi"] for r in client.get(URL, {"filter": flt}).json()] == [pending["doi"]]
    flt = json.dumps({"where": {"pidArray": {"inq": [dataset.pid]}, "title": "Second"}})
    assert client.get(f"{URL}/count", {"filter": flt}).json() == {"count": 1}
    flt = json.dumps({"where": {"publisher": "ESS", "publicationYear": {"gte": 2026}}})
    assert client.get(f"{URL}/count", {"filter": flt}).json() == {"count": 2}
    bad = json.dumps({"where": {"status": "lost"}})
    assert client.get(URL, {"filter": bad}).status_code == 400


def test_list_honours_limits_and_fields(pending, owner, dataset, api):
    api(owner).post(URL, v3([dataset.pid], title="Second"), format="json")
    flt = json.dumps({"limits": {"limit": 1, "order": "title:asc"}, "fields": ["title"]})
    assert api(owner).get(URL, {"filter": flt}).json() == [{"title": "Second"}]
    limits = json.dumps({"limit": 1, "skip": 1, "order": "title:asc"})
    assert [r["title"] for r in api(owner).get(URL, {"limits": limits}).json()] == [
        "Tomography of steel welds"
    ]


def test_patch_updates_v3_fields_and_guards_the_rest(pending, owner, outsider, member, api):
    target = url_of(pending["doi"])
    response = api(outsider).patch(
        target, {"title": "Better title", "publisher": "PSI"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["publisher"]) == ("Better title", "PSI")
    assert response.json()["creator"] == ["Ada Lovelace", "Charles Babbage"]  # metadata merged
    sent_back = {**response.json(), "abstract": "New"}
    assert api(owner).patch(target, sent_back, format="json").status_code == 200
    foreign = make_dataset(owner_group="x")
    assert api(member).patch(target, {"pidArray": [foreign.pid]}, format="json").status_code == 403
    assert api(owner).patch(target, {"status": "registered"}, format="json").status_code == 400
    assert api(owner).patch(target, {"doi": "10.1/other"}, format="json").status_code == 400
    assert api().patch(target, {"title": "anon"}, format="json").status_code == 404
    record = PublishedData.objects.get()
    assert (record.title, record.abstract, record.status) == ("Better title", "New", "private")


def test_resync_updates_and_answers_201(pending, owner, api):
    response = api(owner).post(
        url_of(pending["doi"], "/resync"), {"url": "https://x.org/1"}, format="json"
    )
    assert (response.status_code, response.json()["url"]) == (201, "https://x.org/1")


def test_delete_needs_a_delete_group_and_keeps_registered_records(
    pending, owner, admin, settings, api
):
    doi = pending["doi"]
    assert api(admin).delete(url_of(doi)).status_code == 403
    settings.DELETE_GROUPS = ["admin"]
    api(owner).post(url_of(doi, "/register"))
    response = api(admin).delete(url_of(doi))
    assert response.status_code == 400
    assert "cannot be removed" in response.json()["message"]
    assert PublishedData.objects.filter(doi=doi).exists()


def test_delete_of_a_pending_record_answers_it(pending, admin, settings, api):
    settings.DELETE_GROUPS = ["admin"]
    response = api(admin).delete(url_of(pending["doi"]))
    assert (response.status_code, response.json()["doi"]) == (200, pending["doi"])
    assert not PublishedData.objects.exists()


def test_form_populate_prefills_from_a_readable_dataset(owner, outsider, api):
    proposal_create(
        user=SYSTEM,
        data={
            "proposal_id": "p1",
            "email": "pi@example.org",
            "title": "Weld study",
            "abstract": "Why welds crack.",
            "owner_group": "p-owner",
        },
    )
    dataset = make_dataset(proposal_ids=["p1"], description="Scan 1")
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail="data:image/png;base64,AAAA")
    form = api(owner).get(f"{URL}/formpopulate", {"pid": dataset.pid}).json()
    assert form == {
        "resourceType": "raw",
        "description": "Scan 1",
        "title": "Weld study",
        "abstract": "Why welds crack.",
        "thumbnail": "data:image/png;base64,AAAA",
    }
    assert api(outsider).get(f"{URL}/formpopulate", {"pid": dataset.pid}).json() == {}
    assert api(owner).get(f"{URL}/formpopulate").status_code == 400


def test_published_data_paths_are_case_insensitive(pending, owner, api):
    assert api(owner).get("/api/v3/publisheddata/COUNT").json() == {"count": 1}
    doi = quote(pending["doi"], safe="")
    assert api(owner).get(f"/api/v3/PUBLISHEDDATA/{doi}").json()["doi"] == pending["doi"]
