"""Access requests: asking, granting (with an expiry), refusing, ending, and being told."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalogue.access import Action, can
from catalogue.errors import Conflict, InvalidInput, PermissionDenied
from catalogue.models import AccessEvent, AccessRequest, Dataset, HistoryEntry
from catalogue.policies.mail import access_request_mail
from catalogue.services.access_requests import (
    access_grant_end,
    access_grants_expire,
    access_request_create,
    access_request_grant,
    access_request_refuse,
    access_request_withdraw,
)
from tests.factories import make_dataset, make_user

from .conftest import days, embargoed, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed():
    return embargoed(days(400), dataset_name="Secret scan of the hidden crystal")


def ask(user, dataset, message="for my thesis"):
    return access_request_create(user=user, dataset=dataset, message=message)


def test_a_user_asks_and_an_owner_grants_access_until_a_date(closed, outsider, owner):
    request = ask(outsider, closed)
    until = timezone.now() + days(30)

    access_request_grant(user=owner, request=request, expires_at=until, note="welcome")

    request.refresh_from_db()
    assert (request.status, request.decided_by, request.expires_at) == ("granted", "olivia", until)
    assert "oscar@example.org" in reload(closed).shared_with
    assert Dataset.objects.visible_to(outsider).filter(pk=closed.pk).exists()
    assert can(outsider, Action.DOWNLOAD, reload(closed))
    entry = HistoryEntry.objects.filter(document_id=closed.pid, operation="update").latest("id")
    assert entry.user == "olivia" and entry.after["shared_with"] == ["oscar@example.org"]
    actions = list(
        AccessEvent.objects.filter(subject=closed.pid).order_by("id").values_list("kind", "action")
    )
    assert actions == [
        ("access_request", "requested"),
        ("shared_with", "added"),
        ("access_request", "granted"),
    ]


def test_an_expired_grant_ends_on_its_own(closed, outsider, owner):
    request = ask(outsider, closed)
    access_request_grant(user=owner, request=request, expires_at=timezone.now() + days(1))

    assert access_grants_expire(now=timezone.now()) == 0
    assert access_grants_expire(now=timezone.now() + days(2)) == 1

    request.refresh_from_db()
    assert request.status == "ended"
    assert reload(closed).shared_with == []
    assert not Dataset.objects.visible_to(outsider).filter(pk=closed.pk).exists()
    assert AccessEvent.objects.filter(subject=closed.pid, note="access expired").count() == 2
    assert access_grants_expire(now=timezone.now() + days(3)) == 0


def test_ending_a_grant_keeps_an_address_shared_before_it(outsider, owner):
    dataset = embargoed(days(100), shared_with=["Oscar@Example.org"], access_groups=[])
    other = make_user("olga", email="olga@example.org")
    request = ask(other, dataset)
    access_request_grant(user=owner, request=request, expires_at=timezone.now() + days(1))
    # oscar is shared already: a grant for him adds nothing, and ending it removes nothing.
    dataset2 = embargoed(days(100), shared_with=["Oscar@Example.org"])
    with pytest.raises(InvalidInput, match="access"):
        ask(outsider, dataset2)

    access_grants_expire(now=timezone.now() + days(2))

    assert reload(dataset).shared_with == ["Oscar@Example.org"]


def test_an_owner_ends_a_grant_early(closed, outsider, owner):
    request = ask(outsider, closed)
    access_request_grant(user=owner, request=request)

    access_grant_end(user=owner, request=request, note="project over")

    assert reload(closed).shared_with == []
    assert AccessRequest.objects.get().status == "ended"


def test_a_refusal_changes_nothing_but_the_request(closed, outsider, owner):
    request = ask(outsider, closed)

    access_request_refuse(user=owner, request=request, note="not before the paper")

    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("refused", "not before the paper")
    assert reload(closed).shared_with == []


@pytest.mark.parametrize("decide", [access_request_grant, access_request_refuse])
def test_only_owners_and_admins_answer(closed, outsider, member, decide):
    request = ask(outsider, closed)

    with pytest.raises(PermissionDenied):
        decide(user=member, request=request)
    with pytest.raises(PermissionDenied):
        decide(user=outsider, request=request)


def test_admins_answer_any_request(closed, outsider, admin):
    access_request_grant(user=admin, request=ask(outsider, closed))

    assert "oscar@example.org" in reload(closed).shared_with


def test_asking_rules(closed, outsider, owner):
    with pytest.raises(InvalidInput, match="already"):
        ask(owner, closed)  # may download already
    no_mail = make_user("nomail", email="")
    with pytest.raises(InvalidInput, match="e-mail"):
        ask(no_mail, closed)
    ask(outsider, closed)
    with pytest.raises(Conflict):
        ask(outsider, closed)
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        ask(AnonymousUser(), closed)


def test_a_request_is_withdrawn_by_its_requester_only(closed, outsider, owner):
    request = ask(outsider, closed)
    with pytest.raises(PermissionDenied):
        access_request_withdraw(user=owner, request=request)

    access_request_withdraw(user=outsider, request=request)

    assert AccessRequest.objects.get().status == "withdrawn"
    ask(outsider, closed)  # may ask again


def test_a_decided_request_cannot_be_decided_again(closed, outsider, owner):
    request = ask(outsider, closed)
    access_request_refuse(user=owner, request=request)

    with pytest.raises(InvalidInput, match="refused"):
        access_request_grant(user=owner, request=request)


def test_expiry_must_be_in_the_future_and_within_the_site_limit(closed, outsider, owner, settings):
    request = ask(outsider, closed)
    with pytest.raises(InvalidInput, match="future"):
        access_request_grant(user=owner, request=request, expires_at=timezone.now() - days(1))
    settings.ACCESS_GRANT_MAX_DAYS = 90
    with pytest.raises(InvalidInput, match="90 days"):
        access_request_grant(user=owner, request=request)
    with pytest.raises(InvalidInput, match="90 days"):
        access_request_grant(user=owner, request=request, expires_at=timezone.now() + days(91))

    access_request_grant(user=owner, request=request, expires_at=timezone.now() + days(89))


# --- E-mails ----------------------------------------------------------------------------------


def test_owners_are_told_of_a_request(closed, outsider, owner):
    request = ask(outsider, closed, message="I measured the sample")

    assert access_request_mail(request.pk, "requested") == 1

    message = mail.outbox[0]
    assert sorted(message.to) == ["ada@example.org", "olivia@example.org"]
    assert "I measured the sample" in message.body
    assert reverse("portal:access-requests") in message.body


def test_a_refused_requester_is_not_told_the_title_of_a_closed_dataset(closed, outsider, owner):
    request = ask(outsider, closed)
    access_request_refuse(user=owner, request=request, note="no")

    access_request_mail(request.pk, "refused")

    message = mail.outbox[0]
    assert message.to == ["oscar@example.org"]
    assert "hidden crystal" not in message.subject + message.body
    assert closed.pid in message.body
    assert str(closed.embargo_end.year) not in message.body


def test_a_granted_requester_is_told_the_title_and_the_end(closed, outsider, owner):
    request = ask(outsider, closed)
    access_request_grant(user=owner, request=request, expires_at=timezone.now() + days(7))

    access_request_mail(request.pk, "granted")

    assert "hidden crystal" in mail.outbox[0].subject
    assert "Your access ends on" in mail.outbox[0].body


def test_mail_is_sent_by_a_task_after_the_commit(closed, outsider, owner, committed, eager):
    with committed():
        request = ask(outsider, closed)
    with committed():
        access_request_grant(user=owner, request=request)

    subjects = [m.subject for m in mail.outbox]
    assert subjects[0].startswith("Access request for")
    assert subjects[1].startswith("Access granted")


def test_no_mail_for_a_rolled_back_request(closed, outsider, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ask(outsider, closed)
        raise RuntimeError

    assert callbacks == []
    assert mail.outbox == []


def test_a_dataset_with_no_owner_address_still_records_the_request(outsider):
    dataset = make_dataset(owner_group="nobody-here", contact_email="not-an-address")

    request = ask(outsider, dataset)

    assert access_request_mail(request.pk, "requested") == 0
