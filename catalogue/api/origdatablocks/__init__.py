"""SciCat v3 API: origdatablocks, datablocks and attachments, nested and top level.

These routes come before the datasets routes (urls.py), so `Datasets/<pid>/origdatablocks…`
lands here even though pids contain '/': the pid group is greedy and the suffix is fixed. Within
each resource, fixed names (isValid, count, fullquery) come before `<id>`.

Streaming: a dataset can hold 200,000 files. Every response that carries a dataFileList
(GET/POST/PATCH of blocks, the block lists, fullquery) is a StreamingHttpResponse writing the
JSON page by page of files (render.py, queries.py), so memory stays at one page whatever the
size of the list. Access and the filter are checked before the first byte is sent; an error
after that (a database failure mid-way) can only cut the response short.
"""

from ..routing import PID, api_path
from .attachments import DatasetAttachment, DatasetAttachmentCount, DatasetAttachments
from .common import ARCHIVE, ORIG
from .nested import DatasetBlock, DatasetBlockCount, DatasetBlocks, DatasetOrigDatablockIsValid
from .toplevel import (
    Block,
    BlockCount,
    Blocks,
    OrigDatablockFullquery,
    OrigDatablockFullqueryFiles,
    OrigDatablockIsValid,
)

ID = r"(?P<block_id>[^/]+)"
ATTACHMENT_ID = r"(?P<attachment_id>[^/]+)"


def _nested(name: str, kind) -> list:
    return [
        api_path(rf"datasets/{PID}/{name}/count", DatasetBlockCount.as_view(kind=kind)),
        api_path(rf"datasets/{PID}/{name}/{ID}", DatasetBlock.as_view(kind=kind)),
        api_path(rf"datasets/{PID}/{name}", DatasetBlocks.as_view(kind=kind)),
    ]


def _top_level(name: str, kind) -> list:
    return [
        api_path(rf"{name}/count", BlockCount.as_view(kind=kind)),
        api_path(rf"{name}/{ID}", Block.as_view(kind=kind)),
        api_path(name, Blocks.as_view(kind=kind)),
    ]


routes = [
    api_path(rf"datasets/{PID}/origdatablocks/isvalid", DatasetOrigDatablockIsValid.as_view()),
    *_nested("origdatablocks", ORIG),
    *_nested("datablocks", ARCHIVE),
    api_path(rf"datasets/{PID}/attachments/count", DatasetAttachmentCount.as_view()),
    api_path(rf"datasets/{PID}/attachments/{ATTACHMENT_ID}", DatasetAttachment.as_view()),
    api_path(rf"datasets/{PID}/attachments", DatasetAttachments.as_view()),
    api_path(r"origdatablocks/isvalid", OrigDatablockIsValid.as_view()),
    api_path(r"origdatablocks/fullquery/files", OrigDatablockFullqueryFiles.as_view()),
    api_path(r"origdatablocks/fullquery", OrigDatablockFullquery.as_view()),
    *_top_level("origdatablocks", ORIG),
    *_top_level("datablocks", ARCHIVE),
]
