"""The search help page: docs/search-syntax.md rendered (raw HTML in the file is not passed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

SYNTAX_FILE = Path("docs") / "search-syntax.md"


@lru_cache(maxsize=4)
def _rendered(path: Path, mtime_ns: int) -> str:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return parser.render(path.read_text(encoding="utf-8"))


def syntax_html() -> str | None:
    path = Path(settings.BASE_DIR) / SYNTAX_FILE
    try:
        return _rendered(path, path.stat().st_mtime_ns)
    except OSError:
        return None


def search_help(request):
    html = syntax_html()
    # markdown-it escapes text and drops raw HTML ("html": False), so its output is safe.
    context = {"syntax": mark_safe(html) if html is not None else None}
    return render(request, "portal/help_search.html", context)
