"""catalogue.demo and `load_demo`: the demo is harvested from files, has every access state, is
idempotent, and outsiders see only public data."""

import hashlib
import io
import os
import re
import stat
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from catalogue import access, demo
from catalogue.access import SYSTEM
from catalogue.models import (
    Attachment,
    DataFile,
    Dataset,
    HarvestRecord,
    Instrument,
    Proposal,
    PublishedData,
    Sample,
    Technique,
)
from catalogue.services import proposal_create, proposal_update

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing_and_own_data_dir(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory):
    """One demo load shared by the tests of a class (they only read), rolled back after them."""
    root = tmp_path_factory.mktemp("demo")
    settings = override_settings(DATA_DIR=root, DEBUG=True)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        demo.users_ensure(passwords=demo.passwords_ensure(root / demo.CREDENTIALS_FILE))
        demo.data_load()
        yield root
        transaction.set_rollback(True)


def demo_credentials():
    from django.conf import settings

    return settings.DATA_DIR / demo.CREDENTIALS_FILE


def counts() -> dict[str, int]:
    models = (Dataset, DataFile, Attachment, Proposal, Sample, Instrument, Technique, User)
    return {model.__name__: model.objects.count() for model in models}


def visible(username: str) -> set:
    return set(Dataset.objects.visible_to(User.objects.get(username=username)))


def test_loading_the_demo_twice_creates_nothing_new(tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    first = counts()
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / demo.FILES_DIR).rglob("*")}
    call_command("load_demo", stdout=io.StringIO())
    assert first["Dataset"] > 30
    assert counts() == first
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / demo.FILES_DIR).rglob("*")} == written


def test_the_demo_counts_as_loaded_only_once_its_last_step_titled_the_marker_proposal():
    data = {"proposal_id": "443117", "owner_group": "p443117", "email": "alice@example.org"}
    proposal = proposal_create(user=SYSTEM, data={**data, "title": "Proposal 443117"})
    assert not demo.is_loaded()  # as a harvest left it: the load was interrupted
    proposal_update(user=SYSTEM, proposal=proposal, changes={"title": "In situ tomography"})
    assert demo.is_loaded()


def test_load_demo_prints_the_admin_login_and_the_stored_password(monkeypatch):
    monkeypatch.setattr(demo, "data_load", lambda: 0)
    out = io.StringIO()
    call_command("load_demo", "--url", "http://127.0.0.1:8765/", stdout=out)
    passwords = demo.passwords_ensure(demo_credentials())
    assert "http://127.0.0.1:8765/admin/" in out.getvalue()
    assert passwords["admin"] in out.getvalue()
    assert User.objects.get(username="admin").check_password(passwords["admin"])


def test_load_demo_does_not_show_a_password_someone_changed(monkeypatch):
    monkeypatch.setattr(demo, "data_load", lambda: 0)  # the accounts are what matters here
    call_command("load_demo", stdout=io.StringIO())
    admin = User.objects.get(username="admin")
    admin.set_password("changed-by-hand")
    admin.save()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert demo.passwords_ensure(demo_credentials())["admin"] not in out.getvalue()
    assert User.objects.get(username="admin").check_password("changed-by-hand")


def test_demo_passwords_are_generated_once_and_readable_only_by_the_owner():
    first = demo.passwords_ensure(demo_credentials())
    assert demo.passwords_ensure(demo_credentials()) == first
    assert stat.S_IMODE(demo_credentials().stat().st_mode) == 0o600


def test_load_demo_refuses_on_a_site_with_debug_off(settings, tmp_path):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()
    assert not os.path.exists(tmp_path / demo.FILES_DIR)


class TestTheLoadedDemo:
    """Read-only checks of one loaded demo."""

    def test_demo_has_datasets_in_every_access_state(self, loaded):
        now = timezone.now()
        private = Dataset.objects.filter(is_published=False, embargo_end__gt=now)
        assert Dataset.objects.filter(is_published=True).exists()
        assert private.exists()  # embargoed
        assert Dataset.objects.filter(is_published=False, embargo_end__lte=now).exists()
        assert any(dataset.access_groups for dataset in private)
        assert any(dataset.shared_with for dataset in private)

    def test_every_demo_dataset_is_harvested_from_files_written_in_the_data_dir(self, loaded):
        records = HarvestRecord.objects.filter(dataset__isnull=False)
        assert records.count() == Dataset.objects.count() > 30
        for record in records:
            assert Path(record.source).is_relative_to(loaded / demo.FILES_DIR)
        formats = set(Dataset.objects.values_list("data_format", flat=True))
        assert formats == {"NeXus", "FITS", "openPMD"}

    def test_every_demo_file_is_recorded_with_a_path_that_reaches_it_and_its_checksum(self, loaded):
        for record in HarvestRecord.objects.filter(dataset__isnull=False).select_related("dataset"):
            files = DataFile.objects.filter(dataset=record.dataset)
            assert record.dataset.number_of_files == files.count() > 0
            assert record.download_url.startswith("file://")
            for row in files:
                path = Path(unquote(record.download_url.removeprefix("file://")), row.path)
                assert path.stat().st_size == row.size
                assert hashlib.sha256(path.read_bytes()).hexdigest() == row.chk

    def test_every_demo_dataset_has_a_png_preview(self, loaded):
        previews = Attachment.objects.filter(caption__startswith="Preview")
        assert set(previews.values_list("dataset_id", flat=True)) == set(
            Dataset.objects.values_list("id", flat=True)
        )
        assert all(p.thumbnail.startswith("data:image/png;base64,") for p in previews)

    def test_demo_proposals_samples_and_instruments_come_from_the_files(self, loaded):
        proposals = set(Proposal.objects.values_list("proposal_id", flat=True))
        assert proposals == {"443117", "443233", "443305", "ko-b014"}
        assert Proposal.objects.get(pk="443305").title.startswith("Oxygen vacancy ordering")
        instruments = dict(Instrument.objects.values_list("pid", "unique_name"))
        assert set(instruments.values()) == {"LPNC-TOMO", "LPNC-SAXS", "LPNC-HRPT", "KO-T12 Imager"}
        samples = set(Sample.objects.values_list("sample_id", flat=True))
        assert len(samples) == 6
        for dataset in Dataset.objects.filter(type="raw").exclude(owner_group="lpnc-theory"):
            assert set(dataset.proposal_ids) <= proposals
            assert instruments[dataset.instrument_ids[0]]
            assert set(dataset.sample_ids) <= samples

    def test_demo_derived_datasets_name_their_inputs(self, loaded):
        pids = set(Dataset.objects.values_list("pid", flat=True))
        derived = Dataset.objects.exclude(input_datasets=[])
        assert derived.count() >= 5
        for dataset in derived:
            assert set(dataset.input_datasets) <= pids

    def test_demo_publishes_each_papers_datasets_under_a_reserved_doi(self, loaded):
        records = list(PublishedData.objects.all())
        assert records, "the demo made no publication"
        for record in records:
            assert record.state == "reserved"  # no DataCite configured in the demo
            assert record.metadata["creators"]
            published = Dataset.objects.filter(pid__in=record.dataset_pids, is_published=True)
            assert published.count() == len(record.dataset_pids) > 0

    def test_demo_keeps_an_unknown_unit_as_a_unit_issue(self, loaded):
        issues = [issue for d in Dataset.objects.all() for issue in d.unit_issues]
        assert any(
            issue["unit"] == "arb. units" and issue["reason"] == "unknown" for issue in issues
        )

    def test_demo_techniques_are_panet_terms_known_to_the_vocabulary(self, loaded):
        vocabulary = dict(Technique.objects.values_list("pid", "name"))
        used = {(t["pid"], t["name"]) for d in Dataset.objects.all() for t in d.techniques}
        assert len(used) >= 3
        for pid, name in used:
            assert re.fullmatch(r"http://purl\.org/pan-science/PaNET/PaNET\d{5}", pid)
            assert vocabulary[pid] == name

    def test_demo_outsider_sees_only_public_datasets(self, loaded):
        public = {dataset for dataset in Dataset.objects.all() if access.is_public(dataset)}
        assert visible("oscar") == public
        assert 0 < len(public) < Dataset.objects.count()

    def test_demo_owner_sees_her_embargoed_datasets_the_outsider_does_not(self, loaded):
        hidden_from_outsider = set(Dataset.objects.all()) - visible("oscar")
        owned = {d for d in hidden_from_outsider if d.owner_group in {"p443117", "p443233"}}
        assert owned
        assert owned <= visible("alice")

    def test_demo_staff_read_private_data_through_their_access_group(self, loaded):
        through_group = visible("carol") - visible("oscar")
        assert through_group
        assert all("lpnc-staff" in dataset.access_groups for dataset in through_group)
        assert {d.owner_group for d in through_group} >= {"p443233", "p443305", "lpnc-theory"}

    def test_demo_shares_datasets_with_a_user_outside_the_owner_group(self, loaded):
        bob = User.objects.get(username="bob")
        shared = Dataset.objects.filter(owner_group="p443233").visible_to(bob)
        assert shared.exists()
        assert all(demo.email_of("bob") in dataset.shared_with for dataset in shared)
