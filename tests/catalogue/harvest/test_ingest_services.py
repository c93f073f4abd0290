"""The harvest's writes: a source's dataset, files, preview and links, each once, atomically."""

from datetime import UTC, datetime

import pytest

from catalogue.errors import InvalidInput
from catalogue.harvest.draft import DatasetDraft
from catalogue.harvest.mapping import Placement
from catalogue.models import (
    Attachment,
    DataFile,
    Dataset,
    HarvestRecord,
    HarvestRun,
    Instrument,
    OrigDatablock,
    Proposal,
    Sample,
    Technique,
)
from catalogue.services.harvest import (
    PREVIEW_CAPTION,
    SourceWrite,
    harvest_source_fail,
    harvest_source_remove,
    harvest_source_save,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
XRAY = {
    "pid": "http://purl.org/pan-science/PaNET/PaNET01188",
    "name": "small angle x-ray scattering",
}
PLACED = Placement(owner_group="p123", access_groups=("staff",), contact_email="pi@example.org")


def draft(**changes) -> DatasetDraft:
    values = {
        "data_format": "NeXus",
        "dataset_name": "Lysozyme 100K",
        "creation_time": "2024-03-01T10:00:00+00:00",
        "end_time": "2024-03-01T11:30:00+00:00",
        "source_folder": "/data/p123",
        "proposal_id": "20241234",
        "instrument": {"name": "BL13 XALOC", "facility": "ALBA"},
        "sample": {
            "name": "lysozyme",
            "sample_characteristics": {"temperature": {"value": 100.0, "unit": "K"}},
        },
        "techniques": [XRAY],
        "keywords": ["NXmx"],
        "files": [{"path": "scan.nxs", "size": 100, "time": "2024-03-01T11:30:00Z"}],
    }
    return DatasetDraft(**{**values, **changes})


def save(run, source="/data/p123/scan.nxs", placement=PLACED, **changes) -> HarvestRecord:
    write = SourceWrite(
        source=source,
        kind="file",
        folder="/data/p123",
        fingerprints={source: [100, 1, 1]},
        placement=placement,
        draft=changes.pop("the_draft", None) or draft(**changes),
        preview=PNG,
        chk_alg="sha256",
    )
    return harvest_source_save(run=run, write=write)


@pytest.fixture
def run(db):
    return HarvestRun.objects.create(paths=["/data"])


def test_a_new_source_becomes_a_dataset_with_files_preview_and_links(run):
    record = save(run)
    dataset = record.dataset

    assert record.state == "new"
    assert (dataset.owner_group, dataset.access_groups) == ("p123", ["staff"])
    assert dataset.contact_email == "pi@example.org"
    assert dataset.proposal_ids == ["20241234"]
    assert dataset.instrument_ids == [Instrument.objects.get(unique_name="BL13 XALOC").pid]
    assert dataset.sample_ids == [Sample.objects.get().sample_id]
    assert Technique.objects.filter(pk=XRAY["pid"]).exists()
    assert (dataset.size, dataset.number_of_files) == (100, 1)
    assert OrigDatablock.objects.get(dataset=dataset).chk_alg == "sha256"
    assert Attachment.objects.get(dataset=dataset).caption == PREVIEW_CAPTION
    assert Proposal.objects.get().number_of_datasets == 1


def test_sources_naming_the_same_proposal_sample_and_instrument_share_them(run):
    first = save(run, source="/data/p123/a.nxs").dataset
    second = save(run, source="/data/p123/b.nxs").dataset

    assert Proposal.objects.count() == Sample.objects.count() == Instrument.objects.count() == 1
    assert first.sample_ids == second.sample_ids
    assert Proposal.objects.get().number_of_datasets == 2
    assert Proposal.objects.get().instrument_ids == first.instrument_ids


def test_saving_a_source_again_updates_its_dataset_in_place(run):
    first = save(run)

    again = save(run, dataset_name="Lysozyme 90K", keywords=[], files=[
        {"path": "scan.nxs", "size": 250, "time": "2024-03-02T08:00:00Z"},
        {"path": "scan_master.h5", "size": 50, "time": "2024-03-02T08:00:00Z"},
    ])  # fmt: skip

    dataset = Dataset.objects.get()
    assert again.pk == first.pk and again.state == "updated"
    assert dataset.pid == first.dataset.pid
    assert dataset.dataset_name == "Lysozyme 90K"
    assert dataset.keywords == []  # a field the files no longer give is cleared
    assert (dataset.size, dataset.number_of_files) == (300, 2)
    assert OrigDatablock.objects.filter(dataset=dataset).count() == 1
    assert Attachment.objects.filter(dataset=dataset).count() == 1
    assert Proposal.objects.get().number_of_datasets == 1


def test_checksums_of_unchanged_files_survive_an_update(run):
    record = save(run, files=[
        {"path": "a.h5", "size": 1, "time": "2024-03-01T11:30:00Z"},
        {"path": "b.h5", "size": 1, "time": "2024-03-01T11:30:00Z"},
    ])  # fmt: skip
    DataFile.objects.filter(dataset=record.dataset).update(chk="c0ffee")

    save(run, files=[
        {"path": "a.h5", "size": 1, "time": "2024-03-01T11:30:00Z"},
        {"path": "b.h5", "size": 2, "time": "2024-03-05T00:00:00Z"},
    ])  # fmt: skip

    chk = dict(DataFile.objects.values_list("path", "chk"))
    assert chk == {"a.h5": "c0ffee", "b.h5": ""}


def test_a_proposal_is_not_invented_without_a_contact_email(run):
    record = save(run, placement=Placement(owner_group="p123"))

    assert record.dataset.proposal_ids == ["20241234"]
    assert not Proposal.objects.exists()
    assert record.warnings[0].startswith("proposal 20241234 not created: no contact e-mail")
    assert record.dataset.contact_email == "unknown"


def test_the_mapping_proposal_wins_over_the_files(run):
    placement = Placement(owner_group="p9", proposal_id="p9", contact_email="pi@example.org")

    record = save(run, placement=placement)

    assert record.dataset.proposal_ids == ["p9"]
    assert Proposal.objects.get().owner_group == "p9"


def test_without_an_owner_group_nothing_is_written(run):
    with pytest.raises(InvalidInput, match="no owner group"):
        save(run, placement=Placement())

    assert not Dataset.objects.exists()
    assert not HarvestRecord.objects.exists()


def test_a_failure_after_success_keeps_the_dataset_and_says_why(run):
    record = save(run)

    failed = harvest_source_fail(
        run=run,
        source=record.source,
        kind="file",
        folder="/data/p123",
        fingerprints={},
        reason="truncated file",
    )

    assert (failed.pk, failed.state, failed.reason) == (record.pk, "failed", "truncated file")
    assert failed.dataset_id == record.dataset_id


def test_a_removed_source_keeps_its_dataset_flagged_off_disk_until_it_returns(run):
    record = save(run)

    harvest_source_remove(run=run, record_id=record.pk)
    removed = Dataset.objects.get()
    restored = save(run)

    assert HarvestRecord.objects.get().state == "updated" == restored.state
    assert removed.datasetlifecycle["isOnCentralDisk"] is False
    assert Dataset.objects.get().datasetlifecycle["isOnCentralDisk"] is True


def test_a_dataset_deleted_by_hand_is_made_again_under_the_same_record(run, settings):
    from catalogue.access import SYSTEM
    from catalogue.services import dataset_delete

    record = save(run)
    dataset_delete(user=SYSTEM, dataset=record.dataset)

    again = save(run)

    assert again.pk == record.pk and again.state == "new"
    assert Dataset.objects.count() == 1


def test_file_times_are_stored_as_the_files_mtime(run):
    save(run)

    assert DataFile.objects.get().time == datetime(2024, 3, 1, 11, 30, tzinfo=UTC)
