"""Writes of file lists: OrigDatablocks (the files as found) and Datablocks (archive packages).

`files.py` checks and writes dataFileList entries in batches (a list of 200,000 files never sits
in memory), `bookkeeping.py` keeps the dataset's counters and history, `blocks.py` holds the steps
both block kinds take alike (files, deletes, counters), and one module per kind holds its services.
"""

from .archives import datablock_add, datablock_delete, datablock_update, datablocks_delete_all
from .files import FILE_BATCH, FILE_FIELDS
from .origdatablocks import (
    dataset_recount,
    origdatablock_add,
    origdatablock_check,
    origdatablock_delete,
    origdatablock_update,
    origdatablocks_delete_all,
)

__all__ = [
    "FILE_BATCH",
    "FILE_FIELDS",
    "datablock_add",
    "datablock_delete",
    "datablock_update",
    "datablocks_delete_all",
    "dataset_recount",
    "origdatablock_add",
    "origdatablock_check",
    "origdatablock_delete",
    "origdatablock_update",
    "origdatablocks_delete_all",
]
