"""The search JSON API, mounted at /api/search/ (see search/apis.py)."""

from django.urls import path, re_path

from . import apis

urlpatterns = [
    path("", apis.SearchApi.as_view(), name="search-api"),
    re_path(r"^keys/?$", apis.KeysApi.as_view(), name="search-api-keys"),
]
