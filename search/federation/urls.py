"""Routes of the federated search in the PaNOSC shape, mounted at /panosc-api/federated/ (any
case, as the provider's routes)."""

from django.urls import URLPattern

from catalogue.api.routing import CaseInsensitivePattern, api_path

from . import views

urlpatterns = [
    api_path("datasets/count", views.DatasetsCount.as_view(), name="federated-datasets-count"),
    api_path("datasets", views.DatasetsList.as_view(), name="federated-datasets"),
    api_path("documents/count", views.DocumentsCount.as_view(), name="federated-documents-count"),
    api_path("documents", views.DocumentsList.as_view(), name="federated-documents"),
    URLPattern(CaseInsensitivePattern(r"^$", is_endpoint=True), views.Root.as_view()),
]
