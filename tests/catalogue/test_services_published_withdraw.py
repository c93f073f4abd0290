import pytest

from catalogue.access import SYSTEM
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.models import HistoryEntry, PublishedData, PublishedDataStatus
from catalogue.services.published import published_data_restore, published_data_withdraw


@pytest.fixture
def registered(db):
    return PublishedData.objects.create(
        doi="10.xxxx/abc", title="Steel welds", status=PublishedDataStatus.REGISTERED
    )


def test_a_withdrawal_records_when_why_and_who(registered, admin):
    published_data_withdraw(user=admin, record=registered, reason="wrong sample")

    registered.refresh_from_db()
    assert registered.withdrawn_at is not None
    assert registered.withdrawal_reason == "wrong sample"
    entry = HistoryEntry.objects.get(subsystem="PublishedData", operation="update")
    assert entry.user == "ada" and entry.after["withdrawal_reason"] == "wrong sample"


def test_only_admins_withdraw_and_only_registered_records_with_a_reason(registered, owner):
    with pytest.raises(PermissionDenied):
        published_data_withdraw(user=owner, record=registered, reason="x")
    with pytest.raises(InvalidInput, match="reason"):
        published_data_withdraw(user=SYSTEM, record=registered, reason="  ")
    draft = PublishedData.objects.create(doi="10.xxxx/draft", title="Draft")
    with pytest.raises(InvalidInput, match="not registered"):
        published_data_withdraw(user=SYSTEM, record=draft, reason="x")


def test_a_restore_clears_the_withdrawal(registered):
    published_data_withdraw(user=SYSTEM, record=registered, reason="oops")
    published_data_restore(user=SYSTEM, record=registered)

    registered.refresh_from_db()
    assert (registered.withdrawn_at, registered.withdrawal_reason) == (None, "")
