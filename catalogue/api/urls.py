"""The SciCat v3 REST API under /api/v3/. Each resource module lists its own routes.

Order matters: routes with a suffix after a pid (…/origdatablocks) and fixed names
(Datasets/count) come before the catch-all `Datasets/<pid>`.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import datasets, entities, origdatablocks, published, users
from .errors import error_body
from .routing import api_path


@csrf_exempt
def not_found(request, **kwargs) -> JsonResponse:
    """Any other path under /api/v3/: a 404 in SciCat's shape rather than an HTML page."""
    return JsonResponse(error_body(404, f"Cannot {request.method} {request.path}"), status=404)


urlpatterns = [
    *users.routes,
    *origdatablocks.routes,
    *datasets.routes,
    *entities.routes,
    *published.routes,
    api_path(".*", not_found),
]
