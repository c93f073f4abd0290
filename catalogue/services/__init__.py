"""Services own every write. Views, APIs, tasks and commands call these, never the ORM."""

from .attachments import (
    attachment_add,
    attachment_delete,
    attachment_update,
    attachments_delete_all,
)
from .datablocks import (
    datablock_add,
    datablock_delete,
    datablock_update,
    datablocks_delete_all,
    dataset_recount,
    origdatablock_add,
    origdatablock_check,
    origdatablock_delete,
    origdatablock_update,
    origdatablocks_delete_all,
)
from .datasets import (
    dataset_bulk_create,
    dataset_create,
    dataset_delete,
    dataset_update,
)
from .entities import (
    instrument_create,
    instrument_delete,
    instrument_update,
    policies_update_where,
    policy_create,
    policy_delete,
    policy_update,
    proposal_create,
    proposal_delete,
    proposal_update,
    proposal_validate,
    sample_create,
    sample_delete,
    sample_update,
    technique_ensure,
)
from .history import (
    history_record,
)
from .policies import (
    embargo_end_for,
    policies_ensure,
)
from .published import (
    published_data_create,
    published_data_delete,
    published_data_register,
    published_data_update,
)
from .tokens import (
    token_issue,
    token_revoke,
    token_user,
    tokens_purge_expired,
)

__all__ = [
    "attachment_add",
    "attachment_delete",
    "attachment_update",
    "attachments_delete_all",
    "datablock_add",
    "datablock_delete",
    "datablock_update",
    "datablocks_delete_all",
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
    "origdatablock_check",
    "origdatablock_delete",
    "origdatablock_update",
    "origdatablocks_delete_all",
    "policies_ensure",
    "policies_update_where",
    "policy_create",
    "policy_delete",
    "policy_update",
    "proposal_create",
    "proposal_delete",
    "proposal_update",
    "proposal_validate",
    "published_data_create",
    "published_data_delete",
    "published_data_register",
    "published_data_update",
    "sample_create",
    "sample_delete",
    "sample_update",
    "technique_ensure",
    "token_issue",
    "token_revoke",
    "token_user",
    "tokens_purge_expired",
]
