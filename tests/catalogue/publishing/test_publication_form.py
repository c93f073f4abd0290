"""The portal's publication form: choose datasets, describe them, save a draft, submit.

Plain Django test clients (no JavaScript is needed); the personas are in tests/conftest.py:
owner (group p-owner, owns the factory's datasets), outsider, admin.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from catalogue.access import SYSTEM
from catalogue.models import Dataset, PublishedData
from catalogue.models.publishing import DoiState
from catalogue.services.published import published_data_sync
from tests.catalogue.publishing.conftest import PREFIX
from tests.factories import make_dataset

pytestmark = pytest.mark.django_db

NEW = "/publications/new"
LIST = "/publications/"


def edit_url(doi: str) -> str:
    return reverse("publication-edit", kwargs={"doi": doi})


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(pids, *, action="save", creators=None, related=None, funding=None, **fields):
    """A complete POST of the form: main fields, then each formset with its management form."""
    data = {
        "action": action,
        "title": "Tomography of steel welds",
        "abstract": "Neutron tomography of twelve welded steel samples.",
        "datasets": list(pids),
        "publisher": "ESS",
        "publication_year": "2026",
        "resource_type_general": "Dataset",
        "resource_type": "Raw data",
        "licence": "cc-by-4.0",
        "subjects": "neutron imaging\nsteel\n",
        **fields,
    }
    rows = {
        "creators": creators
        if creators is not None
        else [
            {
                "name_type": "Personal",
                "family_name": "Lovelace",
                "given_name": "Ada",
                "orcid": "https://orcid.org/0000-0002-1825-0097",
                "affiliation": "Paul Scherrer Institut",
                "affiliation_ror": "https://ror.org/03eh3y714",
            }
        ],
        "related": related or [],
        "funding": funding or [],
    }
    for prefix, entries in rows.items():
        data[f"{prefix}-TOTAL_FORMS"] = str(len(entries))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for number, entry in enumerate(entries):
            for name, value in entry.items():
                data[f"{prefix}-{number}-{name}"] = value
    return data


@pytest.fixture
def dataset(db):
    return make_dataset(dataset_name="Weld scan 1", keywords=["weld"], license="CC-BY-4.0")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (LIST, NEW):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"] and "next=" in response["Location"]


def test_the_form_offers_only_datasets_the_user_may_publish(owner, dataset):
    theirs = make_dataset(owner_group="someone-else", dataset_name="Not yours")

    page = signed_in(owner).get(NEW).content.decode()

    assert dataset.pid in page
    assert theirs.pid not in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_dataset_link_prefills_the_form(owner, dataset):
    page = signed_in(owner).get(f"{NEW}?dataset={dataset.pid}").content.decode()

    assert 'value="Weld scan 1"' in page
    assert f'value="{dataset.pid}"' in page and "checked" in page
    assert 'value="Lovelace"' in page  # the dataset's owner, Ada Lovelace, as first creator
    assert 'value="CC-BY-4.0"' in page


def test_saving_a_draft_stores_the_datacite_metadata(owner, dataset):
    response = signed_in(owner).post(NEW, form_data([dataset.pid]))

    record = PublishedData.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(record.doi)
    assert (record.state, record.status, record.created_by) == ("draft", "private", "olivia")
    assert record.dataset_pids == [dataset.pid]
    meta = record.metadata
    assert meta["creators"] == [
        {
            "name": "Lovelace, Ada",
            "nameType": "Personal",
            "familyName": "Lovelace",
            "givenName": "Ada",
            "nameIdentifiers": [
                {
                    "nameIdentifier": "https://orcid.org/0000-0002-1825-0097",
                    "nameIdentifierScheme": "ORCID",
                    "schemeUri": "https://orcid.org",
                }
            ],
            "affiliation": [
                {
                    "name": "Paul Scherrer Institut",
                    "affiliationIdentifier": "https://ror.org/03eh3y714",
                    "affiliationIdentifierScheme": "ROR",
                    "schemeUri": "https://ror.org",
                }
            ],
        }
    ]
    assert meta["rightsList"] == ["CC-BY-4.0"]  # the SPDX id as SPDX spells it
    assert meta["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "Raw data"}
    assert meta["subjects"] == [{"subject": "neutron imaging"}, {"subject": "steel"}]
    assert not Dataset.objects.get(pk=dataset.pk).is_published  # a draft publishes nothing


def test_a_saved_draft_opens_again_with_its_values(owner, dataset):
    client = signed_in(owner)
    client.post(
        NEW,
        form_data([dataset.pid], funding=[{"funder_name": "EC", "funder_identifier": "00k4n6c32"}]),
    )
    record = PublishedData.objects.get()

    page = client.get(edit_url(record.doi)).content.decode()

    assert 'value="0000-0002-1825-0097"' in page
    assert 'value="03eh3y714"' in page
    assert 'value="00k4n6c32"' in page
    assert "Draft" in page


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        ({"orcid": "0000-0002-1825-0096"}, "wrong check digit: the last character should be 7"),
        ({"orcid": "1234"}, "is not an ORCID iD"),
        ({"affiliation_ror": "03eh3y715"}, "wrong check digits: it should end in 14"),
        ({"affiliation_ror": "ror"}, "is not a ROR id"),
        ({"family_name": ""}, "Give the family name, or the organisation&#x27;s name."),
        ({"name_type": "Organizational"}, "ORCID iDs identify people, not organisations."),
        ({"affiliation": ""}, "Give the affiliation&#x27;s name with its ROR id."),
    ],
)
def test_bad_creators_are_refused_with_a_clear_message(owner, dataset, creator, message):
    row = {
        "name_type": "Personal",
        "family_name": "Lovelace",
        "given_name": "Ada",
        "orcid": "0000-0002-1825-0097",
        "affiliation": "PSI",
        "affiliation_ror": "03eh3y714",
        **creator,
    }
    response = signed_in(owner).post(NEW, form_data([dataset.pid], creators=[row]))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PublishedData.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"licence": "CC-BY-5.0"}, "is not an SPDX licence id"),
        ({"publication_year": "99999"}, "cannot be after"),
        ({"title": ""}, "Give the publication a title."),
    ],
)
def test_bad_main_fields_are_refused_with_a_clear_message(owner, dataset, fields, message):
    response = signed_in(owner).post(NEW, form_data([dataset.pid], **fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PublishedData.objects.exists()


def test_bad_related_identifiers_and_funders_are_refused(owner, dataset):
    response = signed_in(owner).post(
        NEW,
        form_data(
            [dataset.pid],
            related=[{"identifier": "not a thing", "relation_type": "IsCitedBy"}],
            funding=[{"funder_name": "EC", "funder_identifier": "12345"}],
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Cannot tell what kind of identifier" in page
    assert "is neither a ROR id" in page


def test_submitting_needs_what_datacite_requires(owner, dataset):
    response = signed_in(owner).post(
        NEW, form_data([dataset.pid], action="submit", creators=[], abstract="", licence="")
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Name at least one creator" in page
    assert "Write an abstract" in page
    assert "Choose a licence" in page
    assert not PublishedData.objects.exists()


def test_submitting_reserves_the_doi_and_publishes_the_datasets(owner, dataset, settings):
    settings.DOI_PREFIX = f"{PREFIX}/"
    client = signed_in(owner)

    response = client.post(NEW, form_data([dataset.pid], action="submit"))

    record = PublishedData.objects.get()
    assert response.status_code == 302 and response["Location"] == LIST
    assert (record.state, record.status) == ("reserved", "registered")
    assert record.doi.startswith(f"{PREFIX}/")
    assert Dataset.objects.get(pk=dataset.pk).is_published
    listing = client.get(LIST).content.decode()
    assert "badge state-reserved" in listing
    assert "DATACITE_URL is not set" in listing  # this site registers nothing yet


def test_outsiders_cannot_publish_other_peoples_datasets(outsider, dataset):
    client = signed_in(outsider)
    for fields in ({"datasets": [dataset.pid]}, {"datasets": [], "more_pids": dataset.pid}):
        response = client.post(NEW, {**form_data([]), **fields})
        assert response.status_code == 400
        assert "You may not publish these datasets" in response.content.decode()
    assert not PublishedData.objects.exists()
    assert not Dataset.objects.get(pk=dataset.pk).is_published


def test_outsiders_cannot_open_or_submit_someone_elses_publication(owner, outsider, dataset):
    signed_in(owner).post(NEW, form_data([dataset.pid]))
    record = PublishedData.objects.get()
    client = signed_in(outsider)

    assert client.get(edit_url(record.doi)).status_code == 403
    assert client.post(edit_url(record.doi), form_data([dataset.pid])).status_code == 403
    submit = reverse("publication-submit", kwargs={"doi": record.doi})
    assert client.post(submit).status_code == 403
    assert PublishedData.objects.get().state == DoiState.DRAFT
    assert client.get(edit_url("10.1/none")).status_code == 404


def test_add_another_row_keeps_what_was_typed_and_saves_nothing(owner, dataset):
    response = signed_in(owner).post(
        NEW, form_data([dataset.pid], action="add-creators", title="Kept title")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Kept title"' in page
    assert 'name="creators-1-family_name"' in page  # a second, empty creator row
    assert 'name="creators-TOTAL_FORMS" value="2"' in page
    assert 'class="field-error"' not in page
    assert not PublishedData.objects.exists()


def test_posts_without_a_csrf_token_are_refused(owner, dataset):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(NEW, form_data([dataset.pid])).status_code == 403


def test_a_failed_doi_shows_datacites_error_and_is_fixed_and_sent_again(owner, dataset, datacite):
    client = signed_in(owner)
    client.post(NEW, form_data([dataset.pid], action="submit"))
    record = PublishedData.objects.get()
    PublishedData.objects.filter(pk=record.pk).update(
        state=DoiState.FAILED,
        sync_requested_at=None,
        doi_error="DataCite answered 422: creators: DOI x: Missing child element(s).",
        doi_errors=[{"status": "422", "source": "creators", "title": "DOI x: Missing child"}],
    )

    listing = client.get(LIST).content.decode()
    assert "DataCite answered 422: creators" in listing and "Submit again" in listing
    page = client.get(edit_url(record.doi)).content.decode()
    assert "DataCite's answer:" in page
    creators_section = page[page.index('id="creators"') : page.index('id="publication"')]
    assert "DataCite: DOI x: Missing child" in creators_section

    response = client.post(edit_url(record.doi), form_data([dataset.pid], action="submit"))
    assert response.status_code == 302
    assert PublishedData.objects.get().state == DoiState.RESERVED
    published_data_sync(doi=record.doi)
    assert PublishedData.objects.get().state == DoiState.FINDABLE


def test_editing_a_findable_publication_sends_the_change_to_datacite(owner, dataset, datacite):
    client = signed_in(owner)
    client.post(NEW, form_data([dataset.pid], action="submit"))
    record = PublishedData.objects.get()
    published_data_sync(doi=record.doi)
    other = make_dataset()

    page = client.get(edit_url(record.doi)).content.decode()
    assert "Save and update DataCite" in page and "Fixed once the DOI was submitted" in page
    response = client.post(
        edit_url(record.doi), form_data([other.pid], title="Tomography of steel welds, v2")
    )

    assert response.status_code == 302
    record = PublishedData.objects.get()
    assert record.dataset_pids == [dataset.pid]  # the datasets are fixed after submission
    assert record.sync_requested_at is not None
    assert published_data_sync(doi=record.doi).kind == "done"
    assert b"Tomography of steel welds, v2" in datacite.dois[record.doi.lower()].xml


def test_the_dataset_page_offers_publishing_to_its_owners_only(owner, outsider, admin):
    dataset = make_dataset(user=SYSTEM, is_published=True)
    url = reverse("portal:dataset", kwargs={"pid": dataset.pid})
    link = f"{NEW}?dataset="

    assert link in signed_in(owner).get(url).content.decode()
    assert link in signed_in(admin).get(url).content.decode()
    assert link not in signed_in(outsider).get(url).content.decode()


def test_saving_a_draft_again_unchanged_keeps_its_rows(owner, dataset):
    client = signed_in(owner)
    client.post(NEW, form_data([dataset.pid]))
    record = PublishedData.objects.get()
    again = form_data([dataset.pid])
    again["creators-INITIAL_FORMS"] = "1"  # as the edit page renders it
    again["creators-0-orcid"] = "0000-0002-1825-0097"
    again["creators-0-affiliation_ror"] = "03eh3y714"

    assert client.post(edit_url(record.doi), again).status_code == 302

    assert PublishedData.objects.get().metadata["creators"][0]["familyName"] == "Lovelace"


def test_a_submit_reports_every_problem_at_once(owner, dataset):
    bad_orcid = {"name_type": "Personal", "family_name": "Lovelace", "orcid": "0000-0002-1825-0096"}
    response = signed_in(owner).post(
        NEW, form_data([dataset.pid], action="submit", abstract="", creators=[bad_orcid])
    )

    page = response.content.decode()
    assert "wrong check digit" in page
    assert "Write an abstract" in page
    assert "Nothing was saved" in page
