"""The publication form of the portal (publication.py) and its row formsets (rows.py)."""

from .publication import (
    SOURCE_FIELDS,
    PublicationBundle,
    initial_for_dataset,
    initial_from_record,
)

__all__ = ["SOURCE_FIELDS", "PublicationBundle", "initial_for_dataset", "initial_from_record"]
