"""Portal pages of publishing: "my publications", the publication form, submitting again.

Adapters only: they parse the form (catalogue/publishing/forms), call one service of
catalogue/services/published and render. Server-rendered, CSRF-protected, no JavaScript:
"Add another" buttons post the form back with one more row. Who may do what:

- any signed-in user sees their own publications and may start one, choosing among the datasets
  they may publish (Action.PUBLISH: owners and admins);
- a publication is edited, submitted and sent again by its maker or an admin
  (`may_manage_publication`); others get 403, unknown DOIs 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.views.decorators.http import require_http_methods, require_POST

from catalogue.access import principal_for
from catalogue.errors import CatalogueError
from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.publishing import doi as providers
from catalogue.services.published import (
    may_manage_publication,
    published_data_create,
    published_data_submit,
    published_data_update,
)

from .forms import PublicationBundle, initial_for_dataset
from .forms.identifiers import COMMON_LICENCE_IDS
from .forms.rows import FORMSETS

ADD_ACTIONS = {f"add-{name}": name for name in FORMSETS}
STATE_TEXT = {
    DoiState.DRAFT: "Draft: not submitted; only you can see it here.",
    DoiState.RESERVED: "Submitted: the DOI is reserved and its registration at DataCite queued.",
    DoiState.REGISTERED: "Registered at DataCite; becoming findable.",
    DoiState.FINDABLE: "Findable: the DOI resolves and DataCite lists it.",
    DoiState.HIDDEN: "Withdrawn: the DOI resolves to a tombstone page.",
    DoiState.FAILED: "DataCite refused the DOI: fix what it names and submit again.",
}


def _login_url() -> str:
    from django.conf import settings

    target = getattr(settings, "LOGIN_URL", "")
    try:
        resolve(target)
        return target
    except (Resolver404, TypeError):
        try:
            return reverse("admin:login")
        except NoReverseMatch:
            return target


def _refuse(request, status: int, message: str):
    titles = {403: "Not allowed", 404: "Not found"}
    context = {"status": status, "title": titles.get(status, "Error"), "message": message}
    return render(request, "portal/error.html", context, status=status)


def _messages(exc: CatalogueError) -> list[str]:
    text = exc.message
    return [str(t) for t in text] if isinstance(text, list | tuple) else [str(text)]


def _record(request, doi: str) -> PublishedData:
    record = PublishedData.objects.filter(doi=doi).first()
    if record is None:
        record = PublishedData.objects.filter(doi__iexact=doi).first()
    if record is None:
        raise Http404("No publication with this DOI")
    return record


def _state_context(record) -> dict:
    if record is None:
        return {}
    pending = bool(record.sync_requested_at) and record.state != DoiState.FAILED
    return {
        "state_text": STATE_TEXT.get(record.state, record.state),
        "pending": pending,
        "registration_enabled": providers.registration_enabled(),
    }


@require_http_methods(["GET", "HEAD"])
def publication_list(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    username = principal_for(request.user).username
    records = PublishedData.objects.filter(created_by=username).order_by("-updated_at")
    context = {
        "records": [(record, _state_context(record)) for record in records[:500]],
        "registration_enabled": providers.registration_enabled(),
    }
    return render(request, "publishing/list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def publication_new(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    return _form_page(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
def publication_edit(request, doi: str):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    record = _record(request, doi)
    if not may_manage_publication(request.user, record):
        return _refuse(request, 403, "Only the person who made this publication may edit it.")
    return _form_page(request, record)


@require_POST
def publication_submit(request, doi: str):
    """Submits a draft, or sends a failed one again, without editing it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), _login_url())
    record = _record(request, doi)
    if not may_manage_publication(request.user, record):
        return _refuse(request, 403, "Only the person who made this publication may submit it.")
    try:
        record = published_data_submit(user=request.user, record=record)
    except CatalogueError as exc:
        for line in _messages(exc):
            messages.error(request, f"{record.doi} was not submitted: {line}")
        return redirect("publication-edit", doi=record.doi)
    messages.success(request, _submitted_text(record))
    return redirect("publication-list")


def _submitted_text(record) -> str:
    if providers.registration_enabled():
        return f"Submitted. DOI {record.doi} is reserved; DataCite registration follows shortly."
    return (
        f"Submitted. DOI {record.doi} is reserved here; this site does not register DOIs at "
        "DataCite yet (DATACITE_URL is not set)."
    )


def _render(request, bundle, record, *, show_errors: bool, status: int = 200):
    context = {
        "bundle": bundle,
        "form": bundle.form,
        "formsets": bundle.formsets,
        "record": record,
        "show_errors": show_errors,
        "has_errors": show_errors and bundle.has_errors(),
        "licence_ids": COMMON_LICENCE_IDS,
        "submitted": record is not None and record.state not in (DoiState.DRAFT, DoiState.FAILED),
        **_state_context(record),
    }
    return render(request, "publishing/form.html", context, status=status)


def _form_page(request, record):
    user = request.user
    if request.method != "POST":
        initial = None if record else initial_for_dataset(user, request.GET.get("dataset"))
        bundle = PublicationBundle(user=user, record=record, initial=initial)
        if record is not None and record.state == DoiState.FAILED:
            bundle.add_refusal(record.doi_errors or [{"title": record.doi_error}])
        return _render(request, bundle, record, show_errors=True)
    action = request.POST.get("action", "save")
    data = request.POST.copy()
    if action in ADD_ACTIONS:
        key = f"{ADD_ACTIONS[action]}-TOTAL_FORMS"
        try:
            data[key] = str(min(int(data.get(key) or 0), 199) + 1)
        except ValueError:
            data[key] = "1"
        bundle = PublicationBundle(user=user, data=data, record=record)
        return _render(request, bundle, record, show_errors=False)
    bundle = PublicationBundle(user=user, data=data, record=record)
    submit = action == "submit" and (record is None or record.state in ("draft", "failed"))
    if not bundle.is_valid(submit=submit):
        return _render(request, bundle, record, show_errors=True, status=400)
    try:
        values = bundle.service_data()
        if record is None:
            record = published_data_create(user=user, data=values)
        else:
            record = published_data_update(user=user, record=record, changes=values)
    except CatalogueError as exc:
        bundle.extra_errors.setdefault("__all__", []).extend(_messages(exc))
        return _render(request, bundle, record, show_errors=True, status=exc.status_code)
    if not submit:
        if record.state in (DoiState.DRAFT, DoiState.FAILED):
            messages.success(request, "Draft saved.")
        else:
            messages.success(request, "Saved; DataCite gets the new metadata shortly.")
        return redirect("publication-edit", doi=record.doi)
    try:
        record = published_data_submit(user=user, record=record)
    except CatalogueError as exc:
        for line in _messages(exc):
            messages.error(request, f"Saved as a draft but not submitted: {line}")
        return redirect("publication-edit", doi=record.doi)
    messages.success(request, _submitted_text(record))
    return redirect("publication-list")
