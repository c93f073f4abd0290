"""URL helpers for SciCat's conventions: case-insensitive paths and pids that contain '/'.

Django decodes %2F before routing, so a pid arrives with its slashes. Routes with a known
suffix (…/origdatablocks) are listed before the bare `Datasets/<pid>` route, and the pid part is
greedy, so `a/b/origdatablocks` routes to the blocks of pid `a/b`.

Case-insensitivity is a compile flag, not an inline `(?i)`: Django's reverse() cannot read
inline flags, and one unreadable pattern breaks reverse() for the whole site.
"""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern
from django.urls.resolvers import LocaleRegexDescriptor, RegexPattern

PID = r"(?P<pid>.+)"


class _IgnoreCaseRegex(LocaleRegexDescriptor):
    def _compile(self, regex):
        try:
            # DOTALL: a pid may hold any character, a newline too (it then gets a JSON 404).
            return re.compile(regex, re.IGNORECASE | re.DOTALL)
        except re.error as exc:
            raise ImproperlyConfigured(
                f'"{regex}" is not a valid regular expression: {exc}'
            ) from exc


class CaseInsensitivePattern(RegexPattern):
    regex = _IgnoreCaseRegex()


def api_path(pattern: str, view, name: str | None = None) -> URLPattern:
    """A case-insensitive route; `pattern` is a regex without anchors, e.g. 'datasets/count'."""
    return URLPattern(
        CaseInsensitivePattern(rf"^{pattern}/?$", name=name, is_endpoint=True), view, name=name
    )
