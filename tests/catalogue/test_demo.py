"""catalogue.demo and `load_demo`: every access state, idempotent, outsiders see only public."""

import io
import re
import stat

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from catalogue import access, demo
from catalogue.models import DataFile, Dataset, Instrument, Proposal, Sample, Technique

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing_and_own_data_dir(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True


@pytest.fixture
def loaded():
    demo.users_ensure(passwords=demo.passwords_ensure(demo_credentials()))
    demo.data_load()


def demo_credentials():
    from django.conf import settings

    return settings.DATA_DIR / demo.CREDENTIALS_FILE


def counts() -> dict[str, int]:
    models = (Dataset, DataFile, Proposal, Sample, Instrument, Technique, User)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_has_datasets_in_every_access_state(loaded):
    now = timezone.now()
    private = Dataset.objects.filter(is_published=False, embargo_end__gt=now)
    assert Dataset.objects.filter(is_published=True).exists()
    assert private.exists()  # embargoed
    assert Dataset.objects.filter(is_published=False, embargo_end__lte=now).exists()
    assert any(dataset.access_groups for dataset in private)
    assert any(dataset.shared_with for dataset in private)


def test_every_demo_dataset_has_files_counted_on_the_dataset(loaded):
    for dataset in Dataset.objects.all():
        assert dataset.number_of_files == dataset.files.count() > 0
        assert dataset.size > 0


def test_demo_keeps_an_unknown_unit_as_a_unit_issue(loaded):
    issues = [issue for d in Dataset.objects.all() for issue in d.unit_issues]
    assert {"path": "intensityScale", "unit": "arb. units", "reason": "unknown"} in issues


def test_demo_techniques_are_panet_terms_known_to_the_vocabulary(loaded):
    vocabulary = dict(Technique.objects.values_list("pid", "name"))
    used = {(t["pid"], t["name"]) for d in Dataset.objects.all() for t in d.techniques}
    assert used
    for pid, name in used:
        assert re.fullmatch(r"http://purl\.org/pan-science/PaNET/PaNET\d{5}", pid)
        assert vocabulary[pid] == name


def test_loading_the_demo_twice_creates_nothing_new():
    call_command("load_demo", stdout=io.StringIO())
    first = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert first["Dataset"] > 30
    assert counts() == first


def test_load_demo_prints_the_admin_login_and_the_stored_password():
    out = io.StringIO()
    call_command("load_demo", "--url", "http://127.0.0.1:8765/", stdout=out)
    passwords = demo.passwords_ensure(demo_credentials())
    assert "http://127.0.0.1:8765/admin/" in out.getvalue()
    assert passwords["admin"] in out.getvalue()
    assert User.objects.get(username="admin").check_password(passwords["admin"])


def test_load_demo_does_not_show_a_password_someone_changed():
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


def test_load_demo_refuses_on_a_site_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()


def test_demo_outsider_sees_only_public_datasets(loaded):
    oscar = User.objects.get(username="oscar")
    visible = set(Dataset.objects.visible_to(oscar))
    public = {dataset for dataset in Dataset.objects.all() if access.is_public(dataset)}
    assert visible == public
    assert 0 < len(visible) < Dataset.objects.count()


def test_demo_owner_sees_her_embargoed_datasets_the_outsider_does_not(loaded):
    alice = User.objects.get(username="alice")
    hidden_from_outsider = set(Dataset.objects.all()) - set(
        Dataset.objects.visible_to(User.objects.get(username="oscar"))
    )
    owned = {d for d in hidden_from_outsider if d.owner_group in {"p443117", "p443233"}}
    assert owned
    assert owned <= set(Dataset.objects.visible_to(alice))


def test_demo_shares_datasets_with_a_user_outside_the_owner_group(loaded):
    bob = User.objects.get(username="bob")
    shared = Dataset.objects.filter(owner_group="p443233").visible_to(bob)
    assert shared.exists()
    assert all(demo.email_of("bob") in dataset.shared_with for dataset in shared)
