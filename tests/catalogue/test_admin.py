"""The admin: every page answers, writes go through the services and the access rules, and the
big tables never count all their rows."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue.admin.base import LargeTablePaginator
from catalogue.models import (
    AccessEvent,
    AccessRequest,
    ApiToken,
    Attachment,
    Datablock,
    DataFile,
    Dataset,
    DatasetPolicy,
    DatasetTerm,
    EmbargoNotice,
    HarvestRecord,
    HarvestRun,
    HistoryEntry,
    Instrument,
    OrigDatablock,
    Policy,
    Proposal,
    PublishedData,
    Sample,
    Technique,
)
from catalogue.services.tokens import token_issue
from portal.auth.models import OidcIdentity
from portal.models import DownloadLog, LicenceAcceptance
from search.models import Partner
from tests.factories import make_dataset, make_user

THUMBNAIL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYAAAAAMAASsJTYQAAAAASUVORK5CYII="
)
READ_ONLY_MODELS = {ApiToken, DatasetTerm, DataFile, HarvestRecord, HarvestRun, HistoryEntry}
# The data-policy records (catalogue/admin/audit.py) are written by the site only.
READ_ONLY_MODELS |= {AccessEvent, AccessRequest, DatasetPolicy, EmbargoNotice}
READ_ONLY_MODELS |= {DownloadLog, LicenceAcceptance}  # the download audit (portal/admin.py)
READ_ONLY_MODELS |= {OidcIdentity}  # written at sign-in (portal/auth/admin.py)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class _ChangeForm(HTMLParser):
    """Collects what a browser would submit from the admin's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._inside = False
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self._inside = True
        name = attrs.get("name")
        if not self._inside:
            return
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data[name] = attrs.get("value") or "on"
            else:
                self.data[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(response) -> dict[str, str]:
    parser = _ChangeForm()
    parser.feed(response.content.decode())
    # Browsers drop the newline Django puts after <textarea>.
    return {name: value.removeprefix("\n") for name, value in parser.data.items()}


def post_new_dataset(client, **fields):
    """Submits the admin's "add dataset" form, filled in as a browser would, with `fields`."""
    data = form_data(client.get(admin_url(Dataset, "add")))
    data.update(type="raw", creation_time_0="2026-01-15", creation_time_1="10:00:00", **fields)
    return client.post(admin_url(Dataset, "add"), data)


def make_block(dataset, files: int = 1, prefix: str = "scan") -> OrigDatablock:
    block = OrigDatablock.objects.create(
        dataset=dataset, owner_group=dataset.owner_group, size=files * 10, number_of_files=files
    )
    DataFile.objects.bulk_create(
        DataFile(dataset=dataset, origdatablock=block, path=f"{prefix}/f{i:03d}.h5", size=10)
        for i in range(files)
    )
    return block


@pytest.fixture
def one_of_each(db, admin_user):
    dataset = make_dataset(keywords=["tomo"])
    block = make_block(dataset)
    run = HarvestRun.objects.create(paths=["/data"])
    return {
        Dataset: dataset,
        DatasetTerm: dataset.terms.get(kind="keyword"),
        OrigDatablock: block,
        Datablock: Datablock.objects.create(
            dataset=dataset, owner_group="p-owner", archive_id="arch-1", version="1"
        ),
        DataFile: block.files.get(),
        Proposal: Proposal.objects.create(
            proposal_id="p1234", email="pi@example.org", title="Tomography", owner_group="p-owner"
        ),
        Sample: Sample.objects.create(sample_id="s-1", owner_group="p-owner"),
        Instrument: Instrument.objects.create(pid="i-1", unique_name="TOMCAT", name="Tomcat"),
        # A pid with slashes and a colon: the admin must quote it in its URLs.
        Technique: Technique.objects.create(
            pid="http://purl.org/pan-science/PaNET/PaNET01188", name="tomography"
        ),
        Attachment: Attachment.objects.create(
            dataset=dataset, owner_group="p-owner", thumbnail=THUMBNAIL, caption="preview"
        ),
        Policy: Policy.objects.get(owner_group="p-owner"),
        PublishedData: PublishedData.objects.create(doi="10.5072/fedcat.1", title="Data"),
        HistoryEntry: HistoryEntry.objects.get(document_id=dataset.pid),
        ApiToken: token_issue(user=admin_user)[1],
        HarvestRun: run,
        HarvestRecord: HarvestRecord.objects.create(
            key="0" * 64, source="/data/x.nxs", kind="file", state="new", dataset=dataset, run=run
        ),
        User: admin_user,
        OidcIdentity: OidcIdentity.objects.create(
            user=make_user("olivia"), subject="sub-1", issuer="https://login.example.org"
        ),
        Group: Group.objects.create(name="p-owner"),
        Partner: Partner.objects.create(
            name="psi", kind="panosc", base_url="https://data.example.org/api"
        ),
        **policy_examples(dataset, admin_user),
    }


def policy_examples(dataset, user) -> dict:
    """One record of each data-policy model (catalogue/models/{audit,access_requests,policies})."""
    return {
        AccessEvent: AccessEvent.objects.create(
            actor="ada", subject=dataset.pid, kind="shared_with", action="added", after=["x@y.z"]
        ),
        AccessRequest: AccessRequest.objects.create(
            dataset=dataset, requester=user, email="x@y.z", message="please"
        ),
        DatasetPolicy: DatasetPolicy.objects.create(dataset=dataset, usage_conditions="cite us"),
        EmbargoNotice: EmbargoNotice.objects.create(
            dataset=dataset, embargo_end=dataset.creation_time, recipients=["x@y.z"]
        ),
        DownloadLog: DownloadLog.objects.create(
            user=user, dataset_pid=dataset.pid, kind="file", file_path="a.h5", size=3
        ),
        LicenceAcceptance: LicenceAcceptance.objects.create(
            user=user, dataset_pid=dataset.pid, licence="CC-BY-4.0", conditions="cite us"
        ),
    }


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_page_answers(admin_client, one_of_each, model):
    if model not in one_of_each:
        pytest.fail(f"no example {model._meta.label}: add one to the one_of_each fixture")
    obj = one_of_each[model]

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (403 if model in READ_ONLY_MODELS else 200)


def test_saving_a_dataset_records_history_and_reindexes_its_terms(admin_client, admin_user):
    dataset = make_dataset(keywords=["tomo"])
    data = form_data(admin_client.get(admin_url(Dataset, "change", dataset.pk)))
    data.update(keywords='["tomo", "ct"]', dataset_name="renamed")

    response = admin_client.post(admin_url(Dataset, "change", dataset.pk), data)

    assert response.status_code == 302
    entry = HistoryEntry.objects.get(document_id=dataset.pid, operation="update")
    assert entry.user == admin_user.username
    assert entry.after == {"keywords": ["tomo", "ct"], "dataset_name": "renamed"}
    keywords = dataset.terms.filter(kind="keyword").values_list("value", flat=True)
    assert sorted(keywords) == ["ct", "tomo"]
    dataset.refresh_from_db()
    assert dataset.updated_by == admin_user.username


def test_adding_a_dataset_goes_through_the_service(admin_client, admin_user):
    response = post_new_dataset(
        admin_client,
        owner_group="p-new",
        owner="Ada Lovelace",
        contact_email="ada@example.org",
        source_folder="/data/p1/run7/",
    )

    assert response.status_code == 302
    dataset = Dataset.objects.get(owner_group="p-new")
    assert dataset.pid.startswith("fedcat/")
    assert dataset.source_folder == "/data/p1/run7"
    assert dataset.embargo_end is not None  # from the policy the service made for p-new
    assert Policy.objects.filter(owner_group="p-new").exists()
    assert HistoryEntry.objects.get(document_id=dataset.pid).user == admin_user.username


def test_a_service_refusal_is_an_admin_message_not_a_server_error(client, db):
    staff = make_user("sam", "p-sam", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_dataset", "view_dataset"])
    )
    client.force_login(staff)

    response = post_new_dataset(
        client,
        owner_group="p-someone-else",
        owner="Sam",
        contact_email="sam@example.org",
        source_folder="/data/x",
    )

    assert response.status_code == 302
    assert "Unauthorized to create this dataset" in messages_of(response)
    assert not Dataset.objects.exists()


def test_staff_who_are_not_admins_see_only_what_they_may_read(client, owner):
    mine = make_dataset(owner_group="p-owner")
    theirs = make_dataset(owner_group="p-other")
    my_file, _ = make_block(mine).files.get(), make_block(theirs)
    owner.is_staff = True
    owner.save()
    owner.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_dataset", "view_datafile"])
    )
    client.force_login(owner)

    datasets = client.get(admin_url(Dataset, "changelist")).context["cl"].result_list
    files = client.get(admin_url(DataFile, "changelist")).context["cl"].result_list

    assert list(datasets) == [mine]
    assert list(files) == [my_file]
    assert client.get(admin_url(Dataset, "change", theirs.pk)).status_code == 302  # "not found"


def _owner_group_choices(response) -> list[str]:
    (spec,) = [s for s in response.context["cl"].filter_specs if s.title == "owner group"]
    return [value for value, _ in spec.lookup_choices]


def test_the_owner_group_filter_offers_the_groups_a_user_may_see(admin_client, client, owner):
    for group in ("p-owner", "p-b", "p-b", "p-a"):
        make_dataset(owner_group=group)
    owner.is_staff = True
    owner.save()
    owner.user_permissions.add(Permission.objects.get(codename="view_dataset"))
    client.force_login(owner)
    changelist = admin_url(Dataset, "changelist")

    assert _owner_group_choices(admin_client.get(changelist)) == ["p-a", "p-b", "p-owner"]
    assert _owner_group_choices(client.get(changelist)) == ["p-owner"]


def test_history_entries_cannot_be_added_changed_or_deleted(admin_client):
    dataset = make_dataset()
    entry = HistoryEntry.objects.get(document_id=dataset.pid)

    assert admin_client.get(admin_url(HistoryEntry, "add")).status_code == 403
    changed = admin_client.post(admin_url(HistoryEntry, "change", entry.pk), {"user": "mallory"})
    assert changed.status_code == 403
    deleted = admin_client.post(admin_url(HistoryEntry, "delete", entry.pk), {"post": "yes"})
    assert deleted.status_code == 403
    admin_client.post(
        admin_url(HistoryEntry, "changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    entry.refresh_from_db()
    assert entry.user == "system"


def test_history_is_searched_by_document_id_and_filtered_by_user(admin_client):
    first, second = make_dataset(), make_dataset()
    changelist = admin_url(HistoryEntry, "changelist")

    found = admin_client.get(changelist, {"q": first.pid}).context["cl"].result_list
    assert [entry.document_id for entry in found] == [first.pid]
    by_user = admin_client.get(changelist, {"user": "system", "subsystem": "Dataset"})
    assert {e.document_id for e in by_user.context["cl"].result_list} == {first.pid, second.pid}
    assert not admin_client.get(changelist, {"user": "mallory"}).context["cl"].result_list


def _delete_all_ways(admin_client, first, second):
    admin_client.post(admin_url(Dataset, "delete", first.pk), {"post": "yes"})
    return admin_client.post(
        admin_url(Dataset, "changelist"),
        {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"},
    )


def test_a_superuser_outside_delete_groups_cannot_delete_datasets(admin_client, settings):
    settings.DELETE_GROUPS = ["curators"]
    first, second = make_dataset(), make_dataset()

    assert admin_client.get(admin_url(Dataset, "delete", first.pk)).status_code == 403
    _delete_all_ways(admin_client, first, second)

    assert Dataset.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    assert not HistoryEntry.objects.filter(operation="delete").exists()


def test_a_superuser_in_delete_groups_deletes_datasets_through_the_service(
    admin_client, admin_user, settings
):
    settings.DELETE_GROUPS = ["curators"]
    admin_user.groups.add(Group.objects.create(name="curators"))
    first, second = make_dataset(), make_dataset()

    response = _delete_all_ways(admin_client, first, second)

    assert response.status_code == 302
    assert not Dataset.objects.filter(pk__in=[first.pk, second.pk]).exists()
    deleted = HistoryEntry.objects.filter(operation="delete", user=admin_user.username)
    assert sorted(deleted.values_list("document_id", flat=True)) == sorted([first.pid, second.pid])


def test_the_delete_page_counts_a_datasets_files_instead_of_listing_them(
    admin_client, admin_user, settings
):
    settings.DELETE_GROUPS = ["curators"]
    admin_user.groups.add(Group.objects.create(name="curators"))
    dataset = make_dataset()
    make_block(dataset, files=3, prefix="secret-path")

    response = admin_client.get(admin_url(Dataset, "delete", dataset.pk))

    assert response.status_code == 200
    assert dict(response.context["model_count"])["data files"] == 3
    assert b"secret-path" not in response.content


def test_publish_and_unpublish_actions_go_through_the_service(admin_client, admin_user):
    datasets = [make_dataset(), make_dataset()]
    changelist = admin_url(Dataset, "changelist")
    pks = [dataset.pk for dataset in datasets]

    published = admin_client.post(
        changelist, {"action": "publish_selected", "_selected_action": pks}
    )
    assert "Published 2 datasets." in messages_of(published)
    assert Dataset.objects.filter(pk__in=pks, is_published=True).count() == 2
    unpublished = admin_client.post(
        changelist, {"action": "unpublish_selected", "_selected_action": pks[:1]}
    )
    assert "Unpublished 1 dataset." in messages_of(unpublished)
    assert list(Dataset.objects.filter(is_published=True)) == [datasets[1]]
    updates = HistoryEntry.objects.filter(operation="update", user=admin_user.username)
    assert updates.count() == 3


def test_publishing_without_update_rights_is_reported_not_a_server_error(client, member):
    dataset = make_dataset(access_groups=["p-readers"])
    member.is_staff = True
    member.save()
    member.user_permissions.add(Permission.objects.get(codename="view_dataset"))
    client.force_login(member)

    response = client.post(
        admin_url(Dataset, "changelist"),
        {"action": "publish_selected", "_selected_action": [dataset.pk]},
    )

    assert response.status_code == 302
    assert f"{dataset.pid}: Unauthorized to update this dataset" in messages_of(response)
    dataset.refresh_from_db()
    assert dataset.is_published is False


def _full_counts(queries) -> list[str]:
    """COUNT queries over the dataset table that no LIMIT bounds."""
    return [
        query["sql"]
        for query in queries
        if "COUNT(" in query["sql"].upper()
        and "catalogue_dataset" in query["sql"]
        and "LIMIT" not in query["sql"].upper()
    ]


def test_the_dataset_changelist_never_counts_the_whole_table(admin_client):
    make_dataset(dataset_name="findme")
    make_dataset()

    with CaptureQueriesContext(connection) as queries:
        for params in ({}, {"q": "findme"}, {"is_published__exact": "0"}):
            assert admin_client.get(admin_url(Dataset, "changelist"), params).status_code == 200

    assert _full_counts(queries.captured_queries) == []


def test_past_the_exact_limit_pages_are_counted_by_estimate(admin_client, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "exact_limit", 2)
    for _ in range(3):
        make_dataset()

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Dataset, "changelist"))

    assert response.context["cl"].result_count >= 3
    if connection.vendor == "postgresql":
        assert _full_counts(queries.captured_queries) == []
    else:  # no planner estimate: SQLite counts exactly
        assert response.context["cl"].result_count == 3


def test_a_block_page_shows_the_first_hundred_files_and_links_to_the_rest(admin_client):
    dataset = make_dataset()
    block = make_block(dataset, files=105)
    other = make_block(dataset, files=1, prefix="other")

    page = admin_client.get(admin_url(OrigDatablock, "change", block.pk)).content.decode()

    assert "scan/f099.h5" in page
    assert "scan/f100.h5" not in page
    link = f"{admin_url(DataFile, 'changelist')}?origdatablock__exact={block.pk}"
    assert link in page
    files = admin_client.get(link).context["cl"]
    assert files.result_count == 105
    assert other.files.get() not in files.result_list


def test_attachments_show_their_thumbnail_as_an_image(admin_client, db):
    dataset = make_dataset()
    good = Attachment.objects.create(dataset=dataset, owner_group="p-owner", thumbnail=THUMBNAIL)
    Attachment.objects.create(dataset=dataset, owner_group="p-owner", thumbnail="javascript:x()")

    listing = admin_client.get(admin_url(Attachment, "changelist")).content.decode()
    detail = admin_client.get(admin_url(Attachment, "change", good.pk)).content.decode()

    assert f'<img src="{THUMBNAIL}"' in listing
    assert f'<img src="{THUMBNAIL}"' in detail
    assert 'src="javascript:' not in listing


def test_editing_a_proposal_records_who_changed_what(admin_client, admin_user):
    proposal = Proposal.objects.create(
        proposal_id="p42", email="pi@example.org", title="Old", owner_group="p-owner"
    )
    data = form_data(admin_client.get(admin_url(Proposal, "change", proposal.pk)))
    data["title"] = "New"

    assert admin_client.post(admin_url(Proposal, "change", proposal.pk), data).status_code == 302

    entry = HistoryEntry.objects.get(subsystem="Proposal", document_id="p42")
    assert (entry.user, entry.before, entry.after) == ("admin", {"title": "Old"}, {"title": "New"})
    proposal.refresh_from_db()
    assert proposal.updated_by == admin_user.username


def test_only_delete_groups_may_delete_proposals(admin_client, admin_user, settings):
    settings.DELETE_GROUPS = ["curators"]
    proposal = Proposal.objects.create(
        proposal_id="p43", email="pi@example.org", title="T", owner_group="p-owner"
    )
    url = admin_url(Proposal, "delete", proposal.pk)

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    admin_user.groups.add(Group.objects.create(name="curators"))
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Proposal.objects.filter(pk="p43").exists()
