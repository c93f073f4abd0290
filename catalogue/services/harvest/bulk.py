"""A batch of sources saved together: new datasets in one INSERT per table, not ~40 statements
per source.

``harvest_sources_save`` gives every source the outcome ``harvest_source_save`` would: sources
that already have a dataset are saved one by one (an update is rarer, and diffs a record); the
new ones share the work: their links are read in one query per kind, each draft is checked on
its own (a bad one fails alone), then the new samples they name, the datasets, their terms,
history and outbox rows, the file blocks, their files and the records go in together. If
anything in that shared part goes wrong, the batch's savepoint is rolled back and its sources
are saved one by one, so one odd source never costs the others, and the result is the same
either way.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.db import transaction

from catalogue.access import SYSTEM
from catalogue.errors import CatalogueError
from catalogue.models import HarvestRecord, HarvestRun, HarvestState, OrigDatablock

from ..attachments import attachment_add
from ..common import actor_name
from ..datablocks.bookkeeping import ownership
from ..datablocks.files import chk_alg_text, insert_block_files
from ..datasets import dataset_bulk_clean, dataset_bulk_insert
from ..rows import insert_objects
from .links import Links
from .sources import (
    NO_OWNER_GROUP,
    PREVIEW_CAPTION,
    SourceWrite,
    dataset_data,
    file_entry,
    harvest_source_fail,
    harvest_source_save,
    preview_uri,
    record_fill,
    source_key,
)

log = logging.getLogger(__name__)


@transaction.atomic(savepoint=False)  # inside a batch's transaction: no savepoint of its own
def harvest_sources_save(*, run: HarvestRun, writes: list[SourceWrite]) -> list[HarvestRecord]:
    """Saves each source as harvest_source_save does; one that cannot be saved is recorded as
    failed with the reason (harvest_source_fail). Returns the records, in the order given."""
    keys = {write.source: source_key(write.source) for write in writes}
    records = {
        record.key: record
        for record in HarvestRecord.objects.select_for_update().filter(key__in=keys.values())
    }
    fresh = [w for w in writes if getattr(records.get(keys[w.source]), "dataset_id", None) is None]
    done: dict[str, HarvestRecord] = {}
    if fresh:
        try:
            with transaction.atomic():
                done = _save_new(run, fresh, records, keys)
        except Exception:  # the batch goes one by one below, each failing alone if it must
            log.exception("harvest: the batch write failed; saving its sources one by one")
            done = {}
    for write in writes:
        if write.source not in done:
            done[write.source] = _save_one(run, write)
    return [done[write.source] for write in writes]


def _save_one(run: HarvestRun, write: SourceWrite) -> HarvestRecord:
    try:
        return harvest_source_save(run=run, write=write)
    except CatalogueError as exc:
        reason = exc.message
    except Exception as exc:  # a bug must cost one source, not the harvest
        log.exception("harvest: writing %s failed", write.source)
        reason = f"{type(exc).__name__}: {exc}"
    return _fail(run, write, reason)


def _fail(run: HarvestRun, write: SourceWrite, reason: str) -> HarvestRecord:
    return harvest_source_fail(
        run=run,
        source=write.source,
        kind=write.kind,
        folder=write.folder,
        fingerprints=write.fingerprints,
        reason=reason,
    )


def _save_new(run, writes: list[SourceWrite], records: dict, keys: dict) -> dict:
    """The sources without a dataset: {source: record}."""
    done: dict[str, HarvestRecord] = {}
    links = Links.preload((write.draft, write.placement) for write in writes)
    ready = []  # (write, row, files, notes)
    for write in writes:
        if not write.placement.owner_group:
            done[write.source] = _fail(run, write, NO_OWNER_GROUP)
            continue
        notes = list(write.warnings)
        files = [file_entry(info, {}) for info in write.draft.files]
        # What its links create goes if its draft is refused: a savepoint, when they create.
        guard = nullcontext() if links.known(*_pair(write)) else transaction.atomic()
        try:
            with guard:
                data = dataset_data(
                    write.draft, write.placement, links.ensure(*_pair(write), notes)
                )
                if files:
                    data["size"] = sum(entry["size"] for entry in files)
                    data["number_of_files"] = len(files)
                row = dataset_bulk_clean(data)
        except CatalogueError as exc:
            done[write.source] = _fail(run, write, exc.message)
            continue
        ready.append((write, row, files, notes))
    if not ready:
        return done
    links.samples_insert(sample for _, row, _, _ in ready for sample in row.get("sample_ids", ()))
    datasets = dataset_bulk_insert(user=SYSTEM, rows=[row for _, row, _, _ in ready])
    actor = actor_name(SYSTEM)
    blocks = []
    for (write, _, files, _), dataset in zip(ready, datasets, strict=True):
        if files:
            block = OrigDatablock(
                dataset=dataset,
                chk_alg=chk_alg_text(write.chk_alg),
                size=dataset.size,
                number_of_files=dataset.number_of_files,
                created_by=actor,
                updated_by=actor,
                **ownership(dataset),
            )
            blocks.append((block, dataset, files))
    insert_objects([block for block, _, _ in blocks])
    insert_block_files((files, dataset, block) for block, dataset, files in blocks)
    fresh_records = []
    for (write, _, _, notes), dataset in zip(ready, datasets, strict=True):
        if write.previews and write.preview:
            uri = preview_uri(write.preview)
            attachment_add(user=SYSTEM, dataset=dataset, thumbnail=uri, caption=PREVIEW_CAPTION)
        record = records.get(keys[write.source])
        if record is None:
            record = HarvestRecord(key=keys[write.source])
            fresh_records.append(record)
        record_fill(record, write, dataset, run, HarvestState.NEW, notes)
        if record.pk is not None:
            record.save()
        done[write.source] = record
    insert_objects(fresh_records, key="key")
    return done


def _pair(write: SourceWrite) -> tuple:
    return write.draft, write.placement
