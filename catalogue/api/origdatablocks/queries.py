"""Reads for the block and attachment endpoints, all through the access rules.

Lists start from the datasets the user may read (`Dataset.objects.visible_to`), narrowed to those
whose sub-resources they may read (Action.DOWNLOAD; docs/access-rules.md: lifecycle managers
read datasets, not their file lists). A single dataset comes from selectors.dataset_get: 404
when it is missing, then 403. Writes only look the record up: the services decide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.db.models import Model, QuerySet

from catalogue import selectors
from catalogue.access import Action, can
from catalogue.errors import NotFound, PermissionDenied
from catalogue.models import Attachment, Datablock, DataFile, Dataset, OrigDatablock
from catalogue.selectors import dataset_get

from .blockfilter import BlockQuery
from .render import FILE_COLUMNS

# Files per page of a streamed dataFileList: one query and one json.dumps each.
FILE_PAGE = 5000
LABELS = {OrigDatablock: "origdatablock", Datablock: "datablock", Attachment: "attachment"}


def sub_resource_datasets(user) -> QuerySet[Dataset]:
    """The datasets whose blocks and attachments `user` may read."""
    return Dataset.objects.visible_to(user).permitted(user, Action.DOWNLOAD)


def readable_dataset(*, user, pid: str) -> Dataset:
    """The dataset for a read of its sub-resources: 404 if missing, 403 if not readable."""
    dataset = dataset_get(user=user, pid=pid)
    require_sub_resource_read(user, dataset)
    return dataset


def require_sub_resource_read(user, dataset: Dataset) -> None:
    if not (can(user, Action.READ, dataset) and can(user, Action.DOWNLOAD, dataset)):
        raise PermissionDenied("Unauthorized access")


def dataset_by_pid(pid) -> Dataset:
    """The dataset a write names (the write's service checks the permission); 404 if missing."""
    if not isinstance(pid, str) or not pid:
        raise NotFound(f"dataset: {pid} not found")
    dataset = selectors.dataset_by_pid(pid)
    if dataset is None:
        raise NotFound(f"dataset: {pid} not found")
    return dataset


def record_of(model: type[Model], record_id: str, *, dataset: Dataset | None = None):
    """The block or attachment `record_id` (of `dataset`, when given); 404 if there is none."""
    label = LABELS[model]
    try:
        key = uuid.UUID(str(record_id))
    except ValueError:
        raise NotFound(f"{label}: {record_id} not found") from None
    records = model.objects.select_related("dataset").filter(pk=key)
    if dataset is not None:
        records = records.filter(dataset=dataset)
    record = records.first()
    if record is None:
        raise NotFound(f"{label}: {record_id} not found")
    return record


def readable_record(model: type[Model], record_id: str, *, user):
    """A block or attachment by its own id, for reading: 404 if missing, 403 if not readable."""
    record = record_of(model, record_id)
    require_sub_resource_read(user, record.dataset)
    return record


def records_of(model: type[Model], dataset: Dataset) -> QuerySet:
    return model.objects.filter(dataset=dataset).order_by("created_at", "id")


def visible_records(model: type[Model], user, query: BlockQuery | None = None) -> QuerySet:
    """The user's readable blocks of `model`, narrowed, ordered and sliced by `query`."""
    records = model.objects.filter(dataset__in=sub_resource_datasets(user)).select_related(
        "dataset"
    )
    if query is None:
        return records.order_by("created_at", "id")
    return query.apply(records)


def visible_files(user, query: BlockQuery) -> QuerySet[DataFile]:
    """One row per file of the user's readable origdatablocks that match `query`."""
    blocks = query.narrow(
        OrigDatablock.objects.filter(dataset__in=sub_resource_datasets(user))
    ).values("pk")
    files = DataFile.objects.filter(origdatablock__in=blocks).select_related(
        "origdatablock", "origdatablock__dataset"
    )
    return query.page_files(files)


def file_pages(block) -> Iterator[list[tuple]]:
    """Pages of a block's files as FILE_COLUMNS tuples, by keyset on the file id.

    The selector's keyset scheme (selectors.datafiles_page), with value tuples instead of model
    instances: building 200,000 DataFile instances took half the time of a streamed list. The
    caller has checked access to the block's dataset before the response starts.
    """
    link = "origdatablock_id" if isinstance(block, OrigDatablock) else "datablock_id"
    files = DataFile.objects.filter(**{link: block.pk}).order_by("id").values_list(*FILE_COLUMNS)
    after = 0
    while True:
        page = list(files.filter(id__gt=after)[:FILE_PAGE])
        yield page
        if len(page) < FILE_PAGE:
            return
        after = page[-1][0]
