"""Search backends, chosen by a dotted path like Django's mail backends.

Settings (read with defaults until portal/settings.py declares them):
``SEARCH_BACKEND`` the class (default the tantivy backend), ``SEARCH_INDEX_DIR`` where an
embedded index lives (default ``DATA_DIR/search-index``), ``SEARCH_BACKEND_OPTIONS`` extra
keyword arguments for the class (e.g. an Elasticsearch URL).
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .base import AccessFilter, Hit, IndexOutOfDate, SearchBackend, SearchResult

__all__ = [
    "DEFAULT_BACKEND",
    "AccessFilter",
    "Hit",
    "IndexOutOfDate",
    "SearchBackend",
    "SearchResult",
    "get_backend",
    "load_backend",
    "reset_backends",
]

DEFAULT_BACKEND = "search.backends.tantivy_backend.TantivyBackend"
_backends: dict[tuple, SearchBackend] = {}
_lock = threading.Lock()


def load_backend(path: str, **options) -> SearchBackend:
    """A new backend instance of the class at `path`."""
    return import_string(path)(**options)


def _configuration() -> tuple[str, str, dict]:
    path = getattr(settings, "SEARCH_BACKEND", DEFAULT_BACKEND)
    index_dir = getattr(settings, "SEARCH_INDEX_DIR", None) or settings.DATA_DIR / "search-index"
    return path, str(index_dir), dict(getattr(settings, "SEARCH_BACKEND_OPTIONS", {}) or {})


def get_backend() -> SearchBackend:
    """The configured backend, one instance per process and configuration (searchers and the
    in-memory twin's documents live in it)."""
    path, index_dir, options = _configuration()
    key = (path, index_dir, tuple(sorted(options.items())))
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = load_backend(path, index_dir=index_dir, **options)
        return backend


def reset_backends() -> None:
    """Forgets every instance (tests; a forked process)."""
    with _lock:
        _backends.clear()
