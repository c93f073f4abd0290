"""The policy parts of the portal: the dataset page panel, access request pages, release and
embargo forms, usage conditions before a download."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import AccessRequest, Policy
from catalogue.services.access_requests import access_request_create
from catalogue.services.policies import dataset_usage_conditions_set
from portal.models import LicenceAcceptance
from tests.portal.conftest import accept, file_url, storage, with_files  # noqa: F401

from .conftest import days, embargoed, reload

pytestmark = pytest.mark.django_db

TITLE = "Secret scan of the hidden crystal"


@pytest.fixture
def closed():
    return embargoed(days(400), dataset_name=TITLE, license="CC-BY-4.0")


def page(client, dataset):
    return client.get(reverse("portal:dataset", kwargs={"pid": dataset.pid}))


def url(name, dataset=None, **kwargs):
    if dataset is not None:
        kwargs["pid"] = dataset.pid
    return reverse(f"portal:{name}", kwargs=kwargs)


# --- The dataset page panel -------------------------------------------------------------------


def test_panel_names_the_licence_conditions_and_embargo(client, owner, closed):
    Policy.objects.filter(owner_group="p-owner").update(usage_conditions="Cite the facility.")
    client.force_login(owner)

    text = page(client, closed).content.decode()

    assert "Creative Commons Attribution 4.0 International" in text
    assert "Cite the facility." in text
    assert "the files become public on" in text
    assert "Release now" in text
    assert "you are asked to accept the licence and the usage conditions once" in text


def test_a_reader_who_may_not_download_is_offered_a_request(client, outsider, closed, settings):
    settings.EMBARGO_METADATA_PUBLIC = True
    client.force_login(outsider)

    text = page(client, closed).content.decode()

    assert TITLE in text
    assert url("dataset-request-access", closed) in text
    assert "Release now" not in text


def test_anonymous_readers_are_asked_to_sign_in_to_request(client, closed, settings):
    settings.EMBARGO_METADATA_PUBLIC = True

    text = page(client, closed).content.decode()

    assert "Sign in to ask the owners" in text


def test_the_panel_shows_an_accepted_licence(client, owner, closed):
    LicenceAcceptance.objects.create(user=owner, dataset_pid=closed.pid, licence="CC-BY-4.0")
    client.force_login(owner)

    assert "you accepted CC-BY-4.0 on" in page(client, closed).content.decode()


# --- Asking --------------------------------------------------------------------------------------


def test_request_page_of_a_closed_dataset_shows_the_pid_only(client, outsider, closed):
    client.force_login(outsider)

    response = client.get(url("dataset-request-access", closed))

    assert response.status_code == 200
    text = response.content.decode()
    assert closed.pid in text and TITLE not in text


def test_asking_sends_the_request_and_lists_it_as_mine(client, outsider, closed):
    client.force_login(outsider)

    response = client.post(url("dataset-request-access", closed), {"message": "thesis"})

    assert response.status_code == 302 and response.url == url("access-requests-mine")
    request = AccessRequest.objects.get()
    assert (request.requester, request.message, request.status) == (outsider, "thesis", "pending")
    mine = client.get(url("access-requests-mine")).content.decode()
    assert "pending" in mine and closed.pid in mine and TITLE not in mine


def test_asking_twice_is_a_conflict_page(client, outsider, closed):
    client.force_login(outsider)
    client.post(url("dataset-request-access", closed), {"message": ""})

    assert client.post(url("dataset-request-access", closed), {}).status_code == 409


def test_anonymous_visitors_are_sent_to_sign_in(client, closed):
    response = client.get(url("dataset-request-access", closed))

    assert response.status_code == 302 and "login" in response.url


def test_an_unknown_dataset_is_a_404(client, outsider):
    client.force_login(outsider)

    assert client.get(url("dataset-request-access", pid="fedcat/none")).status_code == 404


# --- Answering -----------------------------------------------------------------------------------


def test_owner_sees_and_grants_a_request_until_a_date(client, owner, outsider, closed):
    request = access_request_create(user=outsider, dataset=closed, message="please")
    client.force_login(owner)

    inbox = client.get(url("access-requests")).content.decode()
    assert "please" in inbox and "oscar@example.org" in inbox
    until = (timezone.now() + days(10)).date().isoformat()
    response = client.post(
        url("access-request-decide", request_id=request.pk, decision="grant"),
        {"until": until, "note": "ok"},
    )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "granted"
    assert request.expires_at.date().isoformat() == until
    assert "oscar@example.org" in reload(closed).shared_with


def test_others_do_not_see_or_answer_requests(client, member, outsider, closed):
    request = access_request_create(user=outsider, dataset=closed)
    client.force_login(member)

    assert "oscar@example.org" not in client.get(url("access-requests")).content.decode()
    response = client.post(url("access-request-decide", request_id=request.pk, decision="grant"))
    assert response.status_code == 403
    assert AccessRequest.objects.get().status == "pending"


def test_refuse_end_and_withdraw_through_the_pages(client, owner, outsider, closed):
    first = access_request_create(user=outsider, dataset=closed)
    client.force_login(outsider)
    client.post(url("access-request-decide", request_id=first.pk, decision="withdraw"))
    second = access_request_create(user=outsider, dataset=closed)
    client.force_login(owner)
    client.post(
        url("access-request-decide", request_id=second.pk, decision="refuse"), {"note": "no"}
    )

    statuses = dict(AccessRequest.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "withdrawn", second.pk: "refused"}


def test_bad_decisions_are_4xx(client, owner, outsider, closed):
    request = access_request_create(user=outsider, dataset=closed)
    client.force_login(owner)

    assert (
        client.post(url("access-request-decide", request_id=999, decision="grant")).status_code
        == 404
    )
    bad = url("access-request-decide", request_id=request.pk, decision="explode")
    assert client.post(bad).status_code == 404
    grant = url("access-request-decide", request_id=request.pk, decision="grant")
    assert client.post(grant, {"until": "not a date"}).status_code == 400
    assert client.post(grant, {"until": "2001-01-01"}).status_code == 400
    assert client.get(grant).status_code == 405


# --- Release and embargo forms -------------------------------------------------------------------


def test_owner_releases_from_the_page(client, owner, closed):
    client.force_login(owner)

    response = client.post(url("dataset-embargo-release", closed), {"note": "paper out"})

    assert response.status_code == 302
    assert reload(closed).is_published
    assert "Released" in client.get(response.url).content.decode()


def test_outsiders_cannot_release(client, outsider, closed, settings):
    settings.EMBARGO_METADATA_PUBLIC = True
    client.force_login(outsider)

    assert client.post(url("dataset-embargo-release", closed)).status_code == 403
    assert not reload(closed).is_published


def test_admin_extends_from_the_page_and_an_owner_may_not(client, owner, admin, closed):
    later = (closed.embargo_end + days(365)).date().isoformat()
    client.force_login(owner)
    refused = client.post(url("dataset-embargo", closed), {"until": later, "reason": "more"})
    assert refused.status_code == 403

    client.force_login(admin)
    done = client.post(url("dataset-embargo", closed), {"until": later, "reason": "patent"})

    assert done.status_code == 302
    assert reload(closed).embargo_end.date().isoformat() == later


def test_an_embargo_change_without_reason_is_400(client, admin, closed):
    client.force_login(admin)

    assert client.post(url("dataset-embargo", closed), {"until": "2099-01-01"}).status_code == 400


# --- Usage conditions before downloads -----------------------------------------------------------


def test_owner_sets_dataset_conditions_and_the_licence_page_shows_them(
    client,
    owner,
    closed,
    storage,  # noqa: F811
):
    client.force_login(owner)

    client.post(url("dataset-conditions", closed), {"conditions": "No commercial use."})

    licence = client.get(url("dataset-licence", closed)).content.decode()
    assert "No commercial use." in licence
    assert "Creative Commons Attribution 4.0 International" in licence


def test_changed_conditions_are_accepted_again(client, owner, storage):  # noqa: F811
    dataset = embargoed(days(100), source_folder=str(storage), license="CC-BY-4.0")
    files = with_files(dataset, ["scan.nxs"])
    client.force_login(owner)
    accept(client, dataset)
    assert client.get(file_url(dataset, files[0])).status_code == 200

    dataset_usage_conditions_set(user=owner, dataset=dataset, text="Acknowledge grant 123.")

    again = client.get(file_url(dataset, files[0]))
    assert again.status_code == 302 and "licence" in again.url
    accept(client, dataset)
    assert client.get(file_url(dataset, files[0])).status_code == 200
    accepted = LicenceAcceptance.objects.filter(user=owner).order_by("id")
    assert list(accepted.values_list("conditions", flat=True)) == ["", "Acknowledge grant 123."]


def test_only_owners_set_conditions(client, member):
    dataset = embargoed(days(100), access_groups=["p-readers"])
    client.force_login(member)

    assert client.post(url("dataset-conditions", dataset), {"conditions": "x"}).status_code == 403


def test_a_refused_dataset_page_offers_a_request(client, outsider, closed):
    client.force_login(outsider)

    response = page(client, closed)

    assert response.status_code == 403
    text = response.content.decode()
    assert url("dataset-request-access", closed) in text and TITLE not in text


def test_the_inbox_is_linked_from_every_page_for_signed_in_users(client, owner):
    client.force_login(owner)

    assert url("access-requests") in client.get("/").content.decode()


def test_dates_at_the_edge_of_the_calendar_are_400_not_500(client, admin, owner, outsider, closed):
    request = access_request_create(user=outsider, dataset=closed)
    client.force_login(admin)

    embargo = client.post(url("dataset-embargo", closed), {"until": "9999-12-31", "reason": "x"})
    grant = client.post(
        url("access-request-decide", request_id=request.pk, decision="grant"),
        {"until": "0001-01-01"},
    )

    assert embargo.status_code in (302, 400)
    assert grant.status_code == 400
