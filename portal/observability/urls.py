"""Operations routes, mounted at the root: ``path("", include("portal.observability.urls"))``.

``/-/`` holds what is for machines, not people; ``/metrics`` is where Prometheus looks by default.
"""

from django.urls import path

from portal.observability import health, metrics

urlpatterns = [
    path("-/live", health.live, name="health-live"),
    path("-/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
