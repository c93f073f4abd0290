"""Template helpers: safe search highlights, the scientific-metadata tree, sizes, URLs.

Everything that returns markup builds it from escaped text with format_html; nothing passes a
stored value through mark_safe.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from portal.pages.common import human_size as _human_size

register = template.Library()

_MARKS = re.compile(r"(<mark>|</mark>)")
MAX_NODES = 3000  # metadata entries shown; the rest is in the API
MAX_DEPTH = 12
MAX_TEXT = 2000
MAX_LIST = 50
QUANTITY_KEYS = ({"value", "unit"}, {"v", "u"})
_SI_KEYS = {"valueSI", "unitSI"}


@register.filter
def highlight(snippet) -> SafeString:
    """A backend's highlight (text with <mark>…</mark>) rebuilt from escaped text: only the
    marks survive as markup, whatever else the snippet holds."""
    out, marked = [], False
    for part in _MARKS.split(str(snippet or "")):
        if part == "<mark>":
            marked = True
        elif part == "</mark>":
            marked = False
        elif part:
            text = html.escape(html.unescape(part), quote=False)
            out.append(f"<mark>{text}</mark>" if marked else text)
    return mark_safe("".join(out))


# (item attribute, link attributes, mark) of a facet value already in the search, and of others
_ACTIVE = (' class="active"', ' aria-current="true" title="Remove this filter"', "✓ ")
_INACTIVE = ("", "", "")
_FACET_ENTRY = '<li%s><a href="%s"%s>%s%s</a> <span class="count">%s</span></li>\n'


@register.simple_tag
def facet_entries(entries) -> SafeString:
    """The list items of facet values (portal.pages.search._facets): a link that adds the
    value to the search, or, for a value already in it, removes it again; then the count.

    A search page shows about a hundred values, so they are built here in one pass (every
    value escaped, as format_html would) rather than by a template or format_html per value,
    which cost several milliseconds a page."""
    out = []
    for entry in entries:
        item, link, mark = _ACTIVE if entry["active"] else _INACTIVE
        url, label = html.escape(str(entry["url"])), html.escape(str(entry["label"]))
        out.append(_FACET_ENTRY % (item, url, link, mark, label, html.escape(str(entry["count"]))))
    return mark_safe("".join(out))


@register.filter
def human_size(value) -> str:
    return _human_size(value)


@register.simple_tag
def login_url(request) -> str:
    """The sign-in page (LOGIN_URL when it exists, else the admin's) coming back here."""
    target = getattr(settings, "LOGIN_URL", "")
    try:
        resolve(target)
    except (Resolver404, TypeError):
        try:
            target = reverse("admin:login")
        except NoReverseMatch:
            return ""
    return f"{target}?{urlencode({'next': request.get_full_path()})}"


def _scalar(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _quantity_keys(value: dict) -> tuple[str, str] | None:
    for keys in QUANTITY_KEYS:
        if keys <= value.keys():
            return tuple(sorted(keys, key=lambda k: k not in ("value", "v")))  # (value, unit)
    return None


class _Tree:
    def __init__(self):
        self.nodes = 0
        self.truncated = False

    def render(self, value, depth: int) -> SafeString:
        if isinstance(value, dict):
            items = list(value.items())
        else:
            items = [(f"[{i}]", item) for i, item in enumerate(value)]
        rows = []
        for key, item in items:
            self.nodes += 1
            if self.nodes > MAX_NODES or depth > MAX_DEPTH:
                self.truncated = True
                break
            rows.append(self.entry(str(key), item, depth))
        return format_html('<ul class="tree">{}</ul>', format_html_join("", "{}", rows))

    def entry(self, key: str, value, depth: int):
        if isinstance(value, dict) and (keys := _quantity_keys(value)):
            return (self.quantity(key, value, keys, depth),)
        if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            shown = ", ".join(_scalar(v) for v in value[:MAX_LIST])
            if len(value) > MAX_LIST:
                shown += f", … ({len(value) - MAX_LIST} more)"
            return (self.leaf(key, shown or "[]"),)
        if isinstance(value, dict | list):
            if not value:
                return (self.leaf(key, "{}" if isinstance(value, dict) else "[]"),)
            return (
                format_html(
                    '<li><details open><summary class="key">{}</summary>{}</details></li>',
                    key,
                    self.render(value, depth + 1),
                ),
            )
        return (self.leaf(key, _scalar(value)),)

    def leaf(self, key: str, text: str):
        return format_html(
            '<li><span class="key">{}</span> <span class="value">{}</span></li>', key, text
        )

    def quantity(self, key: str, value: dict, keys, depth: int):
        number, unit = value.get(keys[0]), value.get(keys[1])
        shown = f"{_scalar(number)} {_scalar(unit) if unit not in (None, '') else ''}".strip()
        si = ""
        if value.get("valueSI") is not None:
            si = f"{_scalar(value['valueSI'])} {_scalar(value.get('unitSI') or '')}".strip()
        extra = {k: v for k, v in value.items() if k not in {*keys, *_SI_KEYS}}
        rest = self.render(extra, depth + 1) if extra else ""
        if si:
            return format_html(
                '<li><span class="key">{}</span> <span class="value quantity" title="SI: {}">{}'
                '</span><span class="visually-hidden"> (SI: {})</span>{}</li>',
                key,
                si,
                shown,
                si,
                rest,
            )
        return format_html(
            '<li><span class="key">{}</span> <span class="value quantity">{}</span>{}</li>',
            key,
            shown,
            rest,
        )


@register.simple_tag
def metadata_tree(value) -> SafeString:
    """Nested metadata as nested lists; quantities as "12.4 keV" with the SI value as title."""
    if not isinstance(value, dict | list) or not value:
        return format_html('<p class="muted">{}</p>', "None recorded.")
    tree = _Tree()
    rendered = tree.render(value, 0)
    if tree.truncated:
        note = format_html(
            '<p class="muted">{}</p>', "Shortened: the full metadata is in the API record."
        )
        return format_html("{}{}", rendered, note)
    return rendered
