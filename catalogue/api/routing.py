"""URL helpers for SciCat's conventions: case-insensitive paths and pids that contain '/'.

Django decodes %2F before routing, so a pid arrives with its slashes. Routes with a known
suffix (…/origdatablocks) are listed before the bare `Datasets/<pid>` route, and the pid part is
greedy, so `a/b/origdatablocks` routes to the blocks of pid `a/b`.
"""

from __future__ import annotations

from django.urls import re_path

PID = r"(?P<pid>.+)"


def api_path(pattern: str, view, name: str | None = None):
    """A case-insensitive route; `pattern` is a regex without anchors, e.g. 'datasets/count'."""
    return re_path(rf"(?i)^{pattern}/?$", view, name=name)
