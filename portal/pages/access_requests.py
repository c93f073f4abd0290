"""Access requests in the portal: ask from a dataset's page, answer in the owners' list, follow
one's own requests. Views parse forms and call catalogue/services/access_requests.py, which
decides who may; lists come from catalogue/policies/selectors.py.

A user who may not read a dataset may still ask for it by pid (as from a citation); the pages
then show the pid only, never the record.
"""

from __future__ import annotations

from datetime import time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from catalogue.access import Action, can
from catalogue.errors import CatalogueError
from catalogue.models import AccessRequest
from catalogue.policies.selectors import (
    access_requests_answerable,
    access_requests_of,
    pending_request,
    request_label,
)
from catalogue.selectors import dataset_by_pid
from catalogue.services.access_requests import (
    access_grant_end,
    access_request_create,
    access_request_grant,
    access_request_refuse,
    access_request_withdraw,
)

from .common import error_page
from .policies import end_of_day, refusal

SHOWN = 200  # requests per list


class RequestForm(forms.Form):
    message = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Why do you need the data? (shown to the owners)",
    )


class DecisionForm(forms.Form):
    until = forms.DateField(required=False, label="Access until (empty: no end)")
    note = forms.CharField(required=False, max_length=4000, label="Note to the requester")


@never_cache
@login_required
def request_access(request, pid: str):
    dataset = dataset_by_pid(pid)
    if dataset is None:
        return error_page(request, 404, f"There is no dataset {pid}.")
    readable = can(request.user, Action.READ, dataset)
    form = RequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request_create(
                user=request.user, dataset=dataset, message=form.cleaned_data["message"]
            )
        except CatalogueError as exc:
            return refusal(request, exc)
        messages.success(request, "Your request was sent to the dataset's owners.")
        return HttpResponseRedirect(reverse("portal:access-requests-mine"))
    context = {
        "form": form,
        "pid": dataset.pid,
        "label": request_label(dataset, readable),
        "readable": readable,
        "may_download": can(request.user, Action.DOWNLOAD, dataset),
        "pending": pending_request(request.user, dataset),
    }
    status = 400 if form.errors else 200
    return render(request, "portal/policies/request_form.html", context, status=status)


@never_cache
@login_required
def requests_inbox(request):
    """The requests for datasets the user may answer (owner group, or admin)."""
    found = access_requests_answerable(request.user)
    context = {
        "pending": list(found.filter(status="pending")[:SHOWN]),
        "granted": list(found.filter(status="granted")[:SHOWN]),
        "decided": list(found.exclude(status__in=["pending", "granted"])[:SHOWN]),
        "form": DecisionForm(),
    }
    return render(request, "portal/policies/requests_inbox.html", context)


@never_cache
@login_required
def requests_mine(request):
    rows = [
        (req, request_label(req.dataset, can(request.user, Action.READ, req.dataset)))
        for req in access_requests_of(request.user)[:SHOWN]
    ]
    return render(request, "portal/policies/requests_mine.html", {"rows": rows})


@require_POST
@login_required
def request_decide(request, request_id: int, decision: str):
    """grant, refuse, end (a grant) or withdraw (one's own request)."""
    target = AccessRequest.objects.select_related("dataset").filter(pk=request_id).first()
    if target is None:
        return error_page(request, 404, f"There is no access request {request_id}.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return error_page(request, 400, f"Nothing was changed: {first}")
    note = form.cleaned_data["note"]
    back = reverse("portal:access-requests")
    try:
        if decision == "grant":
            try:
                until = end_of_day(form.cleaned_data["until"], time(23, 59))
            except (OverflowError, ValueError):
                return error_page(request, 400, "Nothing was changed: the date is out of range.")
            access_request_grant(user=request.user, request=target, expires_at=until, note=note)
            messages.success(request, f"Granted: {target.email} may now download the files.")
        elif decision == "refuse":
            access_request_refuse(user=request.user, request=target, note=note)
            messages.success(request, f"Refused; {target.email} is told.")
        elif decision == "end":
            access_grant_end(user=request.user, request=target, note=note)
            messages.success(request, f"Ended: {target.email} no longer has access.")
        elif decision == "withdraw":
            access_request_withdraw(user=request.user, request=target)
            messages.success(request, "Your request is withdrawn.")
            back = reverse("portal:access-requests-mine")
        else:
            return error_page(request, 404, f"Unknown decision {decision!r}.")
    except CatalogueError as exc:
        return refusal(request, exc)
    return HttpResponseRedirect(back)
