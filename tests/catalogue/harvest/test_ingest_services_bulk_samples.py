"""harvest_sources_save creates the new samples of a batch together: each once, only for the
datasets saved, with the same rows and history as saving the sources one by one."""

import json

import pytest
from django.db import connection

from catalogue.models import Dataset, HarvestRun, HistoryEntry, Sample
from catalogue.services.common import snapshot
from catalogue.services.harvest import harvest_source_save, harvest_sources_save

from .test_ingest_services_bulk import write


def named(n: int, sample: str, **changes):
    characteristics = {"temperature": {"value": 100.0, "unit": "K"}}
    return write(n, sample={"name": sample, "sample_characteristics": characteristics}, **changes)


@pytest.fixture
def run(db):
    return HarvestRun.objects.create(paths=["/data"])


def samples() -> dict:
    """Sample rows by description, without times (which differ)."""
    rows = Sample.objects.values()
    return {
        row["description"]: {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}
        for row in rows
    }


def sample_history() -> list:
    entries = HistoryEntry.objects.filter(subsystem="Sample").order_by("id")
    return [
        (entry.operation, entry.before, {k: v for k, v in entry.after.items() if "_at" not in k})
        for entry in entries
    ]


def test_a_sample_named_twice_in_a_batch_is_created_once(run):
    records = harvest_sources_save(
        run=run, writes=[named(1, "lysozyme"), named(2, "lysozyme"), named(3, "insulin")]
    )

    assert [record.state for record in records] == ["new"] * 3
    assert sorted(samples()) == ["insulin", "lysozyme"]
    first, second, third = (record.dataset for record in records)
    assert first.sample_ids == second.sample_ids != third.sample_ids
    assert Sample.objects.filter(pk=first.sample_ids[0]).exists()
    assert [after["description"] for _, _, after in sample_history()] == ["lysozyme", "insulin"]


def test_an_existing_sample_is_linked_not_created_again(run):
    before = harvest_sources_save(run=run, writes=[named(1, "lysozyme")])[0].dataset
    after = harvest_sources_save(run=run, writes=[named(2, "lysozyme"), named(3, "insulin")])

    assert after[0].dataset.sample_ids == before.sample_ids
    assert sorted(samples()) == ["insulin", "lysozyme"]
    assert len(sample_history()) == 2


def test_a_batch_leaves_the_samples_and_history_saving_one_by_one_leaves(run):
    writes = [named(1, "lysozyme"), named(2, "lysozyme"), named(3, "insulin")]
    harvest_sources_save(run=run, writes=writes)
    together, together_history = samples(), sample_history()
    Sample.objects.all().delete()
    HistoryEntry.objects.all().delete()
    Dataset.objects.all().delete()
    run.records.all().delete()

    for item in [named(1, "lysozyme"), named(2, "lysozyme"), named(3, "insulin")]:
        harvest_source_save(run=run, write=item)

    assert samples() == together
    assert sample_history() == together_history


def test_a_draft_with_a_bad_sample_fails_alone_with_the_reason(run):
    bad = write(2, sample={"name": "odd", "type": "x" * 101})  # the column holds 100
    records = harvest_sources_save(run=run, writes=[named(1, "lysozyme"), bad, named(3, "x")])

    assert [record.state for record in records] == ["new", "failed", "new"]
    assert records[1].reason == "type must be at most 100 characters long"
    assert sorted(samples()) == ["lysozyme", "x"]


def test_a_refused_draft_leaves_no_sample_unless_a_saved_draft_names_it(run):
    writes = [
        named(1, "only-refused", creation_time="not a time"),
        named(2, "shared", creation_time="not a time"),
        named(3, "shared"),
    ]
    records = harvest_sources_save(run=run, writes=writes)

    assert [record.state for record in records] == ["failed", "failed", "new"]
    assert sorted(samples()) == ["shared"]
    assert Sample.objects.filter(pk=records[2].dataset.sample_ids[0]).exists()


def test_the_create_entry_of_a_dataset_holds_the_dataset_as_stored(run):
    record = harvest_sources_save(run=run, writes=[named(1, "lysozyme")])[0]
    dataset = Dataset.objects.get(pk=record.dataset_id)
    entry = HistoryEntry.objects.get(document_id=dataset.pid, operation="create")

    assert entry.after == snapshot(dataset)
    if connection.vendor == "sqlite":  # the text as dataset_create's json.dumps writes it
        with connection.cursor() as cursor:
            cursor.execute("SELECT after FROM catalogue_historyentry WHERE id = %s", [entry.pk])
            text = cursor.fetchone()[0]
        assert list(json.loads(text)) == list(snapshot(dataset))
