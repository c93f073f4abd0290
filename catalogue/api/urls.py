"""The SciCat v3 REST API under /api/v3/. Each resource module lists its own routes.

Within a module, fixed names (Datasets/count) come before the catch-all `Datasets/<pid>`,
which leaves alone the sub-resources other modules serve (…/origdatablocks), so the modules
may come in any order.
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
    # Datasets first: the most asked, and each route tried before the match costs a regex.
    *datasets.routes,
    *users.routes,
    *origdatablocks.routes,
    *entities.routes,
    *published.routes,
    api_path(".*", not_found),
]
