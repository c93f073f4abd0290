"""The federated search as a JSON envelope, mounted at /api/federation/."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^search/?$", views.SearchApi.as_view(), name="federation-search"),
    re_path(r"^partners/?$", views.PartnersApi.as_view(), name="federation-partners"),
]
