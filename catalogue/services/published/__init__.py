"""Writes of published data: the SciCat record (records.py) and its DOI lifecycle (lifecycle.py)."""

from .lifecycle import (
    Outcome,
    may_manage_publication,
    minting_problems,
    published_data_resubmit,
    published_data_sweep,
    published_data_sync,
)
from .records import (
    new_doi,
    published_data_create,
    published_data_delete,
    published_data_register,
    published_data_restore,
    published_data_submit,
    published_data_update,
    published_data_withdraw,
)

__all__ = [
    "Outcome",
    "may_manage_publication",
    "minting_problems",
    "new_doi",
    "published_data_create",
    "published_data_delete",
    "published_data_register",
    "published_data_restore",
    "published_data_resubmit",
    "published_data_submit",
    "published_data_sweep",
    "published_data_sync",
    "published_data_update",
    "published_data_withdraw",
]
