"""My data: the user's datasets, sharing by e-mail and editing as an owner, with history."""

import pytest
from django.urls import reverse

from catalogue.models import Dataset, HistoryEntry
from tests.factories import make_dataset


@pytest.fixture
def mine(db):
    return make_dataset(
        owner_group="p-owner",
        embargo_end=None,
        dataset_name="Olivia's scan",
        keywords=["tomo"],
    )


def edit_url(d):
    return reverse("portal:dataset-edit", kwargs={"pid": d.pid})


def share_url(d):
    return reverse("portal:dataset-share", kwargs={"pid": d.pid})


def edit_form(d, **changes):
    data = {
        "dataset_name": d.dataset_name,
        "description": d.description,
        "keywords": "\n".join(d.keywords),
        "principal_investigators": "\n".join(d.principal_investigators),
        "contact_email": d.contact_email,
        "version": d.updated_at.isoformat(),
    }
    data.update(changes)
    return data


def test_mydata_lists_owned_and_shared_datasets(client, owner, shared_user, mine):
    other = make_dataset(
        owner_group="p-other",
        embargo_end=None,
        shared_with=["sam@example.org"],
        dataset_name="Shared with Sam",
    )
    client.force_login(owner)
    owned = client.get(reverse("portal:mydata"))
    assert b"Olivia&#x27;s scan" in owned.content and b"Shared with Sam" not in owned.content
    client.force_login(shared_user)
    shared = client.get(reverse("portal:mydata"), {"tab": "shared"})
    assert b"Shared with Sam" in shared.content and b"Olivia" not in shared.content
    assert other.pid


def test_member_sees_access_group_datasets_in_their_tab(client, member):
    make_dataset(owner_group="p-owner", access_groups=["p-readers"], dataset_name="For readers")
    client.force_login(member)
    page = client.get(reverse("portal:mydata"), {"tab": "groups"})
    assert b"For readers" in page.content


def test_owner_edits_description_and_history_records_it(client, owner, mine):
    client.force_login(owner)
    answer = client.post(
        edit_url(mine),
        edit_form(mine, dataset_name="Better title", keywords="tomo, bone\nbone"),
    )
    assert answer.status_code == 302
    mine.refresh_from_db()
    assert mine.dataset_name == "Better title"
    assert mine.keywords == ["tomo", "bone"]
    entry = HistoryEntry.objects.filter(document_id=mine.pid, operation="update").get()
    assert entry.user == "olivia"
    assert set(entry.after) == {"dataset_name", "keywords"}
    page = client.get(reverse("portal:dataset", kwargs={"pid": mine.pid}))
    assert b"Recent changes" in page.content and b"Better title" in page.content


def test_stale_edit_form_is_refused_with_409(client, owner, mine):
    client.force_login(owner)
    stale = edit_form(mine, dataset_name="Mine")
    client.post(edit_url(mine), edit_form(mine, dataset_name="Theirs"))
    answer = client.post(edit_url(mine), stale)
    assert answer.status_code == 409
    assert Dataset.objects.get(pk=mine.pk).dataset_name == "Theirs"


def test_bad_edit_input_is_a_400_and_nothing_changes(client, owner, mine):
    client.force_login(owner)
    answer = client.post(edit_url(mine), edit_form(mine, contact_email="not-an-email"))
    assert answer.status_code == 400
    assert Dataset.objects.get(pk=mine.pk).contact_email == mine.contact_email


@pytest.mark.parametrize("persona", ["member", "outsider", "shared_user"])
def test_only_owners_may_edit_or_share(client, request, persona, mine):
    mine_shared = make_dataset(
        owner_group="p-owner", access_groups=["p-readers"], shared_with=["sam@example.org"]
    )
    client.force_login(request.getfixturevalue(persona))
    for url in (edit_url(mine_shared), share_url(mine_shared)):
        assert client.get(url).status_code == 403
    answer = client.post(edit_url(mine_shared), edit_form(mine_shared, dataset_name="x"))
    assert answer.status_code == 403
    assert client.post(share_url(mine_shared), {"emails": "eve@example.org"}).status_code == 403
    mine_shared.refresh_from_db()
    assert mine_shared.dataset_name != "x" and "eve@example.org" not in mine_shared.shared_with


def test_anonymous_is_sent_to_sign_in(client, mine):
    answer = client.get(edit_url(mine))
    assert answer.status_code == 302 and answer["Location"].startswith("/login?next=")


def test_admin_may_edit(client, admin, mine):
    client.force_login(admin)
    answer = client.post(edit_url(mine), edit_form(mine, description="checked by admin"))
    assert answer.status_code == 302


def test_missing_dataset_is_404(client, owner):
    client.force_login(owner)
    assert client.get(reverse("portal:dataset-edit", kwargs={"pid": "no/such"})).status_code == 404


def test_share_by_email_gives_read_access_and_unshare_takes_it(client, owner, shared_user, mine):
    page_url = reverse("portal:dataset", kwargs={"pid": mine.pid})
    client.force_login(shared_user)
    assert client.get(page_url).status_code == 403
    client.force_login(owner)
    answer = client.post(share_url(mine), {"emails": "Sam@Example.org, ann@example.org"})
    assert answer.status_code == 302
    mine.refresh_from_db()
    assert mine.shared_with == ["sam@example.org", "ann@example.org"]
    assert HistoryEntry.objects.filter(document_id=mine.pid, operation="update").exists()
    client.force_login(shared_user)
    assert client.get(page_url).status_code == 200
    client.force_login(owner)
    client.post(share_url(mine), {"remove": "sam@example.org"})
    mine.refresh_from_db()
    assert mine.shared_with == ["ann@example.org"]
    client.force_login(shared_user)
    assert client.get(page_url).status_code == 403


def test_share_refuses_non_addresses(client, owner, mine):
    client.force_login(owner)
    answer = client.post(share_url(mine), {"emails": "sam@example.org, <script>"})
    assert answer.status_code == 400
    assert b"&lt;script&gt;" in answer.content
    mine.refresh_from_db()
    assert mine.shared_with == []


def test_history_page_is_for_owners(client, owner, member, mine):
    url = reverse("portal:dataset-history", kwargs={"pid": mine.pid})
    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(member)
    assert client.get(url).status_code in (403,)


def test_owner_panel_hidden_from_readers(client, member):
    d = make_dataset(owner_group="p-owner", access_groups=["p-readers"])
    client.force_login(member)
    page = client.get(reverse("portal:dataset", kwargs={"pid": d.pid}))
    assert page.status_code == 200 and b'id="manage"' not in page.content
