"""Small helpers shared by the pages: error pages, fetching records through the rules,
licence links and the access state shown to a user."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from catalogue.access import Relation, is_public, relations
from catalogue.errors import NotFound, PermissionDenied
from catalogue.selectors import dataset_get
from search.query.render import atom

_SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")


def error_page(request, status: int, message: str, *, title: str = ""):
    titles = {400: "Bad request", 403: "Not allowed", 404: "Not found", 503: "Unavailable"}
    context = {"status": status, "title": title or titles.get(status, "Error"), "message": message}
    return render(request, "portal/error.html", context, status=status)


class PageError(Exception):
    """Stops a view with an error page (status, message)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def readable_dataset(user, pid: str):
    """The dataset, or PageError: 404 when there is none, 403 when `user` may not read it.

    Anonymous visitors get 403 too (with a sign-in link), not 404: the SciCat API already
    tells existing from missing pids, so hiding it here would protect nothing."""
    try:
        return dataset_get(user=user, pid=pid)
    except NotFound as exc:
        raise PageError(404, f"There is no dataset {pid}.") from exc
    except PermissionDenied as exc:
        if user is not None and user.is_authenticated:
            raise PageError(403, "You may not see this dataset.") from exc
        raise PageError(403, "This dataset is not public. Sign in to see it.") from exc


def search_url(field: str, value: str) -> str:
    """The search page filtered on one field value, e.g. keyword:"two words"."""
    return reverse("portal:search") + "?" + urlencode({"q": f"{field}:{atom(value)}"})


def publisher() -> str:
    return getattr(settings, "FACILITY", "") or "fedcat"


def spdx_url(licence: str) -> str:
    """The SPDX page of a licence id (e.g. CC-BY-4.0), or "" for free text."""
    licence = (licence or "").strip()
    return f"https://spdx.org/licenses/{licence}.html" if _SPDX_ID.match(licence) else ""


def access_state(user, dataset) -> list[str]:
    """Sentences saying who can see the dataset and why this user can."""
    now = timezone.now()
    found = relations(user, dataset)
    lines = []
    if dataset.is_published:
        lines.append("public (published)")
    elif is_public(dataset, now):
        lines.append(f"public since the embargo ended on {dataset.embargo_end:%Y-%m-%d}")
    elif dataset.embargo_end is not None:
        lines.append(f"embargoed until {dataset.embargo_end:%Y-%m-%d}")
    else:
        lines.append("private (no embargo end set)")
    why = {
        Relation.OWNER: "you are in its owner group",
        Relation.ACCESS_GROUP: "shared with a group you are in",
        Relation.SHARED: "shared with you",
        Relation.ADMIN: "you see it as an administrator",
        Relation.LIFECYCLE_MANAGER: "you see it as an archive manager",
    }
    lines += [text for relation, text in why.items() if relation in found]
    return lines


def human_size(value) -> str:
    """Bytes in decimal units (as the search syntax counts them): 0 B, 999 B, 1.2 kB, 3.4 GB."""
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    if size < 1000:
        return f"{int(size)} B"
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        size /= 1000
        if size < 1000 or unit == "PB":
            return f"{size:.1f} {unit}"
    return ""  # pragma: no cover
