"""The federated search over HTTP, in two shapes over the same service.

PaNOSC shape, under /panosc-api/federated/ (what a PaNOSC portal or aggregator calls):

    GET Datasets?filter=   GET Datasets/count?where=   GET Documents…   GET Documents/count…
    GET /panosc-api/federated/   the partners and their circuit breakers (the aggregator's GET /)

Plain JSON arrays and ``{"count": N}`` as a provider answers; each partner's status is in the
``X-Federation-Status`` header (``name;status=ok;ms=12;count=40, other;status=timeout;ms=3000``)
and the summed total in ``X-Federation-Total``. Errors have LoopBack's shape.

JSON envelope for the portal and scripts, under /api/federation/:

    GET search?q=<portal query>&page=&size=    (or ?filter=<PaNOSC filter>)
    GET partners

``{"results": [...], "total", "totalExact", "page", "size", "partners": [{name, status,
latencyMs, count, ...}]}``. Both answer as the requesting user for the local catalogue (a
session or a bearer token); partners only ever see an anonymous request. A request that itself
comes from a federation (HOP_HEADER) is answered from the local catalogue only.
"""

from __future__ import annotations

import json
import logging
import re

from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from search.panosc.errors import error_body
from search.panosc.serializers import project
from search.panosc.views import CORS, request_user
from search.query import QueryError, parse_query_string

from . import breaker
from .http import HOP_HEADER
from .partners import all_partners, url_allowed
from .query import (
    DATASETS,
    DOCUMENTS,
    MAX_FILTER_CHARS,
    FederatedQuery,
    FederationQueryError,
    from_panosc,
    from_portal,
    where_query,
)
from .service import FederatedResult, PartnerStatus, federated_count, federated_search

logger = logging.getLogger(__name__)
STATUS_HEADER, TOTAL_HEADER = "X-Federation-Status", "X-Federation-Total"
_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')


def status_header(statuses: list[PartnerStatus]) -> str:
    """RFC 8941 list: name;status=ok;ms=12;count=40 (status a token, or a quoted string)."""
    parts = []
    for s in statuses:
        value = s.status if s.status in ("ok", "timeout") else '"' + _UNSAFE.sub("", s.status) + '"'
        entry = f"{s.name};status={value};ms={s.latency_ms}"
        if s.count is not None:
            entry += f";count={s.count}"
        if s.cached:
            entry += ";cached"
        parts.append(entry)
    return ", ".join(parts)


def _load(raw: str):
    if len(raw) > MAX_FILTER_CHARS:
        raise FederationQueryError(f"the filter is longer than {MAX_FILTER_CHARS} characters")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise FederationQueryError("Value is not an object.") from None


def _json_param(request, name: str):
    raw = request.GET.get(name)
    return None if raw is None or raw == "" else _load(raw)


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# --- the PaNOSC shape -----------------------------------------------------------------------------
@method_decorator(csrf_exempt, name="dispatch")
class FederatedView(View):
    http_method_names = ["get", "head", "options", "post", "put", "patch", "delete"]
    entity = DATASETS

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                asked = request.headers.get("Access-Control-Request-Headers")
                response["Access-Control-Allow-Headers"] = asked or "Accept, Authorization"
            elif request.method not in ("GET", "HEAD"):
                message = f"There is no method to handle {request.method} {request.path}"
                response = JsonResponse(error_body(404, message), status=404)
            else:
                response = self.answer(request)
        except FederationQueryError as exc:
            response = JsonResponse(error_body(400, exc.message), status=400)
        except Exception:
            logger.exception("federated request failed: %s", request.get_full_path())
            response = JsonResponse(error_body(500, "Internal Server Error"), status=500)
        for name, value in CORS.items():
            response[name] = value
        response["Access-Control-Expose-Headers"] = f"{STATUS_HEADER}, {TOTAL_HEADER}"
        return response

    def answer(self, request) -> HttpResponse:
        raise NotImplementedError

    @staticmethod
    def respond(data, result: FederatedResult) -> JsonResponse:
        response = JsonResponse(data, safe=False)
        response[STATUS_HEADER] = status_header(result.statuses)
        response[TOTAL_HEADER] = str(result.total)
        return response


class FederatedList(FederatedView):
    def answer(self, request):
        raw = _json_param(request, "filter")
        if raw is None and request.GET.get("query"):
            raw = {"query": request.GET["query"]}
        query = from_panosc(self.entity, raw)
        result = federated_search(
            request_user(request),
            query,
            remote=HOP_HEADER not in request.headers,
            base_url=_base_url(request),
        )
        items = result.items
        if query.fields:
            items = [project(item, _fields(query.fields)) for item in items]
        return self.respond(items, result)


class FederatedCount(FederatedView):
    def answer(self, request):
        query = where_query(self.entity, _json_param(request, "where"))
        remote = HOP_HEADER not in request.headers
        result = federated_count(request_user(request), query, remote=remote)
        return self.respond({"count": result.total}, result)


class DatasetsList(FederatedList):
    entity = DATASETS


class DatasetsCount(FederatedCount):
    entity = DATASETS


class DocumentsList(FederatedList):
    entity = DOCUMENTS


class DocumentsCount(FederatedCount):
    entity = DOCUMENTS


class Root(FederatedView):
    def answer(self, request):
        return JsonResponse(partners_document())


def _fields(fields):
    """LoopBack `fields` -> ({shown} or None, {hidden}), as the provider reads it."""
    if isinstance(fields, list):
        return frozenset(str(f) for f in fields), frozenset()
    if isinstance(fields, dict):
        shown = frozenset(k for k, v in fields.items() if v)
        hidden = frozenset(k for k, v in fields.items() if not v)
        return (shown or None), hidden
    return None, frozenset()


def partners_document() -> dict:
    partners = []
    for partner in all_partners():
        entry = {"name": partner.name, "title": partner.label, "type": partner.kind}
        if partner.remote:
            state = breaker.state(partner.name)
            entry |= {
                "url": partner.url,
                "timeoutMs": round(partner.timeout * 1000),
                "allowed": url_allowed(partner.url),
                "breaker": state.state,
                "recentFailures": state.failures,
            }
        partners.append(entry)
    return {"partners": partners, "data_providers": [p["url"] for p in partners if "url" in p]}


# --- the JSON envelope ----------------------------------------------------------------------------
def envelope(query: FederatedQuery, result: FederatedResult) -> dict:
    return {
        "results": result.items,
        "total": result.total,
        "totalExact": result.exact,
        "page": query.skip // query.limit + 1,
        "size": query.limit,
        "partners": [s.as_dict() for s in result.statuses],
    }


def portal_query(params) -> FederatedQuery:
    """q/page/size (the portal's syntax) or filter (PaNOSC) -> FederatedQuery."""
    if params.get("filter"):
        return from_panosc(DATASETS, _load(params["filter"]))
    parsed = parse_query_string(
        params.get("q", ""), page=params.get("page") or None, size=params.get("size") or None
    )
    return from_portal(parsed)


class SearchApi(APIView):
    """The federated search as one JSON object: results, total and each partner's status."""

    def get(self, request):
        try:
            query = portal_query(request.query_params)
        except QueryError as exc:
            return Response({"error": exc.message, "field": exc.field or "q"}, status=400)
        except FederationQueryError as exc:
            field = "filter" if request.query_params.get("filter") else "page"
            return Response({"error": exc.message, "field": field}, status=400)
        remote = HOP_HEADER not in request.headers
        result = federated_search(request.user, query, remote=remote, base_url=_base_url(request))
        return Response(envelope(query, result))


class PartnersApi(APIView):
    def get(self, request):
        return Response(partners_document())
