"""One proposal, sample or instrument: finding it, rendering it with its includes, the
GET/PATCH/DELETE of it, whether a user may read it and the datasets that name it.
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.response import Response

from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Attachment, Dataset

from ..camel import model_to_camel
from ..datasets.output import dataset_v3
from ..filters import Limits
from ..where import FilterError
from .common import EntityView, Readable, body_of, entity_filter, render


def get_visible(model, visible: Callable, pk, user, label: str):
    """The record `pk`: 404 when it does not exist, 403 when `user` may not read it (SciCat)."""
    instance = model.objects.filter(pk=pk).first()
    if instance is None:
        raise NotFound(f"{label}: {pk} not found")
    if not visible(user).filter(pk=instance.pk).exists():
        raise PermissionDenied("Unauthorized access")
    return instance


def get_or_404(model, pk, label: str):
    instance = model.objects.filter(pk=pk).first()
    if instance is None:
        raise NotFound(f"{label}: {pk} not found")
    return instance


def datasets_linked(user, kind: str, value: str, limits: Limits) -> list[dict]:
    """The datasets `user` may read that name `value` as their proposal/sample (term index)."""
    datasets = Dataset.objects.visible_to(user).filter(terms__kind=kind, terms__value=value)
    page = datasets.order_by("-creation_time", "pk")[limits.skip : limits.skip + limits.limit]
    return [dataset_v3(dataset) for dataset in page]


class CanAccess(EntityView):
    """{canAccess}: whether the user may read the record (false when it does not exist).

    Routed as CanAccess.as_view(readable=<user -> the records they may read>).
    """

    readable: Readable | None = None

    def get(self, request, **path):
        (pk,) = path.values()  # the route's one parameter (pid, sid)
        return Response({"canAccess": self.readable(request.user).filter(pk=pk).exists()})


class LinkedDatasets(EntityView):
    """The datasets the user may read that name the record; as_view(kind=TermKind...)."""

    kind = ""

    def get(self, request, **path):
        (pk,) = path.values()
        limits = entity_filter(request).limits
        return Response(datasets_linked(request.user, self.kind, pk, limits))


def attachment_json(attachment: Attachment) -> dict:
    data = model_to_camel(attachment, exclude={"dataset", "proposal", "sample"})
    data["_id"] = data["id"]
    data["datasetId"] = attachment.dataset.pid if attachment.dataset_id else None
    data["proposalId"] = attachment.proposal_id
    data["sampleId"] = attachment.sample_id
    return {key: value for key, value in data.items() if value is not None}


def with_includes(data: dict, instance, include, user, *, kind: str) -> dict:
    """filter.include: `attachments` and `datasets` of a proposal or sample."""
    for item in include:
        relation = item["relation"]
        if relation == "attachments":
            attachments = instance.attachments.select_related("dataset").order_by("created_at")
            data["attachments"] = [attachment_json(a) for a in attachments]
        elif relation == "datasets":
            data["datasets"] = datasets_linked(user, kind, str(instance.pk), Limits())
        else:
            raise FilterError(f"unknown relation {relation!r}; use attachments or datasets")
    return data


def render_with_includes(instance, user=None, include=(), *, kind: str) -> dict:
    """A proposal or sample as SciCat JSON, with filter.include's relations when asked for."""
    return with_includes(render(instance), instance, include, user, kind=kind)


class RecordDetail(EntityView):
    """GET, PATCH and DELETE of one record, the route's one parameter being its id.

    GET answers 404 or 403 as get_visible does; PATCH and DELETE find any record and leave the
    rights to the services; DELETE answers the record as it was. A subclass names `model` and
    `label` and writes `update` and `remove` with its services. Routed as
    as_view(readable=<user -> the records they may read>), or as_view() when everybody reads them.
    """

    model: type | None = None
    label = ""
    readable: Readable | None = None

    def update(self, user, record, changes: dict):
        raise NotImplementedError

    def remove(self, user, record) -> None:
        raise NotImplementedError

    def get(self, request, **path):
        (pk,) = path.values()
        if self.readable is None:
            record = get_or_404(self.model, pk, self.label)
        else:
            record = get_visible(self.model, self.readable, pk, request.user, self.label)
        return Response(render(record))

    def patch(self, request, **path):
        (pk,) = path.values()
        record = get_or_404(self.model, pk, self.label)
        record = self.update(request.user, record, body_of(request))
        return Response(render(record))

    def delete(self, request, **path):
        (pk,) = path.values()
        record = get_or_404(self.model, pk, self.label)
        last_state = render(record)
        self.remove(request.user, record)
        return Response(last_state)
