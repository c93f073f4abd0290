"""Datasets/{pid}/attachments: previews (data-URI thumbnails) shown with a dataset.

Reading needs the dataset's sub-resources to be readable (as for blocks); creating, changing and
deleting need its owner group or an admin, as SciCat's attachment rules. A client `id` and
`datasetId` are ignored (backend#2254): the id is made here and the dataset is the one in the
path. `caption` is optional (pyscicat 0.4.8).
"""

from __future__ import annotations

from rest_framework.response import Response

from catalogue.models import Attachment
from catalogue.services.attachments import (
    attachment_add,
    attachment_delete,
    attachment_update,
    attachments_delete_all,
)

from . import bodies
from .common import JsonApi, require_signed_in
from .queries import dataset_by_pid, readable_dataset, record_of, records_of
from .render import attachment_json


class DatasetAttachments(JsonApi):
    def get(self, request, pid):
        dataset = readable_dataset(user=request.user, pid=pid)
        attachments = records_of(Attachment, dataset).select_related("dataset")
        return Response([attachment_json(attachment) for attachment in attachments])

    def post(self, request, pid):
        require_signed_in(request)
        values = bodies.attachment_new(request.data)
        attachment = attachment_add(user=request.user, dataset=dataset_by_pid(pid), **values)
        return Response(attachment_json(attachment), status=201)

    def delete(self, request, pid):
        require_signed_in(request)
        count = attachments_delete_all(user=request.user, dataset=dataset_by_pid(pid))
        return Response({"count": count})


class DatasetAttachmentCount(JsonApi):
    def get(self, request, pid):
        dataset = readable_dataset(user=request.user, pid=pid)
        return Response({"count": records_of(Attachment, dataset).count()})


class DatasetAttachment(JsonApi):
    def get(self, request, pid, attachment_id):
        dataset = readable_dataset(user=request.user, pid=pid)
        return Response(attachment_json(record_of(Attachment, attachment_id, dataset=dataset)))

    def put(self, request, pid, attachment_id):
        """As upstream's PUT: the fields sent replace the stored ones, the rest stay."""
        require_signed_in(request)
        changes = bodies.attachment_changes(request.data)
        attachment = record_of(Attachment, attachment_id, dataset=dataset_by_pid(pid))
        attachment = attachment_update(user=request.user, attachment=attachment, changes=changes)
        return Response(attachment_json(attachment))

    patch = put  # older SciCat versions routed the same update as PATCH

    def delete(self, request, pid, attachment_id):
        require_signed_in(request)
        attachment = record_of(Attachment, attachment_id, dataset=dataset_by_pid(pid))
        last_state = attachment_json(attachment)  # before: delete() clears the instance's pk
        attachment_delete(user=request.user, attachment=attachment)
        return Response(last_state)
