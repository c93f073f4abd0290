"""Routes of publishing: DOI landing pages, format exports and the OAI-PMH endpoint.

Included at the site root. DOIs and pids contain slashes and dots, so exports put the format
last and the pattern only accepts the known format keys as extensions.
"""

from django.urls import path, re_path

from catalogue.formats import FORMATS

from . import landing
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
]
