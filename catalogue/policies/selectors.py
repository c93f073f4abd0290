"""Reads for the policy pages: access requests by who may see them, and panel facts."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from catalogue.access import Action, principal_for
from catalogue.models import AccessRequest, Dataset

ORDER = Case(
    When(status="pending", then=Value(0)),
    When(status="granted", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def access_requests_answerable(user) -> QuerySet[AccessRequest]:
    """Requests for the datasets `user` may update (their owner groups; admins: all)."""
    datasets = Dataset.objects.permitted(user, Action.UPDATE).values("pk")
    return (
        AccessRequest.objects.filter(dataset__in=datasets)
        .select_related("dataset", "requester")
        .order_by(ORDER, "-created_at", "-id")
    )


def access_requests_of(user) -> QuerySet[AccessRequest]:
    if not principal_for(user).is_authenticated:
        return AccessRequest.objects.none()
    return (
        AccessRequest.objects.filter(requester=user)
        .select_related("dataset")
        .order_by(ORDER, "-created_at", "-id")
    )


def pending_request(user, dataset) -> AccessRequest | None:
    if not principal_for(user).is_authenticated:
        return None
    return AccessRequest.objects.filter(requester=user, dataset=dataset, status="pending").first()


def live_grant(user, dataset) -> AccessRequest | None:
    if not principal_for(user).is_authenticated:
        return None
    return AccessRequest.objects.filter(requester=user, dataset=dataset, status="granted").first()


def pending_count(dataset) -> int:
    return AccessRequest.objects.filter(dataset=dataset, status="pending").count()


def request_label(dataset, readable: bool) -> str:
    """How a page names a dataset to someone: its title only if they may read the record."""
    return (dataset.dataset_name or dataset.pid) if readable else dataset.pid
