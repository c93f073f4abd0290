"""/Datasets collection endpoints: list, create, isValid, count, findOne, fullquery, fullfacet,
metadataKeys. Thin adapters: parse, call a service or a read, render.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.access import can_create_dataset
from catalogue.api.filters import Filter, filter_from_request, parse_json_param, parse_limits
from catalogue.errors import PermissionDenied
from catalogue.models import Dataset
from catalogue.selectors import dataset_history
from catalogue.services import dataset_create

from .facets import fullfacet, keys_in, metadata_keys, parse_facets
from .fullsearch import engine_facets, engine_search, page_datasets
from .input import create_problems, create_values
from .output import V3JSONRenderer, dataset_v3, datasets_v3, history_v3
from .query import parse_fields, search_queryset
from .reads import datasets_count, datasets_page, datasets_page_values, ordered
from .relations import related, relation_names
from .scientific import in_requested_units, requested_units


def documents(user, datasets: list[Dataset], flt: Filter, *, history: bool = False) -> list:
    """Datasets as v3 JSON with the relations of `flt.include` (and the history if asked)."""
    names = relation_names(flt.include)
    extra = related(user, datasets, names) if names else {}
    docs = []
    for dataset in datasets:
        found = history_v3(dataset_history(user=user, dataset=dataset)) if history else None
        doc = dataset_v3(dataset, fields=flt.fields, history=found)
        doc.update(extra.get(dataset.pk, {}))
        docs.append(doc)
    return docs


def _check_create_right(user, body, *, instance: bool):
    """Upstream's guard: no create tier at all is 403 before the body is looked at; with
    `instance`, also the tier's own rule (ownerGroup, pid), as isValid does."""
    body = body if isinstance(body, dict) else {}
    owner_group = body.get("ownerGroup")
    decision = can_create_dataset(
        user,
        owner_group=owner_group if isinstance(owner_group, str) else "",
        with_pid=bool(body.get("pid")),
    )
    if not decision and (instance or decision.reason == "Forbidden resource"):
        raise PermissionDenied(decision.reason)


class DatasetsView(APIView):
    renderer_classes = [V3JSONRenderer]

    def get(self, request):
        flt = filter_from_request(request)
        relation_names(flt.include)  # a bad include is a 400 before any work
        if not flt.include and "history" not in flt.fields:  # the common case, kept lean
            rows = datasets_page_values(request.user, flt)
            return Response(datasets_v3(rows, fields=flt.fields))
        datasets = datasets_page(request.user, flt)
        history = "history" in flt.fields
        return Response(documents(request.user, datasets, flt, history=history))

    def post(self, request):
        _check_create_right(request.user, request.data, instance=False)
        values = create_values(request.data)
        dataset = dataset_create(user=request.user, data=values)
        return Response(dataset_v3(dataset), status=status.HTTP_201_CREATED)


class IsValidView(APIView):
    def post(self, request):
        _check_create_right(request.user, request.data, instance=True)
        problems = create_problems(request.data)
        if problems:
            return Response({"valid": False, "error": "; ".join(problems)})
        return Response({"valid": True})


class CountView(APIView):
    def get(self, request):
        return Response({"count": datasets_count(request.user, filter_from_request(request))})


class FindOneView(APIView):
    def get(self, request):
        flt = filter_from_request(request)
        relation_names(flt.include)
        found = datasets_page(request.user, flt)[:1]
        # An empty body (not `null`) when nothing matches, as upstream.
        return Response(documents(request.user, found, flt)[0] if found else None)


def _search_request(request) -> tuple[dict, object]:
    fields = parse_fields(request.query_params.get("fields"))
    limits = parse_limits(parse_json_param(request.query_params.get("limits"), "limits"))
    return fields, limits


class FullqueryView(APIView):
    def get(self, request):
        fields, limits = _search_request(request)
        found = ordered(search_queryset(request.user, fields), limits.order)  # checks: 400s
        result = engine_search(request.user, fields, limits=limits)
        if result is not None:
            page = page_datasets(request.user, [hit.pid for hit in result.hits])
        else:
            page = found[limits.skip : limits.skip + limits.limit]
        units = requested_units(fields.get("scientific"))
        return Response([in_requested_units(dataset_v3(dataset), units) for dataset in page])


class FullfacetView(APIView):
    def get(self, request):
        fields = parse_fields(request.query_params.get("fields"))
        facets = parse_facets(parse_json_param(request.query_params.get("facets"), "facets"))
        found = search_queryset(request.user, fields)  # checks the fields: 400s
        result = engine_search(request.user, fields, facets=facets)
        if result is not None:
            return Response(engine_facets(result, facets))
        return Response(fullfacet(found, facets))


class MetadataKeysView(APIView):
    def get(self, request):
        fields, limits = _search_request(request)
        found = search_queryset(request.user, fields)
        result = engine_search(request.user, fields, limits=limits)
        if result is not None:
            page = page_datasets(request.user, [hit.pid for hit in result.hits])
            metadata = (dataset.scientific_metadata for dataset in page)
            return Response(keys_in(metadata, fields.get("metadataKey")))
        return Response(metadata_keys(found, limits, fields.get("metadataKey")))
