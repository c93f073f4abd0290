from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v3/", include("catalogue.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("explorer/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
