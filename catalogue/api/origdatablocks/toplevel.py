"""The v3 collections /origdatablocks and /datablocks.

Lists show only blocks of datasets whose sub-resources the user may read, whatever the filter
says. Creates name their dataset in `datasetId` (404 if it does not exist); ownership fields in
the body are ignored, the block takes its dataset's groups.
"""

from __future__ import annotations

from rest_framework.response import Response

from catalogue.models import OrigDatablock
from catalogue.services.datablocks import origdatablock_check

from ..filters import filter_from_request, parse_json_param
from ..where import where_to_q
from . import bodies
from .blockfilter import BlockQuery, block_resolver
from .common import JsonApi, require_signed_in
from .queries import (
    dataset_by_pid,
    file_pages,
    readable_record,
    record_of,
    visible_files,
    visible_records,
)
from .render import block_json, file_json, projected, stream_block, stream_blocks, streaming_json


class Blocks(JsonApi):
    """GET ?filter= (where, fields, limits) and POST with datasetId."""

    kind = None

    def get(self, request):
        query = BlockQuery.from_filter(self.kind.model, filter_from_request(request))
        blocks = list(visible_records(self.kind.model, request.user, query))
        if query.with_files:
            return streaming_json(stream_blocks(blocks, file_pages, fields=query.fields))
        return Response([projected(block_json(block), query.fields) for block in blocks])

    def post(self, request):
        require_signed_in(request)
        body = bodies.as_object(request.data)
        values = self.kind.new(body, top_level=True)
        dataset = dataset_by_pid(bodies.dataset_pid(body))
        block = self.kind.add(user=request.user, dataset=dataset, **values)
        return streaming_json(stream_block(block, file_pages), status=201)


class BlockCount(JsonApi):
    """{count} of the readable blocks; `where`, or a filter's where, narrows it."""

    kind = None

    def get(self, request):
        where = parse_json_param(request.query_params.get("where"), "where")
        if where is None:
            where = filter_from_request(request).where
        query = BlockQuery(self.kind.model, where_to_q(where, block_resolver(self.kind.model)))
        query.check()
        blocks = query.narrow(visible_records(self.kind.model, request.user))
        return Response({"count": blocks.count()})


class Block(JsonApi):
    """GET, PATCH or DELETE a block by its own id."""

    kind = None

    def get(self, request, block_id):
        block = readable_record(self.kind.model, block_id, user=request.user)
        return streaming_json(stream_block(block, file_pages))

    def patch(self, request, block_id):
        require_signed_in(request)
        block = record_of(self.kind.model, block_id)
        changes = bodies.block_changes(request.data, names=self.kind.names, pid=block.dataset.pid)
        block = self.kind.update(user=request.user, block=block, changes=changes)
        return streaming_json(stream_block(block, file_pages))

    def delete(self, request, block_id):
        require_signed_in(request)
        block = record_of(self.kind.model, block_id)
        last_state = block_json(block)
        self.kind.delete(user=request.user, block=block)
        return Response(last_state)


class OrigDatablockIsValid(JsonApi):
    """POST /origdatablocks/isValid → 200 {valid, errors}; the dataset must exist (404)."""

    def post(self, request):
        require_signed_in(request)
        body = bodies.as_object(request.data)
        allowed = bodies.ORIG | bodies.OWNERSHIP | {"datasetId"}
        problems = bodies.unknown_properties(body, allowed)
        problems += origdatablock_check(
            user=request.user,
            dataset=dataset_by_pid(bodies.dataset_pid(body)),
            files=body.get("dataFileList"),
            size=body.get("size"),
            chk_alg=body.get("chkAlg"),
        )
        return Response({"valid": not problems, "errors": problems})


def _fullquery(request, *, per_file: bool = False) -> BlockQuery:
    params = request.query_params
    return BlockQuery.from_fullquery(
        OrigDatablock, params.get("fields"), params.get("limits"), per_file=per_file
    )


class OrigDatablockFullquery(JsonApi):
    """GET /origdatablocks/fullquery?fields=&limits= → blocks with their files (streamed)."""

    def get(self, request):
        blocks = list(visible_records(OrigDatablock, request.user, _fullquery(request)))
        return streaming_json(stream_blocks(blocks, file_pages))


class OrigDatablockFullqueryFiles(JsonApi):
    """GET /origdatablocks/fullquery/files: one row per file, paged by `limits`.

    A row is the block's fields with `dataFileList` holding that one file, and `datasetExist`
    (always true here: a dataset's blocks go with it).
    """

    def get(self, request):
        rows = visible_files(request.user, _fullquery(request, per_file=True))
        return Response(
            [
                {
                    **block_json(file.origdatablock),
                    "dataFileList": file_json(file),
                    "datasetExist": True,
                }
                for file in rows
            ]
        )
