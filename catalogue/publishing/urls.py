"""Routes of publishing: DOI landing pages, format exports, the OAI-PMH endpoint and the
portal's publication pages (views.py).

Included at the site root. DOIs and pids contain slashes and dots, so exports put the format
last and the pattern only accepts the known format keys as extensions.
"""

from django.urls import path, re_path

from catalogue.formats import FORMATS

from . import landing, views
from .oai.views import oai_endpoint

_EXTENSIONS = "|".join(key.replace(".", r"\.") for key in FORMATS)

urlpatterns = [
    path("oai", oai_endpoint, name="oai"),
    re_path(
        rf"^export/doi/(?P<identifier>.+)\.(?P<fmt>{_EXTENSIONS})$",
        landing.doi_export,
        name="export-doi",
    ),
    re_path(
        rf"^export/datasets/(?P<identifier>.+)\.(?P<fmt>{_EXTENSIONS})$",
        landing.dataset_export,
        name="export-dataset",
    ),
    path("doi/<path:doi>", landing.doi_landing, name="doi-landing"),
    path("publications/", views.publication_list, name="publication-list"),
    path("publications/new", views.publication_new, name="publication-new"),
    path("publications/<path:doi>/submit", views.publication_submit, name="publication-submit"),
    path("publications/<path:doi>/edit", views.publication_edit, name="publication-edit"),
]
