"""Published data in the admin: the DOI state and DataCite's error, and "retry registration"."""

import json

import pytest
from django.urls import reverse

from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.services.published import published_data_sync
from tests.catalogue.publishing.conftest import minted

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalogue_publisheddata_changelist")


def test_the_list_shows_state_and_datacite_error_and_retry_sends_again(admin_client, datacite):
    record = minted()
    PublishedData.objects.filter(pk=record.pk).update(
        state=DoiState.FAILED, doi_error="DataCite answered 403: not yours", sync_requested_at=None
    )

    page = admin_client.get(CHANGELIST).content.decode()
    assert "DataCite answered 403: not yours" in page and ">failed<" in page

    response = admin_client.post(
        CHANGELIST, {"action": "retry_registration", "_selected_action": [record.pk]}, follow=True
    )
    assert "Sent 1 DOI(s) to DataCite again." in response.content.decode()
    assert PublishedData.objects.get().state == DoiState.RESERVED
    assert published_data_sync(doi=record.doi).kind == "done"
    assert PublishedData.objects.get().state == DoiState.FINDABLE


def test_the_change_page_shows_the_lifecycle_read_only(admin_client, datacite):
    record = minted()
    url = reverse("admin:catalogue_publisheddata_change", args=[record.pk])

    page = admin_client.get(url).content.decode()

    assert "DOI at DataCite" in page
    assert 'name="state"' not in page  # read-only: written by the task and the services


def test_editing_the_title_in_the_admin_goes_to_datacite(admin_client, datacite):
    record = minted()
    published_data_sync(doi=record.doi)
    url = reverse("admin:catalogue_publisheddata_change", args=[record.pk])
    record.refresh_from_db()
    data = {
        "doi": record.doi,
        "title": "Renamed in the admin",
        "abstract": record.abstract,
        "dataset_pids": json.dumps(record.dataset_pids),
        "metadata": json.dumps(record.metadata),
        "status": record.status,
        "registered_time_0": record.registered_time.strftime("%Y-%m-%d"),
        "registered_time_1": record.registered_time.strftime("%H:%M:%S"),
        "number_of_files": record.number_of_files,
        "size_of_archive": record.size_of_archive,
        "withdrawal_reason": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert published_data_sync(doi=record.doi).kind == "done"
    assert b"Renamed in the admin" in datacite.dois[record.doi.lower()].xml
