"""Who may download, and the licence accepted once before the first download."""

import pytest
from django.test import Client
from django.urls import reverse

from catalogue.access import SYSTEM
from catalogue.services import dataset_update, token_issue
from portal.models import DownloadLog, LicenceAcceptance
from tests.factories import make_dataset, make_user
from tests.portal.conftest import (
    SCAN,
    accept,
    body,
    file_url,
    licence_url,
    with_files,
    zip_url,
)

pytestmark = pytest.mark.django_db


# --- licence -------------------------------------------------------------------------------


def test_first_download_asks_for_the_licence_then_serves_the_file(client, public_with_files):
    dataset, files = public_with_files
    url = file_url(dataset, files[0])

    first = client.get(url)
    assert first.status_code == 302
    assert first["Location"].startswith(licence_url(dataset) + "?next=")
    form = client.get(first["Location"])
    assert 'href="https://spdx.org/licenses/CC-BY-4.0.html"' in form.content.decode()
    assert 'name="csrfmiddlewaretoken"' in form.content.decode()

    accepted = accept(client, dataset, next_url=url)
    assert accepted.status_code == 302 and accepted["Location"] == url
    response = client.get(url)

    assert response.status_code == 200
    assert body(response) == SCAN
    row = LicenceAcceptance.objects.get()
    assert (row.dataset_pid, row.licence, row.user) == (dataset.pid, "CC-BY-4.0", None)
    assert row.session_key == client.session.session_key


def test_signed_in_user_accepts_once_for_all_sessions(public_with_files, owner):
    dataset, files = public_with_files
    first, second = Client(), Client()
    first.force_login(owner)
    second.force_login(owner)

    accept(first, dataset)
    response = second.get(file_url(dataset, files[0]))

    assert response.status_code == 200
    assert LicenceAcceptance.objects.get().user == owner


def test_a_changed_licence_is_asked_again(client, owner, accepted):
    dataset, files = accepted
    dataset_update(user=SYSTEM, dataset=dataset, changes={"license": "CC0-1.0"})

    response = client.get(file_url(dataset, files[0]))

    assert response.status_code == 302
    assert "/licence?next=" in response["Location"]


def test_acceptance_needs_the_box_ticked(client, public_with_files):
    dataset, _ = public_with_files

    response = client.post(licence_url(dataset), {"next": ""})

    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert not LicenceAcceptance.objects.exists()


def test_acceptance_form_enforces_csrf(public_with_files):
    dataset, _ = public_with_files
    client = Client(enforce_csrf_checks=True)

    refused = client.post(licence_url(dataset), {"accept": "on"})
    assert refused.status_code == 403
    assert not LicenceAcceptance.objects.exists()

    client.get(licence_url(dataset))
    token = client.cookies["csrftoken"].value
    allowed = client.post(licence_url(dataset), {"accept": "on", "csrfmiddlewaretoken": token})
    assert allowed.status_code == 302
    assert LicenceAcceptance.objects.count() == 1


def test_acceptance_never_redirects_off_the_dataset(client, public_with_files):
    dataset, _ = public_with_files

    response = accept(client, dataset, next_url="https://evil.example/steal")

    assert response["Location"] == reverse("portal:dataset", kwargs={"pid": dataset.pid})


# --- who may download ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["private", "embargoed"])
def test_anonymous_cannot_download_private_or_embargoed_files(client, storage, kind):
    end = None if kind == "private" else "2999-01-01T00:00:00Z"
    dataset = make_dataset(source_folder=str(storage), embargo_end=end)
    files = with_files(dataset, ["scan.nxs"])

    responses = [
        client.get(file_url(dataset, files[0])),
        client.get(zip_url(dataset)),
        client.get(licence_url(dataset)),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert not DownloadLog.objects.exists()


def test_outsider_cannot_download_but_owner_can(client, storage, outsider, owner):
    dataset = make_dataset(source_folder=str(storage), embargo_end=None)
    files = with_files(dataset, ["scan.nxs"])

    client.force_login(outsider)
    assert client.get(file_url(dataset, files[0])).status_code == 403
    client.force_login(owner)
    accept(client, dataset)
    assert body(client.get(file_url(dataset, files[0]))) == SCAN


def test_reading_without_download_right_is_refused(client, storage, settings):
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = ["archivists"]
    dataset = make_dataset(source_folder=str(storage), embargo_end=None)
    files = with_files(dataset, ["scan.nxs"])
    client.force_login(make_user("arch", "archivists"))

    response = client.get(file_url(dataset, files[0]))

    assert response.status_code == 403
    assert "not download" in response.content.decode()


def test_api_token_downloads_after_the_user_accepted(public_with_files, owner):
    dataset, files = public_with_files
    raw, _ = token_issue(user=owner)
    browser = Client()
    browser.force_login(owner)
    accept(browser, dataset)

    response = Client().get(file_url(dataset, files[0]), HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    assert DownloadLog.objects.get().user == owner


def test_downloads_disabled_without_roots(client, public_with_files, settings):
    dataset, files = public_with_files
    settings.DOWNLOAD_ROOTS = []

    response = client.get(file_url(dataset, files[0]))

    assert response.status_code == 404
    assert "Downloads are not enabled" in response.content.decode()
