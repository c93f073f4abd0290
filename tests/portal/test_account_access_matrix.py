"""Downloads of private, embargoed and shared files by every persona: a file, a zip and the
licence page, through a session and through an API token. The expected answers come from the
permission table (docs/access-rules.md), written out here so a change to it shows up."""

import pytest
from django.test import Client

from catalogue.services import token_issue
from portal.models import DownloadLog
from tests.factories import make_dataset, make_user
from tests.portal.conftest import SCAN, accept, body, file_url, licence_url, with_files, zip_url

pytestmark = pytest.mark.django_db

FUTURE = "2999-01-01T00:00:00Z"
# situation -> personas who may download (everyone else gets 403)
ALLOWED = {
    "private": {"owner", "admin"},
    "embargoed": {"owner", "admin"},
    "access_group": {"owner", "admin", "member"},
    "shared": {"owner", "admin", "shared"},
    "embargo_ended": {"owner", "admin", "member", "shared", "outsider", "lifecycle", "anonymous"},
}
PERSONAS = ["anonymous", "outsider", "member", "shared", "lifecycle", "owner", "admin"]


@pytest.fixture
def people(db, settings, owner, member, outsider, admin, shared_user):
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = ["archivists"]
    return {
        "anonymous": None,
        "outsider": outsider,
        "member": member,
        "shared": shared_user,
        "lifecycle": make_user("arch", "archivists"),
        "owner": owner,
        "admin": admin,
    }


def situation(storage, kind):
    fields = {"source_folder": str(storage), "embargo_end": None, "license": "CC-BY-4.0"}
    if kind == "embargoed":
        fields["embargo_end"] = FUTURE
    elif kind == "access_group":
        fields["access_groups"] = ["p-readers"]
    elif kind == "shared":
        fields["shared_with"] = ["sam@example.org"]
    elif kind == "embargo_ended":
        fields["embargo_end"] = "2001-01-01T00:00:00Z"
    dataset = make_dataset(owner_group="p-owner", **fields)
    return dataset, with_files(dataset, ["scan.nxs"])


@pytest.mark.parametrize("kind", sorted(ALLOWED))
@pytest.mark.parametrize("persona", PERSONAS)
def test_session_downloads_follow_the_permission_table(client, storage, people, kind, persona):
    dataset, files = situation(storage, kind)
    if people[persona] is not None:
        client.force_login(people[persona])
    allowed = persona in ALLOWED[kind]
    licence = client.get(licence_url(dataset))
    assert licence.status_code == (200 if allowed else 403)
    if allowed:
        accept(client, dataset)
    single = client.get(file_url(dataset, files[0]))
    archive = client.get(zip_url(dataset))
    if allowed:
        assert (single.status_code, archive.status_code) == (200, 200)
        assert body(single) == SCAN
        assert len(body(archive)) > len(SCAN)
        assert DownloadLog.objects.count() == 2
    else:
        assert (single.status_code, archive.status_code) == (403, 403)
        assert not DownloadLog.objects.exists()


@pytest.mark.parametrize("kind", ["private", "embargoed", "shared"])
@pytest.mark.parametrize("persona", ["outsider", "member", "shared", "owner"])
def test_token_downloads_follow_the_permission_table(storage, people, kind, persona):
    dataset, files = situation(storage, kind)
    user = people[persona]
    browser = Client()
    browser.force_login(user)
    accept(browser, dataset)  # refused (403) for those who may not download: nothing recorded
    raw, _ = token_issue(user=user)
    script = Client()
    answer = script.get(file_url(dataset, files[0]), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == (200 if persona in ALLOWED[kind] else 403)


@pytest.mark.parametrize("kind", ["private", "embargoed"])
def test_a_bad_token_downloads_nothing(client, storage, kind):
    dataset, files = situation(storage, kind)
    for token in ("fc_forged", "x" * 9000, "eyJ.e30.sig"):
        answer = client.get(file_url(dataset, files[0]), HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 403
