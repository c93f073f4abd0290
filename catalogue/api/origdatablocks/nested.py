"""Datasets/{pid}/origdatablocks and Datasets/{pid}/datablocks.

Reads: 404 when the dataset is missing, 403 when it is not readable (sharedWith users may read,
a deliberate fedcat choice: docs/access-rules.md). Writes: the services decide (owner or admin to
add and change, DELETE_GROUPS to delete). Lists with files are streamed (render.py).
"""

from __future__ import annotations

from rest_framework.response import Response

from catalogue.services.datablocks import origdatablock_check

from ..filters import parse_json_param
from ..where import where_to_q
from . import bodies
from .blockfilter import BlockQuery, block_resolver
from .common import JsonApi, require_signed_in
from .queries import dataset_by_pid, file_pages, readable_dataset, record_of, records_of
from .render import block_json, stream_block, stream_blocks, streaming_json


class DatasetBlocks(JsonApi):
    """GET the blocks with their files, POST a block, DELETE all blocks ({count})."""

    kind = None

    def get(self, request, pid):
        dataset = readable_dataset(user=request.user, pid=pid)
        blocks = list(records_of(self.kind.model, dataset).select_related("dataset"))
        return streaming_json(stream_blocks(blocks, file_pages))

    def post(self, request, pid):
        require_signed_in(request)
        values = self.kind.new(request.data)
        dataset = dataset_by_pid(pid)
        block = self.kind.add(user=request.user, dataset=dataset, **values)
        return streaming_json(stream_block(block, file_pages), status=201)

    def delete(self, request, pid):
        require_signed_in(request)
        dataset = dataset_by_pid(pid)
        return Response({"count": self.kind.delete_all(user=request.user, dataset=dataset)})


class DatasetBlockCount(JsonApi):
    """{count} of a dataset's blocks; `where` (LoopBack's count parameter) narrows it."""

    kind = None

    def get(self, request, pid):
        dataset = readable_dataset(user=request.user, pid=pid)
        where = parse_json_param(request.query_params.get("where"), "where")
        query = BlockQuery(self.kind.model, where_to_q(where, block_resolver(self.kind.model)))
        query.check()
        return Response({"count": query.narrow(records_of(self.kind.model, dataset)).count()})


class DatasetBlock(JsonApi):
    """GET, PATCH or DELETE one block of a dataset."""

    kind = None

    def get(self, request, pid, block_id):
        dataset = readable_dataset(user=request.user, pid=pid)
        block = record_of(self.kind.model, block_id, dataset=dataset)
        return streaming_json(stream_block(block, file_pages))

    def patch(self, request, pid, block_id):
        require_signed_in(request)
        changes = bodies.block_changes(request.data, names=self.kind.names, pid=pid)
        block = record_of(self.kind.model, block_id, dataset=dataset_by_pid(pid))
        block = self.kind.update(user=request.user, block=block, changes=changes)
        return streaming_json(stream_block(block, file_pages))

    def delete(self, request, pid, block_id):
        require_signed_in(request)
        block = record_of(self.kind.model, block_id, dataset=dataset_by_pid(pid))
        last_state = block_json(block)
        self.kind.delete(user=request.user, block=block)
        return Response(last_state)


class DatasetOrigDatablockIsValid(JsonApi):
    """POST Datasets/{pid}/origdatablocks/isValid → 200 {valid, errors}; writes nothing."""

    def post(self, request, pid):
        require_signed_in(request)
        body = bodies.as_object(request.data)
        problems = bodies.unknown_properties(body, bodies.ORIG)
        problems += origdatablock_check(
            user=request.user,
            dataset=dataset_by_pid(pid),
            files=body.get("dataFileList"),
            size=body.get("size"),
            chk_alg=body.get("chkAlg"),
        )
        return Response({"valid": not problems, "errors": problems})
