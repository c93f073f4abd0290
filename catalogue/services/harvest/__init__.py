"""Writes of the harvest: a source's dataset with its files, preview and links, in one transaction.

``harvest_source_save`` creates or updates the dataset of one source (a file, an openPMD series
or a directory) from its draft: the proposal, sample, instrument and techniques the files name
are linked, and created when missing, under stable ids so they are never duplicated; the
dataset's file block is replaced; the preview attachment too. The source's HarvestRecord,
unique by source, is written in the same transaction: a killed harvest leaves whole datasets
with their records, or nothing, and the next run finds them. ``harvest_sources_save`` does the
same for a batch of sources, writing the new ones together (bulk.py). Everything runs as SYSTEM.
"""

from .bulk import harvest_sources_save
from .links import links_ensure
from .runs import (
    harvest_checksums_save,
    harvest_run_create,
    harvest_run_start,
    harvest_run_update,
    harvest_source_remove,
)
from .sources import (
    HARVESTED_FIELDS,
    PREVIEW_CAPTION,
    SourceWrite,
    dataset_data,
    harvest_source_fail,
    harvest_source_save,
    source_key,
)

__all__ = [
    "HARVESTED_FIELDS",
    "PREVIEW_CAPTION",
    "SourceWrite",
    "dataset_data",
    "harvest_checksums_save",
    "harvest_run_create",
    "harvest_run_start",
    "harvest_run_update",
    "harvest_source_fail",
    "harvest_source_remove",
    "harvest_source_save",
    "harvest_sources_save",
    "links_ensure",
    "source_key",
]
