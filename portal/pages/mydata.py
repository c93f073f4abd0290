"""My data: the user's datasets, sharing them by e-mail, and editing their description.

Every change goes through `dataset_update` (the SciCat API's PATCH service), which checks the
update right (owner group or administrator) on the locked row and records the history; these
views only parse forms. A form edited while someone else changed the dataset is refused (409),
not silently merged. All forms are POST with a CSRF token and work without JavaScript.
"""

from __future__ import annotations

import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from catalogue.access import Action, can, principal_for
from catalogue.errors import CatalogueError
from catalogue.models import Dataset, DatasetTerm, TermKind
from catalogue.selectors import dataset_history
from catalogue.services import dataset_update

from .common import PageError, error_page, readable_dataset

PER_PAGE = 25
MAX_SHARED = 200
MAX_LIST_ITEMS = 100
MAX_SHOWN = 300  # characters of a value shown in the history
TABS = {
    "owned": "Owned by your groups",
    "shared": "Shared with you",
    "groups": "Your groups may read",
}


# --- Reads -----------------------------------------------------------------------------------


def my_datasets(user, tab: str):
    """The datasets the user may read, narrowed to one relation for display.

    Access comes from visible_to; the narrowing only sorts what it allows into tabs."""
    principal = principal_for(user)
    base = Dataset.objects.visible_to(user)
    groups = sorted(principal.groups)
    if tab == "owned":
        found = base.filter(owner_group__in=groups)
    elif tab == "shared":
        found = (
            base.filter(
                Exists(
                    DatasetTerm.objects.filter(
                        dataset=OuterRef("pk"), kind=TermKind.SHARED_WITH, value=principal.email
                    )
                )
            )
            if principal.email
            else base.none()
        )
    else:
        found = base.filter(
            Exists(
                DatasetTerm.objects.filter(
                    dataset=OuterRef("pk"), kind=TermKind.ACCESS_GROUP, value__in=groups
                )
            )
        ).exclude(owner_group__in=groups)
    return found.order_by("-creation_time", "-id").only(
        "pid",
        "dataset_name",
        "owner_group",
        "creation_time",
        "is_published",
        "embargo_end",
        "size",
        "number_of_files",
        "shared_with",
    )


@never_cache
@login_required
def mydata_page(request):
    tab = request.GET.get("tab", "owned")
    if tab not in TABS:
        tab = "owned"
    paginator = Paginator(my_datasets(request.user, tab), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "tab": tab,
        "tabs": TABS.items(),
        "page": page,
        "editable": {d.pk for d in page if can(request.user, Action.UPDATE, d)},
        "email": principal_for(request.user).email,
    }
    return render(request, "portal/mydata/list.html", context)


# --- Forms -----------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """One item per line (commas separate too), blanks dropped, order and first spelling kept."""
    seen, items = set(), []
    for line in text.replace(",", "\n").splitlines():
        item = line.strip()
        if item and item.lower() not in seen:
            seen.add(item.lower())
            items.append(item)
    return items


class DatasetEditForm(forms.Form):
    """The descriptive fields an owner edits here; the rest is the API's (or the harvest's)."""

    dataset_name = forms.CharField(label="Title", max_length=500)
    description = forms.CharField(
        label="Description", required=False, max_length=20000, widget=forms.Textarea
    )
    keywords = forms.CharField(
        label="Keywords",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, or separated by commas.",
    )
    principal_investigators = forms.CharField(
        label="Principal investigators",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line.",
    )
    contact_email = forms.EmailField(label="Contact e-mail", max_length=255)
    version = forms.CharField(widget=forms.HiddenInput)  # updated_at when the form was shown

    LIST_FIELDS = ("keywords", "principal_investigators")

    @classmethod
    def initial_for(cls, dataset) -> dict:
        return {
            "dataset_name": dataset.dataset_name,
            "description": dataset.description,
            "keywords": "\n".join(str(k) for k in dataset.keywords or []),
            "principal_investigators": "\n".join(
                str(p) for p in dataset.principal_investigators or []
            ),
            "contact_email": dataset.contact_email,
            "version": dataset.updated_at.isoformat(),
        }

    def clean(self):
        data = super().clean()
        for name in self.LIST_FIELDS:
            if name in data:
                data[name] = _lines(data[name])
                if len(data[name]) > MAX_LIST_ITEMS:
                    self.add_error(name, f"At most {MAX_LIST_ITEMS} entries.")
        return data

    def changes(self, dataset) -> dict:
        """The fields whose value differs from the dataset's, as dataset_update takes them."""
        out = {}
        for name in ("dataset_name", "description", "contact_email", *self.LIST_FIELDS):
            value = self.cleaned_data[name]
            if value != getattr(dataset, name):
                out[name] = value
        return out


class ShareForm(forms.Form):
    emails = forms.CharField(
        label="E-mail addresses",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, or separated by commas. They see the dataset (and may download "
        "its files) when they sign in with that address.",
    )

    def clean_emails(self):
        emails = [item.lower() for item in _lines(self.cleaned_data["emails"])]
        bad = []
        for item in emails:
            try:
                validate_email(item)
            except forms.ValidationError:
                bad.append(item)
        if bad:
            raise forms.ValidationError("Not e-mail addresses: " + ", ".join(bad[:10]))
        if not emails:
            raise forms.ValidationError("Give at least one e-mail address.")
        return emails


class UnshareForm(forms.Form):
    remove = forms.CharField(max_length=255)


# --- Views -----------------------------------------------------------------------------------


def _updatable(request, pid: str):
    """The dataset, if the user may update it; else PageError (404, or 403)."""
    dataset = readable_dataset(request.user, pid)
    if not can(request.user, Action.UPDATE, dataset):
        raise PageError(403, "Only the dataset's owner group (or an administrator) may change it.")
    return dataset


def _of_updatable_dataset(view):
    """A signed-in, uncached page of a dataset the user may change: `view(request, dataset)`
    for the route's `pid`, the error page (404, 403) when there is none or they may not."""

    @never_cache
    @login_required
    @wraps(view)
    def page(request, pid: str):
        try:
            dataset = _updatable(request, pid)
        except PageError as exc:
            return error_page(request, exc.status, exc.message)
        return view(request, dataset)

    return page


def _page_url(dataset, name: str = "portal:dataset") -> str:
    return reverse(name, kwargs={"pid": dataset.pid})


@_of_updatable_dataset
def dataset_edit(request, dataset):
    status = 200
    if request.method == "POST":
        form = DatasetEditForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["version"] != dataset.updated_at.isoformat():
                form.add_error(
                    None,
                    "Someone changed this dataset while you were editing. Your changes are "
                    "shown below; check them against the current values and save again.",
                )
                form.data = form.data.copy()
                form.data["version"] = dataset.updated_at.isoformat()
                status = 409
            else:
                changes = form.changes(dataset)
                if not changes:
                    messages.info(request, "Nothing changed.")
                    return HttpResponseRedirect(_page_url(dataset))
                try:
                    dataset_update(user=request.user, dataset=dataset, changes=changes)
                except CatalogueError as exc:
                    form.add_error(None, exc.message)
                    status = 403 if exc.status_code == 403 else 400
                else:
                    messages.info(request, "Saved: " + ", ".join(_label(n) for n in changes))
                    return HttpResponseRedirect(_page_url(dataset))
        else:
            status = 400
    else:
        form = DatasetEditForm(initial=DatasetEditForm.initial_for(dataset))
    context = {"dataset": dataset, "form": form}
    return render(request, "portal/mydata/edit.html", context, status=status)


def _label(name: str) -> str:
    return str(DatasetEditForm.base_fields[name].label).lower()


@_of_updatable_dataset
def dataset_share(request, dataset):
    current = [str(e) for e in dataset.shared_with or []]
    form, status = ShareForm(), 200
    if request.method == "POST":
        if "remove" in request.POST:
            unshare = UnshareForm(request.POST)
            if unshare.is_valid():
                gone = unshare.cleaned_data["remove"].strip().lower()
                kept = [e for e in current if e.strip().lower() != gone]
                if len(kept) != len(current):
                    return _save_shared(request, dataset, kept, f"No longer shared with {gone}.")
            messages.error(request, "That address was not in the list.")
            return HttpResponseRedirect(_page_url(dataset, "portal:dataset-share"))
        form = ShareForm(request.POST)
        if form.is_valid():
            known = {e.strip().lower() for e in current}
            added = [e for e in form.cleaned_data["emails"] if e not in known]
            if len(current) + len(added) > MAX_SHARED:
                form.add_error("emails", f"A dataset can be shared with at most {MAX_SHARED}.")
                status = 400
            elif not added:
                messages.info(request, "The dataset was already shared with them.")
                return HttpResponseRedirect(_page_url(dataset, "portal:dataset-share"))
            else:
                return _save_shared(
                    request, dataset, current + added, "Shared with " + ", ".join(added) + "."
                )
        else:
            status = 400
    context = {"dataset": dataset, "form": form, "shared_with": current}
    return render(request, "portal/mydata/share.html", context, status=status)


def _save_shared(request, dataset, emails: list[str], message: str):
    try:
        dataset_update(user=request.user, dataset=dataset, changes={"shared_with": emails})
    except CatalogueError as exc:
        return error_page(request, exc.status_code, exc.message)
    messages.info(request, message)
    return HttpResponseRedirect(_page_url(dataset, "portal:dataset-share"))


@_of_updatable_dataset
def dataset_history_page(request, dataset):
    """The dataset's change history; for those who may change it (it names who shared what)."""
    paginator = Paginator(dataset_history(user=request.user, dataset=dataset), 50)
    page = paginator.get_page(request.GET.get("page"))
    context = {"dataset": dataset, "page": page, "entries": history_rows(page)}
    return render(request, "portal/mydata/history.html", context)


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def history_rows(entries) -> list[dict]:
    """History entries as rows of (field, before, after) text, for templates (escaped there)."""
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        names = sorted(set(before) | set(after)) if entry.operation == "update" else []
        rows.append(
            {
                "entry": entry,
                "changes": [
                    (name, _shown(before.get(name, "")), _shown(after.get(name, "")))
                    for name in names
                ],
            }
        )
    return rows
