"""The access audit: who changed access and who downloaded what, for admins, as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalogue.access import SYSTEM
from catalogue.models import AccessEvent
from catalogue.services import dataset_update
from portal.models import DownloadLog
from tests.factories import make_dataset, make_user

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:catalogue_accessevent_changelist")
EVENTS_CSV = reverse("admin:catalogue_accessevent_export")
DOWNLOADS_CSV = reverse("admin:portal_downloadlog_export")


def rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_every_access_change_is_audited_with_before_and_after(owner):
    dataset = make_dataset(access_groups=["p-readers"])

    dataset_update(
        user=owner,
        dataset=dataset,
        changes={"access_groups": [], "shared_with": ["x@example.org"], "dataset_name": "n"},
    )
    dataset_update(user=SYSTEM, dataset=dataset, changes={"is_published": True, "owner_group": "g"})

    events = {
        (e.kind, e.action, e.actor): (e.before, e.after)
        for e in AccessEvent.objects.filter(subject=dataset.pid)
    }
    assert events == {
        ("access_groups", "removed", "olivia"): (["p-readers"], []),
        ("shared_with", "added", "olivia"): ([], ["x@example.org"]),
        ("publication", "published", "system"): (False, True),
        ("owner_group", "changed", "system"): ("p-owner", "g"),
    }


def test_changes_through_the_scicat_api_are_audited(client, owner):
    from catalogue.services.tokens import token_issue

    dataset = make_dataset()
    token = token_issue(user=owner)[0]
    path = f"/api/v3/datasets/{dataset.pid.replace('/', '%2F')}"

    response = client.patch(
        path,
        {"accessGroups": ["p-guests"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    event = AccessEvent.objects.get(subject=dataset.pid)
    assert (event.kind, event.actor, event.after) == ("access_groups", "olivia", ["p-guests"])


def test_unrelated_changes_leave_no_audit_row(owner):
    dataset = make_dataset()

    dataset_update(user=owner, dataset=dataset, changes={"description": "new words"})

    assert not AccessEvent.objects.exists()


# --- Admin list and CSV ------------------------------------------------------------------------


@pytest.fixture
def staff_owner(owner):
    owner.is_staff = True
    owner.save()
    owner.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return owner


def test_admins_list_and_filter_the_audit(client, admin):
    admin.is_staff = True
    admin.save()
    make_dataset(access_groups=["a"])
    AccessEvent.objects.create(
        actor="olivia", subject="fedcat/1", kind="shared_with", action="added"
    )
    AccessEvent.objects.create(actor="mike", subject="fedcat/2", kind="embargo", action="extended")
    client.force_login(admin)

    page = client.get(EVENTS, {"kind": "embargo"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "fedcat/2" in text and "fedcat/1" not in text
    assert "export.csv?kind=embargo" in text


def test_the_csv_export_follows_the_list_filters(client, admin):
    admin.is_staff = True
    admin.save()
    AccessEvent.objects.create(
        actor="olivia", subject="fedcat/1", kind="shared_with", action="added", after=["a@b.c"]
    )
    AccessEvent.objects.create(actor="mike", subject="fedcat/2", kind="embargo", action="extended")
    client.force_login(admin)

    everything = rows(client.get(EVENTS_CSV))
    filtered = rows(client.get(EVENTS_CSV, {"kind": "shared_with"}))

    assert {row["subject"] for row in everything} == {"fedcat/1", "fedcat/2"}
    assert filtered == [
        {
            "timestamp": filtered[0]["timestamp"],
            "actor": "olivia",
            "subject": "fedcat/1",
            "kind": "shared_with",
            "action": "added",
            "before": "",
            "after": '["a@b.c"]',
            "note": "",
        }
    ]
    assert client.get(EVENTS_CSV, {"nonsense__field": "1"}).status_code == 400


def test_csv_cells_that_look_like_formulas_are_defused(client, admin):
    admin.is_staff = True
    admin.save()
    AccessEvent.objects.create(actor="x", subject="s", kind="policy", note="=HYPERLINK(1)")
    client.force_login(admin)

    assert rows(client.get(EVENTS_CSV))[0]["note"] == "'=HYPERLINK(1)"


def test_staff_who_are_not_admins_see_no_audit(client, staff_owner):
    client.force_login(staff_owner)

    assert client.get(EVENTS).status_code == 403
    assert client.get(EVENTS_CSV).status_code == 403
    assert client.get(DOWNLOADS_CSV).status_code == 403


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(EVENTS_CSV)

    assert response.status_code == 302 and "login" in response.url


def test_downloads_export_as_csv_filtered_by_kind(client, admin):
    admin.is_staff = True
    admin.save()
    reader = make_user("rita")
    DownloadLog.objects.create(user=reader, dataset_pid="fedcat/1", kind="file", file_path="a.h5")
    DownloadLog.objects.create(dataset_pid="fedcat/2", kind="zip", number_of_files=3)
    client.force_login(admin)

    found = rows(client.get(DOWNLOADS_CSV, {"kind__exact": "zip"}))

    assert [(r["dataset"], r["user"], r["files"]) for r in found] == [("fedcat/2", "", "3")]
    every = rows(client.get(DOWNLOADS_CSV))
    assert {(r["dataset"], r["user"]) for r in every} == {("fedcat/1", "rita"), ("fedcat/2", "")}


def test_selected_rows_export_through_the_admin_action(client, admin):
    admin.is_staff = True
    admin.save()
    keep = AccessEvent.objects.create(actor="a", subject="s1", kind="policy")
    AccessEvent.objects.create(actor="b", subject="s2", kind="policy")
    client.force_login(admin)

    response = client.post(EVENTS, {"action": "export_selected_csv", "_selected_action": [keep.pk]})

    assert [row["subject"] for row in rows(response)] == ["s1"]
