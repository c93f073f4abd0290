"""The dataset page's policy actions: release now, change the embargo, usage conditions.

Thin: each view parses a form and calls one service (catalogue/services/{embargo,policies}.py),
which decides who may. All are POST with a CSRF token and go back to the dataset page with a
message; a refusal is a 403 page, bad input a 400 page, never a 500.
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalogue.errors import CatalogueError
from catalogue.services.embargo import embargo_change, embargo_release
from catalogue.services.policies import dataset_usage_conditions_set

from .common import PageError, error_page, readable_dataset


class EmbargoChangeForm(forms.Form):
    until = forms.DateField(
        required=False, label="New end", help_text="Empty: no end (closed until someone sets one)"
    )
    reason = forms.CharField(max_length=2000, label="Reason")


class ConditionsForm(forms.Form):
    conditions = forms.CharField(required=False, max_length=20_000, label="Usage conditions")


def end_of_day(day, at: time):
    """`day` at `at` in the site's time zone (None stays None); OverflowError at the edges."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


def _back(pid: str):
    return HttpResponseRedirect(reverse("portal:dataset", kwargs={"pid": pid}) + "#policy")


def refusal(request, exc: CatalogueError):
    """A service's refusal as an error page with its status (400, 403, 404, 409)."""
    return error_page(request, exc.status_code, exc.message, title=exc.error)


def _dataset(request, pid):
    if not request.user.is_authenticated:
        raise PageError(403, "Sign in first.")
    return readable_dataset(request.user, pid)


@require_POST
def embargo_release_view(request, pid: str):
    try:
        dataset = _dataset(request, pid)
        embargo_release(user=request.user, dataset=dataset, note=request.POST.get("note", ""))
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    except CatalogueError as exc:
        return refusal(request, exc)
    messages.success(request, "Released: the dataset is public now.")
    return _back(dataset.pid)


@require_POST
def embargo_change_view(request, pid: str):
    form = EmbargoChangeForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return error_page(request, 400, f"The embargo was not changed: {first}")
    day = form.cleaned_data["until"]
    try:
        until = end_of_day(day, time())
    except (OverflowError, ValueError):
        return error_page(request, 400, "The embargo was not changed: that date is out of range.")
    try:
        dataset = _dataset(request, pid)
        embargo_change(
            user=request.user, dataset=dataset, until=until, reason=form.cleaned_data["reason"]
        )
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    except CatalogueError as exc:
        return refusal(request, exc)
    shown = f"until {day:%Y-%m-%d}" if day else "with no end date"
    messages.success(request, f"The embargo now lasts {shown}.")
    return _back(dataset.pid)


@require_POST
def usage_conditions_view(request, pid: str):
    form = ConditionsForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return error_page(request, 400, f"The conditions were not saved: {first}")
    try:
        dataset = _dataset(request, pid)
        dataset_usage_conditions_set(
            user=request.user, dataset=dataset, text=form.cleaned_data["conditions"]
        )
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    except CatalogueError as exc:
        return refusal(request, exc)
    messages.success(request, "Usage conditions saved; downloaders accept them anew.")
    return _back(dataset.pid)
