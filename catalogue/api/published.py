"""SciCat v3 /PublishedData: the flat v3 view over the stored (v4-like) record.

v3 fields map onto the model as upstream's PublishedDataObsoleteDto does (scicat-api.md §6.2):
title, abstract, numberOfFiles, sizeOfArchive, registeredTime and doi are columns; pidArray is
dataset_pids; creator → metadata.creators[].name, authors → metadata.contributors[].name,
publisher → metadata.publisher.name, relatedPublications → metadata.relatedIdentifiers[]
.relatedIdentifier, and affiliation, publicationYear, url, dataDescription, resourceType,
scicatUser, thumbnail, downloadLink → metadata.<same name>. Status: stored registered or amended
reads "registered", anything else "pending_registration" (which maps back to private).
fedcat adds two read-only fields SciCat clients ignore: `doiState`, the DOI's lifecycle state
(draft, reserved, registered, findable, hidden, failed) and, when DataCite refused it,
`doiError`. A v3 "registered" record may thus still be `reserved` (registration at DataCite
queued) or `failed`; registering a failed record again resubmits it.

Anonymous users see registered records only (a GET of another answers 404); signed-in users see
all. Writes go through catalogue.services.published.
"""

from __future__ import annotations

from dataclasses import replace
from functools import reduce
from operator import and_

from django.db.models import Q
from rest_framework import status
from rest_framework.response import Response

from catalogue.access import Action, can
from catalogue.access_entities import (
    REGISTERED_STATUSES,
    proposals_visible_to,
    published_data_visible_to,
)
from catalogue.errors import InvalidInput, NotFound
from catalogue.models import Attachment, Dataset, PublishedData, PublishedDataStatus
from catalogue.services.published import (
    published_data_create,
    published_data_delete,
    published_data_register,
    published_data_update,
)

from .camel import iso
from .entities.common import (
    EntityView,
    Schema,
    entity_filter,
    fields_param,
    filtered,
    limits_param,
    project,
    where_q,
)
from .fields import model_field_resolver
from .filters import Limits
from .routing import api_path
from .where import FieldRef, FilterError

PENDING, REGISTERED = "pending_registration", "registered"
V3_STATUS = {
    PENDING: (PublishedDataStatus.PRIVATE, PublishedDataStatus.PUBLIC),
    REGISTERED: REGISTERED_STATUSES,
}
IN_METADATA = (
    "affiliation",
    "publicationYear",
    "url",
    "dataDescription",
    "resourceType",
    "scicatUser",
    "thumbnail",
    "downloadLink",
)
STRINGS = ("doi", "title", "abstract", "affiliation", "publisher", "url", "dataDescription")
STRINGS += ("resourceType", "scicatUser", "thumbnail", "downloadLink", "status")
STRING_LISTS = ("creator", "authors", "pidArray", "relatedPublications")
NUMBERS = ("publicationYear", "numberOfFiles", "sizeOfArchive")
REQUIRED = ("creator", "publisher", "publicationYear", "title", "abstract", "dataDescription")
REQUIRED += ("resourceType", "pidArray")
# Kept by the server: ignored when a client sends them back.
IGNORED = frozenset(
    {"_id", "registeredTime", "createdAt", "updatedAt", "createdBy", "updatedBy"}
    | {"doiState", "doiError"}
)
COLUMNS = {
    "doi": "doi",
    "title": "title",
    "abstract": "abstract",
    "numberOfFiles": "number_of_files",
    "sizeOfArchive": "size_of_archive",
    "pidArray": "dataset_pids",
}
LISTS_IN_METADATA = {
    "creator": ("creators", "name"),
    "authors": ("contributors", "name"),
    "relatedPublications": ("relatedIdentifiers", "relatedIdentifier"),
}


def _v3_status(record: PublishedData) -> str:
    return REGISTERED if record.status in REGISTERED_STATUSES else PENDING


def to_v3(record: PublishedData) -> dict:
    meta = record.metadata or {}
    publisher = meta.get("publisher")
    data = {
        "_id": record.doi,
        "doi": record.doi,
        "title": record.title,
        "abstract": record.abstract,
        "publisher": publisher.get("name") if isinstance(publisher, dict) else publisher,
        "numberOfFiles": record.number_of_files,
        "sizeOfArchive": record.size_of_archive,
        "pidArray": record.dataset_pids,
        "registeredTime": iso(record.registered_time),
        "status": _v3_status(record),
        "doiState": record.state,
        "doiError": record.doi_error or None,
        "createdBy": record.created_by,
        "updatedBy": record.updated_by,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
    }
    data.update({key: meta.get(key) for key in IN_METADATA})
    for name, (key, inner) in LISTS_IN_METADATA.items():
        items = meta.get(key)
        if isinstance(items, list):
            data[name] = [i[inner] for i in items if isinstance(i, dict) and inner in i]
    return {key: value for key, value in data.items() if value is not None}


def from_v3(body, record: PublishedData | None = None) -> dict:
    """Service values from a v3 body; a create (no `record`) needs upstream's required fields."""
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    body = {key: value for key, value in body.items() if key not in IGNORED}
    known = {*STRINGS, *STRING_LISTS, *NUMBERS}
    unknown = sorted(set(body) - known)
    if unknown:
        raise InvalidInput([f"property {name} should not exist" for name in unknown])
    if record is None:
        missing = [name for name in REQUIRED if body.get(name) in (None, "", [])]
        if missing:
            raise InvalidInput([f"{name} should not be empty" for name in missing])
    _check_types(body)
    if record is not None and body.get("status") == _v3_status(record):
        del body["status"]  # a client sending the record back unchanged
    values = {column: body[name] for name, column in COLUMNS.items() if name in body}
    if "status" in body:
        values["status"] = (
            PublishedDataStatus.PRIVATE if body["status"] == PENDING else body["status"]
        )
    meta = dict(record.metadata or {}) if record is not None else {}
    meta.update({key: body[key] for key in IN_METADATA if key in body})
    if "publisher" in body:
        meta["publisher"] = {"name": body["publisher"]}
    for name, (key, inner) in LISTS_IN_METADATA.items():
        if name in body:
            meta[key] = [{inner: value} for value in body[name]]
    if record is None or meta != (record.metadata or {}):
        values["metadata"] = meta
    return values


def _check_types(body: dict) -> None:
    errors = [f"{name} must be a string" for name in STRINGS if _bad(body, name, str)]
    errors += [f"{name} must be a number" for name in NUMBERS if _bad(body, name, int | float)]
    for name in STRING_LISTS:
        value = body.get(name)
        if name in body and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            errors.append(f"each value in {name} must be a string")
    if errors:
        raise InvalidInput(errors)


def _bad(body: dict, name: str, kind) -> bool:
    value = body.get(name)
    return name in body and (isinstance(value, bool) or not isinstance(value, kind))


# --- filters -------------------------------------------------------------------------------------


def _status_q(condition) -> Q:
    """`status` in v3 words (registered, pending_registration) or stored ones."""

    def stored(value) -> list[str]:
        if value in V3_STATUS:
            return list(V3_STATUS[value])
        if value in PublishedDataStatus.values:
            return [value]
        raise FilterError(f"unknown status {value!r}; use registered or pending_registration")

    if isinstance(condition, str):
        return Q(status__in=stored(condition))
    if not isinstance(condition, dict) or not condition:
        raise FilterError("unsupported condition on status")
    parts = []
    for op, operand in condition.items():
        op = op.lstrip("$")
        values = operand if op in ("inq", "in", "nin") else [operand]
        if not isinstance(values, list):
            raise FilterError(f"{op} on status needs a list")
        matched = Q(status__in=[s for value in values for s in stored(value)])
        if op in ("inq", "in", "eq"):
            parts.append(matched)
        elif op in ("nin", "neq", "ne"):
            parts.append(~matched)
        else:
            raise FilterError(f"{op} is not supported on status")
    return reduce(and_, parts)


_columns = model_field_resolver(PublishedData, {"_id": "doi", "pidArray": "dataset_pids"})


def _resolve(name: str) -> FieldRef:
    head, _, rest = str(name).partition(".")
    if head in IN_METADATA and not rest:
        return FieldRef(lookup=f"metadata__{head}", kind="json")
    if name == "publisher":
        return FieldRef(lookup="metadata__publisher__name", kind="json")
    if head in LISTS_IN_METADATA:
        raise FilterError(f"filtering on {head} is not supported")
    return _columns(name)


SCHEMA = Schema(
    PublishedData,
    aliases={"_id": "doi", "pidArray": "dataset_pids"},
    list_fields=frozenset({"dataset_pids"}),
    special={"status": _status_q},
    resolver=_resolve,
)


def _record(user, doi: str) -> PublishedData:
    record = published_data_visible_to(user).filter(doi=doi).first()
    if record is None:
        raise NotFound(f"PublishedData: {doi} not found")
    return record


# --- views ---------------------------------------------------------------------------------------


class PublishedDataList(EntityView):
    def get(self, request):
        flt = entity_filter(request)
        if "limits" in request.query_params and flt.limits == Limits():
            flt = replace(flt, limits=limits_param(request))  # upstream's separate `limits`
        records = filtered(published_data_visible_to(request.user), flt, SCHEMA)
        return Response([project(to_v3(record), flt.fields) for record in records])

    def post(self, request):
        record = published_data_create(user=request.user, data=from_v3(request.data))
        return Response(to_v3(record), status=status.HTTP_201_CREATED)


class PublishedDataCount(EntityView):
    """{count}; `filter`'s where and a `fields` object of conditions, as upstream."""

    def get(self, request):
        fields = fields_param(request)
        query = where_q(entity_filter(request).where, SCHEMA) & where_q(fields, SCHEMA)
        return Response({"count": published_data_visible_to(request.user).filter(query).count()})


class PublishedDataFormPopulate(EntityView):
    """Prefill for the publication form from a dataset the user can read (else {})."""

    def get(self, request):
        pid = request.query_params.get("pid")
        if not pid:
            raise InvalidInput("pid is required")
        dataset = Dataset.objects.visible_to(request.user).filter(pid=pid).first()
        if dataset is None:
            return Response({})
        form = {"resourceType": dataset.type, "description": dataset.description}
        if dataset.proposal_ids:
            visible = proposals_visible_to(request.user)
            proposal = visible.filter(pk=dataset.proposal_ids[0]).first()
            if proposal is not None:
                form.update(title=proposal.title, abstract=proposal.abstract)
        # A thumbnail is a view of the data: only for users who may download them.
        attachment = Attachment.objects.filter(dataset=dataset).order_by("created_at").first()
        if attachment is not None and can(request.user, Action.DOWNLOAD, dataset):
            form["thumbnail"] = attachment.thumbnail
        return Response(form)


class PublishedDataDetail(EntityView):
    def get(self, request, doi):
        return Response(to_v3(_record(request.user, doi)))

    def patch(self, request, doi):
        record = _record(request.user, doi)
        changes = from_v3(request.data, record)
        record = published_data_update(user=request.user, record=record, changes=changes)
        return Response(to_v3(record))

    def delete(self, request, doi):
        record = _record(request.user, doi)
        last_state = to_v3(record)
        published_data_delete(user=request.user, record=record)
        return Response(last_state)


class PublishedDataRegister(EntityView):
    def post(self, request, doi):
        record = published_data_register(user=request.user, record=_record(request.user, doi))
        return Response(to_v3(record), status=status.HTTP_201_CREATED)


class PublishedDataResync(EntityView):
    """Updates the record from a v3 body (no OAI-PMH provider to push to)."""

    def post(self, request, doi):
        record = _record(request.user, doi)
        changes = from_v3(request.data, record)
        record = published_data_update(user=request.user, record=record, changes=changes)
        return Response(to_v3(record), status=status.HTTP_201_CREATED)


DOI = r"(?P<doi>.+?)"
routes = [
    api_path(r"publisheddata/count", PublishedDataCount.as_view()),
    api_path(r"publisheddata/formpopulate", PublishedDataFormPopulate.as_view()),
    api_path(rf"publisheddata/{DOI}/register", PublishedDataRegister.as_view()),
    api_path(rf"publisheddata/{DOI}/resync", PublishedDataResync.as_view()),
    api_path(rf"publisheddata/{DOI}", PublishedDataDetail.as_view()),
    api_path(r"publisheddata", PublishedDataList.as_view()),
]
