"""SciCat JSON for origdatablocks, datablocks, their files and attachments.

A block's dataFileList can hold 100,000 files and a dataset 200,000, so lists of blocks with
their files are written as a stream: `stream_blocks` yields the JSON text block by block and
page by page of files, and never holds more than one page of files in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from django.http import StreamingHttpResponse

from catalogue.models import Attachment, Datablock, DataFile

from ..camel import iso

FILE_TEXT_FIELDS = ("chk", "uid", "gid", "perm", "type")
FILE_COLUMNS = ("id", "path", "size", "time", *FILE_TEXT_FIELDS)


def _ownable(record) -> dict:
    return {
        "ownerGroup": record.owner_group,
        "accessGroups": list(record.access_groups or []),
        "instrumentGroup": record.instrument_group,
        "isPublished": record.is_published,
        "createdBy": record.created_by,
        "updatedBy": record.updated_by,
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
    }


def block_json(block, *, pid: str | None = None) -> dict:
    """An origdatablock or datablock without its dataFileList; `_id` and `id` are the uuid."""
    data = {"_id": str(block.pk), "id": str(block.pk), "datasetId": pid or block.dataset.pid}
    if isinstance(block, Datablock):
        data["archiveId"] = block.archive_id
        data["packedSize"] = block.packed_size
        data["version"] = block.version
    data["size"] = block.size
    data["chkAlg"] = block.chk_alg
    data.update(_ownable(block))
    return data


def file_json(file: DataFile) -> dict:
    """One dataFileList entry. Fields the client did not send are left out, as upstream."""
    return file_row_json(tuple(getattr(file, name) for name in FILE_COLUMNS))


def file_row_json(row: tuple) -> dict:
    """file_json of a FILE_COLUMNS tuple; runs once per file of a streamed list."""
    _, path, size, time, *texts = row
    data = {"path": path, "size": size}
    if time is not None:
        data["time"] = iso(time)
    for name, value in zip(FILE_TEXT_FIELDS, texts, strict=True):
        if value:
            data[name] = value
    return data


def attachment_json(attachment: Attachment) -> dict:
    data = {
        "_id": str(attachment.pk),
        "id": str(attachment.pk),
        "thumbnail": attachment.thumbnail,
        "caption": attachment.caption,
        "datasetId": attachment.dataset.pid if attachment.dataset_id else None,
    }
    if attachment.proposal_id:
        data["proposalId"] = attachment.proposal_id
    if attachment.sample_id:
        data["sampleId"] = attachment.sample_id
    data.update(_ownable(attachment))
    return data


def projected(data: dict, fields: Iterable[str]) -> dict:
    """Only the named keys (a filter's `fields`); all of them when none are named."""
    wanted = set(fields)
    return {key: value for key, value in data.items() if key in wanted} if wanted else data


FilePages = Callable[[object], Iterator[list[tuple]]]  # block → pages of FILE_COLUMNS rows


def stream_blocks(blocks: Iterable, pages: FilePages, *, fields=()) -> Iterator[str]:
    """The JSON array of `blocks`, each with the dataFileList that `pages(block)` yields."""
    yield "["
    for index, block in enumerate(blocks):
        if index:
            yield ","
        yield from stream_block(block, pages, fields=fields)
    yield "]"


def stream_block(block, pages: FilePages, *, fields=()) -> Iterator[str]:
    """One block as a JSON object, its files written page by page.

    The head of the block is rendered whole and its closing brace cut off, so the files can
    follow it; one json.dumps per page keeps the cost per file low.
    """
    head = json.dumps(projected(block_json(block), fields))[:-1]
    yield head + ("," if len(head) > 1 else "") + '"dataFileList":['
    first = True
    for page in pages(block):
        if page:
            yield ("" if first else ",") + json.dumps([file_row_json(r) for r in page])[1:-1]
            first = False
    yield "]}"


def streaming_json(chunks: Iterator[str], status: int = 200) -> StreamingHttpResponse:
    return StreamingHttpResponse(chunks, status=status, content_type="application/json")
