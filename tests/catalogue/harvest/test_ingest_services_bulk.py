"""harvest_sources_save: a batch of sources gives each the outcome harvest_source_save would,
writing the new ones together, and one bad source never costs the others."""

import pytest

from catalogue.harvest.mapping import Placement
from catalogue.models import (
    Attachment,
    DataFile,
    Dataset,
    DatasetTerm,
    HarvestRecord,
    HarvestRun,
    HistoryEntry,
    OrigDatablock,
    Proposal,
    Sample,
)
from catalogue.services.harvest import (
    PREVIEW_CAPTION,
    SourceWrite,
    harvest_source_save,
    harvest_sources_save,
)
from catalogue.services.harvest import bulk as bulk_module

from .test_ingest_services import PLACED, PNG, draft


def write(n: int, placement=PLACED, **changes) -> SourceWrite:
    source = f"/data/p123/scan_{n}.nxs"
    files = [
        {"path": f"scan_{n}.nxs", "size": 100 + n, "time": "2024-03-01T11:30:00Z"},
        {"path": f"scan_{n}_master.h5", "size": 7, "time": "2024-03-01T11:31:00Z"},
    ]
    changes.setdefault("dataset_name", f"Lysozyme scan {n}")
    return SourceWrite(
        source=source,
        kind="file",
        folder="/data/p123",
        fingerprints={source: [100 + n, 1, n]},
        placement=placement,
        draft=draft(files=files, **changes),
        preview=PNG,
        chk_alg="sha256",
    )


@pytest.fixture
def run(db):
    return HarvestRun.objects.create(paths=["/data"])


def stored(record: HarvestRecord) -> dict:
    """What a saved source left in the catalogue, without ids, pids and times."""
    dataset = record.dataset
    block = OrigDatablock.objects.get(dataset=dataset)
    history = HistoryEntry.objects.filter(document_id=dataset.pid, operation="create").get()
    return {
        "record": (record.state, record.kind, record.fingerprints, record.placement),
        "dataset": (dataset.dataset_name, dataset.size, dataset.number_of_files),
        "links": (dataset.proposal_ids, len(dataset.sample_ids), len(dataset.instrument_ids)),
        "ownership": (dataset.owner_group, dataset.access_groups, dataset.embargo_end),
        "terms": sorted(DatasetTerm.objects.filter(dataset=dataset).values_list("kind", flat=True)),
        "block": (block.size, block.number_of_files, block.chk_alg, block.owner_group),
        "files": sorted(DataFile.objects.filter(dataset=dataset).values_list("path", "size")),
        "preview": Attachment.objects.get(dataset=dataset).caption,
        "history_names": history.after["dataset_name"],
        "lifecycle": dataset.datasetlifecycle["isOnCentralDisk"],
    }


def test_a_batch_stores_what_saving_one_by_one_stores(run):
    together = harvest_sources_save(run=run, writes=[write(1), write(2), write(3)])
    alone = harvest_source_save(run=run, write=write(4))
    assert [record.state for record in together] == ["new"] * 3
    mine, theirs = stored(together[0]), stored(alone)
    assert mine["dataset"][1:] == (108, 2) and theirs["dataset"][1:] == (111, 2)
    assert mine.pop("block")[1:] == theirs.pop("block")[1:]
    for key in ("record", "dataset", "files", "history_names"):
        mine.pop(key), theirs.pop(key)
    assert mine == theirs
    assert stored(together[0])["block"] == (108, 2, "sha256", "p123")
    assert stored(together[0])["preview"] == PREVIEW_CAPTION
    assert Proposal.objects.get().number_of_datasets == 4
    assert Sample.objects.count() == 1
    assert HarvestRecord.objects.filter(state="new").count() == 4


def test_a_bad_draft_fails_alone_and_says_why(run):
    writes = [write(1), write(2, creation_time="not a time"), write(3)]
    records = harvest_sources_save(run=run, writes=writes)
    assert [record.state for record in records] == ["new", "failed", "new"]
    assert "creation_time" in records[1].reason or "creationTime" in records[1].reason
    assert records[1].dataset is None
    assert Dataset.objects.count() == 2


def test_a_source_without_an_owner_group_fails_alone(run):
    nobody = Placement(contact_email="pi@example.org")
    records = harvest_sources_save(run=run, writes=[write(1, placement=nobody), write(2)])
    assert [record.state for record in records] == ["failed", "new"]
    assert records[0].reason.startswith("no owner group")


def test_a_failing_shared_write_falls_back_to_one_by_one_with_the_same_outcome(run, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(bulk_module, "dataset_bulk_insert", broken)
    records = harvest_sources_save(run=run, writes=[write(1), write(2)])
    assert [record.state for record in records] == ["new", "new"]
    assert Dataset.objects.count() == 2
    assert stored(records[0])["dataset"] == ("Lysozyme scan 1", 108, 2)


def test_sources_with_a_dataset_are_updated_in_the_same_batch(run):
    first = harvest_sources_save(run=run, writes=[write(1)])[0]
    again = harvest_sources_save(run=run, writes=[write(1, dataset_name="renamed"), write(2)])
    assert [record.state for record in again] == ["updated", "new"]
    assert again[0].pk == first.pk and again[0].dataset_id == first.dataset_id
    assert Dataset.objects.get(pk=first.dataset_id).dataset_name == "renamed"


def test_a_failed_source_gets_its_dataset_under_the_same_record(run):
    failed = harvest_sources_save(run=run, writes=[write(1, creation_time="bad")])[0]
    fixed = harvest_sources_save(run=run, writes=[write(1)])[0]
    assert (fixed.pk, fixed.state, fixed.reason) == (failed.pk, "new", "")
    assert fixed.dataset is not None
