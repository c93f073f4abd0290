"""Routes of the PaNOSC Common Search API, mounted at /panosc-api/ (docs/panosc-api.md).

Paths match case-insensitively (the aggregator calls /Datasets, the docs write /datasets).
Django decodes %2F before routing, so a pid arrives with its slashes: the pid part is lazy and
the routes with a suffix (…/files, …/files/count) and fixed names (…/count) come first.
"""

from django.urls import URLResolver

from catalogue.api.routing import CaseInsensitivePattern, api_path
from search.federation import views as federated

from . import views
from .openapi import openapi_view

PID = r"(?P<pid>.+?)"

urlpatterns = [
    # The federated search in the same shape (search/federation/, docs/federation.md).
    URLResolver(CaseInsensitivePattern(r"^federated/"), "search.federation.urls"),
    api_path("federated", federated.Root.as_view()),
    api_path(r"openapi\.json", openapi_view, name="panosc-openapi"),
    api_path("datasets/count", views.DatasetsCount.as_view(), name="panosc-datasets-count"),
    api_path(f"datasets/{PID}/files/count", views.DatasetFilesCount.as_view()),
    api_path(f"datasets/{PID}/files", views.DatasetFiles.as_view(), name="panosc-dataset-files"),
    api_path(f"datasets/{PID}", views.Dataset.as_view(), name="panosc-dataset"),
    api_path("datasets", views.Datasets.as_view(), name="panosc-datasets"),
    api_path("documents/count", views.DocumentsCount.as_view(), name="panosc-documents-count"),
    api_path(f"documents/{PID}", views.Document.as_view(), name="panosc-document"),
    api_path("documents", views.Documents.as_view(), name="panosc-documents"),
    api_path("instruments/count", views.InstrumentsCount.as_view()),
    api_path(f"instruments/{PID}", views.Instrument.as_view(), name="panosc-instrument"),
    api_path("instruments", views.Instruments.as_view(), name="panosc-instruments"),
    api_path(".*", views.Unknown.as_view()),
]
