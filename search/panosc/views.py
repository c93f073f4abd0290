"""The PaNOSC Common Search API views: parse the request, ask one selector, render JSON.

Read-only and anonymous by default: public data only (published, or the embargo has ended).
A ``Authorization: Bearer <token>`` of fedcat's API widens that to the token owner's view
(``Dataset.objects.visible_to``); an invalid or expired token is anonymous, as in the SciCat
API. Every answer carries CORS headers (the portal calls providers from the browser); OPTIONS
answers a preflight; any other method is a 404, as on the reference provider.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from catalogue.api.auth import raw_token
from catalogue.services.tokens import bearer_user

from . import datasets, documents, instruments
from .errors import PanoscError, error_response, no_route
from .filters import scope_from_request, where_from_request
from .graph import Graph

logger = logging.getLogger(__name__)

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Max-Age": "86400",
}
ALLOWED_HEADERS = "Accept, Authorization, Content-Type"


def request_user(request):
    raw = raw_token(request)
    return bearer_user(raw) if raw else None


@method_decorator(csrf_exempt, name="dispatch")
class PanoscView(View):
    """Subclasses define answer(request, graph, **kwargs) -> JSON-able data."""

    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method == "OPTIONS":
                response = self._preflight(request)
            elif request.method not in ("GET", "HEAD"):
                response = error_response(404, no_route(request).message)
            else:
                graph = Graph(request_user(request))
                response = JsonResponse(self.answer(request, graph, **kwargs), safe=False)
        except PanoscError as exc:
            response = error_response(exc.status_code, exc.message, exc.code)
        except Exception:
            logger.exception("PaNOSC API request failed: %s", request.get_full_path())
            response = error_response(500, "Internal Server Error")
        for name, value in CORS.items():
            response[name] = value
        return response

    @staticmethod
    def _preflight(request) -> HttpResponse:
        response = HttpResponse(status=204)
        asked = request.headers.get("Access-Control-Request-Headers")
        response["Access-Control-Allow-Headers"] = asked or ALLOWED_HEADERS
        return response

    def answer(self, request, graph, **kwargs):
        raise NotImplementedError


class Datasets(PanoscView):
    def answer(self, request, graph):
        return datasets.find(graph, scope_from_request(request))


class DatasetsCount(PanoscView):
    def answer(self, request, graph):
        return {"count": datasets.count(graph, where_from_request(request))}


class Dataset(PanoscView):
    def answer(self, request, graph, pid):
        return datasets.get(graph, pid, scope_from_request(request))


class DatasetFiles(PanoscView):
    def answer(self, request, graph, pid):
        return datasets.files(graph, pid, scope_from_request(request))


class DatasetFilesCount(PanoscView):
    def answer(self, request, graph, pid):
        return {"count": datasets.files_count(graph, pid, where_from_request(request))}


class Documents(PanoscView):
    def answer(self, request, graph):
        return documents.find(graph, scope_from_request(request))


class DocumentsCount(PanoscView):
    def answer(self, request, graph):
        return {"count": documents.count(graph, where_from_request(request))}


class Document(PanoscView):
    def answer(self, request, graph, pid):
        return documents.get(graph, pid, scope_from_request(request))


class Instruments(PanoscView):
    def answer(self, request, graph):
        return instruments.find(graph, scope_from_request(request))


class InstrumentsCount(PanoscView):
    def answer(self, request, graph):
        return {"count": instruments.count(graph, where_from_request(request))}


class Instrument(PanoscView):
    def answer(self, request, graph, pid):
        return instruments.get(graph, pid, scope_from_request(request))


class Unknown(PanoscView):
    def answer(self, request, graph, **kwargs):
        raise no_route(request)
