"""The e-mails of the data policies: who a dataset's owners are, and the messages sent.

Texts are templates in templates/portal/policies/email/. Links are absolute when SITE_URL is set
(as it must be on a real site), else site-relative paths.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from catalogue.access import Action, can


def site_link(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def dataset_link(pid: str) -> str:
    return site_link(reverse("portal:dataset", kwargs={"pid": pid}))


def owner_recipients(datasets) -> dict[str, list]:
    """address -> the datasets it is told about: the active members (with an e-mail) of each
    dataset's owner group, and each dataset's owner and contact e-mails."""
    groups = {d.owner_group for d in datasets}
    members = defaultdict(set)
    users = get_user_model().objects.filter(is_active=True, groups__name__in=groups)
    for email, group in users.exclude(email="").values_list("email", "groups__name"):
        members[group].add(email.strip().lower())
    found: dict[str, list] = defaultdict(list)
    for dataset in datasets:
        addresses = set(members[dataset.owner_group])
        addresses |= {
            (e or "").strip().lower() for e in (dataset.owner_email, dataset.contact_email)
        }
        for address in sorted(a for a in addresses if "@" in a):
            found[address].append(dataset)
    return dict(found)


def render_mail(template: str, context: dict, to: list[str], connection=None) -> EmailMessage:
    """`<template>_subject.txt` and `<template>.txt` as one message."""
    base = f"portal/policies/email/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    body = render_to_string(f"{base}.txt", context)
    return EmailMessage(subject, body, to=to, connection=connection)


def access_request_mail(request_id: int, event: str) -> int:
    """Sends the e-mail of one access-request event; returns the number of messages sent.

    requested: to the dataset's owners; granted, refused, ended: to the requester."""
    from catalogue.models import AccessRequest

    request = AccessRequest.objects.select_related("dataset", "requester").filter(pk=request_id)
    request = request.first()
    if request is None:
        return 0
    # The requester learns the title only where they may read the record (granted, or public).
    readable = can(request.requester, Action.READ, request.dataset)
    context = {
        "request": request,
        "dataset": request.dataset,
        "readable": readable,
        "label": (request.dataset.dataset_name or request.dataset.pid)
        if readable or event == "requested"
        else request.dataset.pid,
        "event": event,
        "dataset_url": dataset_link(request.dataset.pid),
        "inbox_url": site_link(reverse("portal:access-requests")),
        "mine_url": site_link(reverse("portal:access-requests-mine")),
    }
    to = sorted(owner_recipients([request.dataset])) if event == "requested" else [request.email]
    if not to:
        return 0
    return render_mail(f"access_{event}", context, to).send()
