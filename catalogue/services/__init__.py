"""Services own every write. Views, APIs, tasks and commands call these, never the ORM."""

from .datablocks import (
    datablock_add,
    datablock_delete,
    dataset_recount,
    origdatablock_add,
    origdatablock_delete,
)
from .datasets import dataset_bulk_create, dataset_create, dataset_delete, dataset_update
from .entities import (
    attachment_add,
    instrument_create,
    instrument_delete,
    instrument_update,
    proposal_create,
    proposal_delete,
    proposal_update,
    sample_create,
    sample_delete,
    sample_update,
    technique_ensure,
)
from .history import history_record
from .policies import embargo_end_for, policies_ensure

__all__ = [
    "attachment_add",
    "datablock_add",
    "datablock_delete",
    "dataset_bulk_create",
    "dataset_create",
    "dataset_delete",
    "dataset_recount",
    "dataset_update",
    "embargo_end_for",
    "history_record",
    "instrument_create",
    "instrument_delete",
    "instrument_update",
    "origdatablock_add",
    "origdatablock_delete",
    "policies_ensure",
    "proposal_create",
    "proposal_delete",
    "proposal_update",
    "sample_create",
    "sample_delete",
    "sample_update",
    "technique_ensure",
]
