"""Root URLs. Each area lists its own routes in its own module."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("portal.observability.urls")),
    path("admin/", admin.site.urls),
    path("api/v3/", include("catalogue.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("explorer/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/search/", include("search.urls")),
    path("api/federation/", include("search.federation.api_urls")),
    path("panosc-api/", include("search.panosc.urls")),
    path("", include("catalogue.publishing.urls")),
    path("", include("portal.urls_pages")),
]
