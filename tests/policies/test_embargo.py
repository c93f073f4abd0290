"""Embargoes: the release job, early release, extensions, notices and policy changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils import timezone

from catalogue.access import SYSTEM, Action, can
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.models import (
    AccessEvent,
    Dataset,
    DatasetPolicy,
    EmbargoNotice,
    HistoryEntry,
    Policy,
)
from catalogue.services import dataset_update, policy_update, proposal_create, proposal_update
from catalogue.services.embargo import (
    embargo_change,
    embargo_notices_send,
    embargo_release,
    embargo_release_due,
)
from catalogue.services.policies import embargo_recompute
from search.models import IndexOutbox
from tests.factories import make_dataset, make_user

from .conftest import days, embargoed, reload

pytestmark = pytest.mark.django_db


# --- The release job ---------------------------------------------------------------------------


def test_release_job_publishes_datasets_whose_embargo_ended():
    due = embargoed(-days(1))
    later = embargoed(days(10))
    never = make_dataset(embargo_end=None)

    assert embargo_release_due() == 1

    assert reload(due).is_published
    assert not reload(later).is_published
    assert not reload(never).is_published
    published_on = due.datasetlifecycle["publishedOn"]
    assert published_on.startswith(f"{due.embargo_end.astimezone(UTC):%Y-%m-%dT%H:%M}")


def test_release_job_records_history_audit_and_the_search_outbox():
    due = embargoed(-days(1))
    IndexOutbox.objects.all().delete()

    embargo_release_due()

    entry = HistoryEntry.objects.filter(document_id=due.pid, operation="update").latest("id")
    assert entry.user == "system"
    assert entry.after["is_published"] is True
    event = AccessEvent.objects.get(subject=due.pid, kind="publication")
    assert (event.action, event.actor, event.note) == ("published", "system", "embargo ended")
    assert IndexOutbox.objects.filter(dataset_pid=due.pid, operation="upsert").exists()


def test_release_job_is_idempotent():
    due = embargoed(-days(1))

    assert embargo_release_due() == 1
    assert embargo_release_due() == 0

    assert HistoryEntry.objects.filter(document_id=due.pid, operation="update").count() == 1
    assert AccessEvent.objects.filter(subject=due.pid).count() == 1


def test_release_job_judges_by_the_time_it_is_given():
    soon = embargoed(days(5))

    assert embargo_release_due(now=timezone.now()) == 0
    assert embargo_release_due(now=timezone.now() + days(6)) == 1

    assert reload(soon).is_published


def test_a_released_dataset_is_public_for_everybody_through_the_rules():
    due = embargoed(-days(1))
    embargo_release_due()

    assert Dataset.objects.visible_to(AnonymousUser()).filter(pk=due.pk).exists()
    assert can(AnonymousUser(), Action.DOWNLOAD, reload(due))


# --- Early release and changes by people -------------------------------------------------------


def test_owner_releases_a_dataset_early(owner):
    dataset = embargoed(days(300))

    embargo_release(user=owner, dataset=dataset, note="paper accepted")

    dataset = reload(dataset)
    assert dataset.is_published
    assert dataset.embargo_end <= timezone.now()
    notes = set(AccessEvent.objects.filter(subject=dataset.pid).values_list("kind", "note"))
    assert notes == {("embargo", "released early"), ("publication", "paper accepted")}
    assert DatasetPolicy.objects.get(dataset=dataset).embargo_fixed


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_only_owners_and_admins_release_early(persona, request):
    dataset = embargoed(days(300), access_groups=["p-readers"])
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied):
        embargo_release(user=user, dataset=dataset)

    assert not reload(dataset).is_published


def test_owner_may_bring_an_embargo_forward_but_not_extend_it(owner):
    dataset = embargoed(days(300))
    sooner = timezone.now() + days(30)

    embargo_change(user=owner, dataset=dataset, until=sooner, reason="conference")
    assert reload(dataset).embargo_end == sooner

    with pytest.raises(PermissionDenied, match="administrator"):
        embargo_change(user=owner, dataset=dataset, until=sooner + days(900), reason="more time")
    with pytest.raises(PermissionDenied):
        embargo_change(user=owner, dataset=dataset, until=None, reason="close it")
    assert reload(dataset).embargo_end == sooner


def test_admin_extends_an_embargo_and_the_reason_is_recorded(admin):
    dataset = embargoed(days(10))
    later = timezone.now() + days(400)

    embargo_change(user=admin, dataset=dataset, until=later, reason="patent pending")

    assert reload(dataset).embargo_end == later
    event = AccessEvent.objects.get(subject=dataset.pid, kind="embargo")
    assert (event.action, event.actor, event.note) == ("extended", "ada", "patent pending")
    entry = HistoryEntry.objects.filter(document_id=dataset.pid, operation="update").latest("id")
    assert entry.user == "ada" and "embargo_end" in entry.after


def test_embargo_change_needs_a_reason_and_a_future_date(admin):
    dataset = embargoed(days(10))

    with pytest.raises(InvalidInput, match="why"):
        embargo_change(user=admin, dataset=dataset, until=timezone.now() + days(99), reason=" ")
    with pytest.raises(InvalidInput, match="future"):
        embargo_change(user=admin, dataset=dataset, until=timezone.now() - days(1), reason="x")


def test_extending_through_a_plain_update_also_needs_an_admin(owner, admin):
    dataset = embargoed(days(10))
    later = dataset.embargo_end + days(365)

    with pytest.raises(PermissionDenied):
        dataset_update(user=owner, dataset=dataset, changes={"embargo_end": later})
    dataset_update(user=admin, dataset=dataset, changes={"embargo_end": later})

    assert reload(dataset).embargo_end == later


# --- Notices -------------------------------------------------------------------------------------


@pytest.fixture
def notice_days(settings):
    settings.EMBARGO_NOTICE_DAYS = 30
    return 30


def test_owners_are_told_once_before_the_embargo_ends(notice_days, owner):
    soon = embargoed(days(20), owner_email="pi@example.org", contact_email="desk@example.org")
    embargoed(days(90))  # outside the notice window

    assert embargo_notices_send() == 1
    assert embargo_notices_send() == 0

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["desk@example.org", "olivia@example.org", "pi@example.org"]
    assert soon.pid in mail.outbox[0].body or soon.dataset_name in mail.outbox[0].body
    assert "becomes public" in mail.outbox[0].subject
    notice = EmbargoNotice.objects.get()
    assert notice.embargo_end == soon.embargo_end


def test_one_notice_lists_all_of_a_recipients_datasets(notice_days, owner):
    for n in range(3):
        embargoed(days(10 + n), dataset_name=f"Scan {n}", contact_email="olivia@example.org")

    embargo_notices_send()

    assert len(mail.outbox) == 1  # olivia, the group's one member
    assert "3 of your datasets" in mail.outbox[0].subject
    assert all(f"Scan {n}" in mail.outbox[0].body for n in range(3))


def test_an_extended_embargo_is_announced_again(notice_days, owner, admin):
    dataset = embargoed(days(10))
    embargo_notices_send()
    embargo_change(user=admin, dataset=dataset, until=timezone.now() + days(20), reason="delay")

    assert embargo_notices_send() == 1
    assert EmbargoNotice.objects.filter(dataset=dataset).count() == 2


def test_no_notices_when_switched_off(settings, owner):
    settings.EMBARGO_NOTICE_DAYS = 0
    embargoed(days(1))

    assert embargo_notices_send() == 0
    assert mail.outbox == []


def test_a_failing_mail_server_leaves_the_notice_to_the_next_run(notice_days, owner):
    embargoed(days(5))

    failing = patch("django.core.mail.message.EmailMessage.send", side_effect=OSError("down"))
    with failing, pytest.raises(OSError):
        embargo_notices_send()
    assert not EmbargoNotice.objects.exists()

    assert embargo_notices_send() == 1


def test_published_and_released_datasets_get_no_notice(notice_days, owner):
    make_dataset(embargo_end=timezone.now() + days(5), is_published=True)

    assert embargo_notices_send() == 0


# --- Policy and proposal changes -----------------------------------------------------------------


def test_a_shorter_group_embargo_moves_the_datasets_that_follow_it(admin, committed, eager):
    experiment_end = datetime(2026, 1, 15, 10, tzinfo=UTC)
    follows = make_dataset(end_time=experiment_end.isoformat())
    assert follows.embargo_end == experiment_end.replace(year=2029)
    policy = Policy.objects.get(owner_group="p-owner")

    with committed():
        policy_update(user=admin, policy=policy, changes={"embargo_period": 1.0})

    assert reload(follows).embargo_end == experiment_end.replace(year=2027)
    event = AccessEvent.objects.get(subject="policy:p-owner")
    assert (event.kind, event.before, event.after) == ("policy", 3.0, 1.0)
    moved = AccessEvent.objects.get(subject=follows.pid)
    assert (moved.kind, moved.action, moved.note) == ("embargo", "shortened", "policy changed")


def test_a_policy_change_leaves_pinned_published_and_ended_embargoes_alone(admin):
    pinned = embargoed(days(100))
    embargo_change(user=admin, dataset=pinned, until=timezone.now() + days(500), reason="x")
    published = make_dataset(is_published=True)
    ended = embargoed(-days(3))
    before = {d.pk: reload(d).embargo_end for d in (pinned, published, ended)}
    Policy.objects.filter(owner_group="p-owner").update(embargo_period=10.0)

    assert embargo_recompute(owner_group="p-owner") == 0

    assert {d.pk: reload(d).embargo_end for d in (pinned, published, ended)} == before


def test_a_proposal_period_change_moves_its_datasets(admin, committed, eager, settings):
    settings.PROPOSAL_GROUPS = ["admin"]
    proposal_create(
        user=admin,
        data={
            "proposal_id": "p-42",
            "email": "pi@example.org",
            "title": "T",
            "owner_group": "p-owner",
        },
    )
    dataset = make_dataset(proposal_ids=["p-42"], creation_time="2026-01-15T10:00:00Z")
    other = make_dataset(creation_time="2026-01-15T10:00:00Z")

    with committed():
        proposal_update(
            user=admin,
            proposal=dataset_proposal("p-42"),
            changes={"embargo_period": 0.5},
        )

    assert reload(dataset).embargo_end < reload(other).embargo_end
    assert reload(dataset).embargo_end.year == 2026


def dataset_proposal(pid):
    from catalogue.models import Proposal

    return Proposal.objects.get(pk=pid)


def test_policy_recompute_runs_only_after_the_commit(admin, django_capture_on_commit_callbacks):
    policy = make_dataset() and Policy.objects.get(owner_group="p-owner")

    with patch("catalogue.tasks.embargo_recompute.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            policy_update(user=admin, policy=policy, changes={"embargo_period": 2.0})
        assert delay.call_count == 0
        for callback in callbacks:
            callback()

    delay.assert_called_once_with(owner_group="p-owner")


def test_unchanged_policy_period_schedules_nothing(admin, django_capture_on_commit_callbacks):
    make_dataset()
    policy = Policy.objects.get(owner_group="p-owner")

    with django_capture_on_commit_callbacks() as callbacks:
        policy_update(user=admin, policy=policy, changes={"tape_redundancy": "high"})

    assert callbacks == []
    assert not AccessEvent.objects.filter(kind="policy").exists()


def test_system_may_release_anything():
    dataset = embargoed(days(3000))

    embargo_release(user=SYSTEM, dataset=dataset)

    assert reload(dataset).is_published


def test_releasing_an_unknown_user_is_refused():
    dataset = embargoed(days(30))
    stranger = make_user("stan", "nobody")

    with pytest.raises(PermissionDenied):
        embargo_release(user=stranger, dataset=dataset)
    assert reload(dataset).embargo_end > timezone.now() + timedelta(days=29)
