"""/Datasets/{pid} endpoints: GET, PATCH, PUT, DELETE, datasetlifecycle, appendToArrayField,
thumbnail.

Reads answer 404 for a missing pid, then 403 when it is not readable. Writes find the dataset
whoever asks (a delete group needs no read right) and let the service refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.http import parse_http_date_safe
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.filters import filter_from_request, parse_json_param
from catalogue.errors import CatalogueError, InvalidInput
from catalogue.selectors import dataset_get
from catalogue.services import dataset_delete, dataset_update
from catalogue.services.common import parse_timestamp

from .input import appended_values, lifecycle_values, patch_values, put_values
from .output import dataset_from_snapshot, dataset_v3
from .reads import dataset_by_pid, dataset_thumbnail
from .relations import relation_names
from .views import documents


class PreconditionFailed(CatalogueError):
    status_code = 412
    error = "Precondition Failed"


class MergePatchParser(JSONParser):
    """RFC 7396 bodies are JSON objects too; SciCat accepts them on PATCH."""

    media_type = "application/merge-patch+json"


def _unmodified_since(request) -> datetime | None:
    """The If-Unmodified-Since header as a time (an HTTP date, or ISO 8601 as JavaScript's
    Date reads it); None when absent or unreadable, which upstream also ignores."""
    raw = request.headers.get("If-Unmodified-Since", "").strip()
    if not raw:
        return None
    seconds = parse_http_date_safe(raw)
    if seconds is not None:
        return datetime.fromtimestamp(seconds, UTC)
    try:
        return parse_timestamp(raw, "If-Unmodified-Since")
    except InvalidInput:
        return None


def _check_unmodified(request, dataset) -> None:
    since = _unmodified_since(request)
    # HTTP dates have whole seconds: a record changed within the same second is not "after".
    if since is not None and dataset.updated_at.replace(microsecond=0) > since.replace(
        microsecond=0
    ):
        raise PreconditionFailed("Precondition Failed")


class DatasetView(APIView):
    parser_classes = [JSONParser, MergePatchParser]

    def get(self, request, pid):
        dataset = dataset_get(user=request.user, pid=pid)
        flt = filter_from_request(request)
        relation_names(flt.include)
        # The legacy history comes with the record unless a projection is asked for.
        return Response(documents(request.user, [dataset], flt, history=not flt.fields)[0])

    def patch(self, request, pid):
        dataset = dataset_get(user=request.user, pid=pid)
        changes = patch_values(request.data)
        _check_unmodified(request, dataset)
        updated = dataset_update(user=request.user, dataset=dataset, changes=changes)
        return Response(dataset_v3(updated))

    def put(self, request, pid):
        dataset = dataset_get(user=request.user, pid=pid)
        values = put_values(request.data, dataset)
        updated = dataset_update(user=request.user, dataset=dataset, changes=values)
        return Response(dataset_v3(updated))

    def delete(self, request, pid):
        dataset = dataset_by_pid(pid)
        last_state = dataset_delete(user=request.user, dataset=dataset)
        return Response(dataset_v3(dataset_from_snapshot(last_state)))


class LifecycleView(APIView):
    parser_classes = [JSONParser, MergePatchParser]

    def get(self, request, pid):
        return Response(dataset_get(user=request.user, pid=pid).datasetlifecycle)

    def patch(self, request, pid):
        dataset = dataset_by_pid(pid)
        merged = lifecycle_values(request.data, dataset.datasetlifecycle)
        updated = dataset_update(
            user=request.user, dataset=dataset, changes={"datasetlifecycle": merged}
        )
        return Response(updated.datasetlifecycle)


class AppendToArrayFieldView(APIView):
    def post(self, request, pid):
        dataset = dataset_by_pid(pid)
        data = parse_json_param(request.query_params.get("data"), "data")
        changes = appended_values(request.query_params.get("fieldName"), data, dataset)
        updated = dataset_update(user=request.user, dataset=dataset, changes=changes)
        return Response(dataset_v3(updated), status=status.HTTP_201_CREATED)


class ThumbnailView(APIView):
    def get(self, request, pid):
        dataset = dataset_get(user=request.user, pid=pid)
        thumbnail = dataset_thumbnail(request.user, dataset)
        return Response({"thumbnail": thumbnail} if thumbnail else {})
