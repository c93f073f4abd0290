"""The bulk writes: samples in one go, rows by COPY or executemany, each as the one-by-one
service or bulk_create would have left them."""

import pytest
from django.db import IntegrityError, transaction

from catalogue.access import SYSTEM
from catalogue.errors import InvalidInput, PermissionDenied
from catalogue.models import DataFile, HarvestRecord, HistoryEntry, OrigDatablock, Sample
from catalogue.services import sample_create
from catalogue.services.datablocks.files import insert_block_files, insert_files
from catalogue.services.entities import sample_clean, samples_insert
from catalogue.services.rows import insert_objects
from tests.factories import make_dataset

CHARACTERISTICS = {"temperature": {"value": 100, "unit": "K"}, "hue": {"value": 3, "unit": "x"}}


def sample_data(sample_id: str, **changes) -> dict:
    data = {
        "sample_id": sample_id,
        "owner_group": "p-owner",
        "description": "lysozyme",
        "sample_characteristics": CHARACTERISTICS,
    }
    return {**data, **changes}


def without_times(values: dict) -> dict:
    return {k: v for k, v in values.items() if k not in ("created_at", "updated_at")}


def test_samples_inserted_together_match_samples_created_one_by_one(db):
    sample_create(user=SYSTEM, data=sample_data("alone"))
    together = samples_insert(
        user=SYSTEM,
        rows=[sample_clean(user=SYSTEM, data=sample_data(name)) for name in ("s1", "s2")],
    )

    assert [sample.pk for sample in together] == ["s1", "s2"]
    stored = Sample.objects.values()
    by_id = {row["sample_id"]: without_times(row) for row in stored}
    assert {k: v for k, v in by_id["s1"].items() if k != "sample_id"} == {
        k: v for k, v in by_id["alone"].items() if k != "sample_id"
    }
    assert by_id["s1"]["sample_characteristics"]["temperature"]["unitSI"] == "K"
    assert [issue["path"] for issue in by_id["s1"]["unit_issues"]] == ["hue"]
    history = {e.document_id: e for e in HistoryEntry.objects.filter(subsystem="Sample")}
    assert set(history) == {"alone", "s1", "s2"}
    first, reference = history["s1"], history["alone"]
    assert (first.operation, first.before, first.user) == ("create", {}, reference.user)
    assert without_times(first.after) == {**without_times(reference.after), "sample_id": "s1"}
    assert set(first.after) == set(reference.after)


def test_a_sample_id_taken_in_the_database_fails_the_whole_insert(db):
    sample_create(user=SYSTEM, data=sample_data("taken"))
    rows = [sample_clean(user=SYSTEM, data=sample_data(name)) for name in ("new", "taken")]

    with pytest.raises(IntegrityError), transaction.atomic():
        samples_insert(user=SYSTEM, rows=rows)

    assert list(Sample.objects.values_list("pk", flat=True)) == ["taken"]
    assert HistoryEntry.objects.filter(subsystem="Sample").count() == 1


def test_a_sample_id_given_twice_fails_the_whole_insert(db):
    rows = [sample_clean(user=SYSTEM, data=sample_data("twice")) for _ in range(2)]

    with pytest.raises(IntegrityError), transaction.atomic():
        samples_insert(user=SYSTEM, rows=rows)

    assert not Sample.objects.exists()


def test_sample_clean_refuses_what_sample_create_refuses(owner):
    with pytest.raises(InvalidInput, match="owner_group"):
        sample_clean(user=SYSTEM, data={"sample_id": "x"})
    with pytest.raises(PermissionDenied):
        sample_clean(user=owner, data=sample_data("x", owner_group="someone-else"))
    assert len(sample_clean(user=SYSTEM, data={"owner_group": "g"})["sample_id"]) == 36


def test_inserted_objects_are_stored_as_bulk_create_stores_them(db):
    dataset = make_dataset()
    mine = HarvestRecord(
        key="k1", source="/a", kind="file", state="new", fingerprints={"/a": [1, 2, 3]}
    )
    theirs = HarvestRecord(
        key="k2", source="/a", kind="file", state="new", fingerprints={"/a": [1, 2, 3]}
    )
    mine.dataset, mine.warnings = dataset, ["odd unit"]
    theirs.warnings = ["odd unit"]

    insert_objects([mine], key="key")
    HarvestRecord.objects.bulk_create([theirs])

    assert mine.pk == HarvestRecord.objects.get(key="k1").pk != theirs.pk
    stored = {row["key"]: row for row in HarvestRecord.objects.values()}
    different = {"id", "key", "dataset_id", "created_at", "updated_at"}
    assert {k: v for k, v in stored["k1"].items() if k not in different} == {
        k: v for k, v in stored["k2"].items() if k not in different
    }
    assert stored["k1"]["dataset_id"] == dataset.pk
    assert stored["k1"]["created_at"] is not None


def test_the_files_of_many_blocks_go_in_together_as_block_by_block(db):
    files = [{"path": "a.nxs", "size": 5, "time": "2024-03-01T10:00:00Z"}]
    first, second = make_dataset(), make_dataset()
    blocks = [OrigDatablock.objects.create(dataset=d, owner_group="g") for d in (first, second)]
    more = [*files, {"path": "b.nxs", "size": 7, "time": "2024-03-01T11:00:00+01:00"}]

    insert_block_files([(files, first, blocks[0]), (more, second, blocks[1])])
    alone = make_dataset()
    insert_files(more, dataset=alone, block=OrigDatablock.objects.create(dataset=alone))

    rows = DataFile.objects.order_by("path", "dataset_id").values_list(
        "dataset_id", "origdatablock_id", "path", "size", "time"
    )
    second_rows = [row[2:] for row in rows if row[0] == second.pk]
    assert second_rows == [row[2:] for row in rows if row[0] == alone.pk]
    assert [row[1] for row in rows if row[0] == first.pk] == [blocks[0].pk]
    with pytest.raises(InvalidInput, match=r"dataFileList\[0\]"):
        insert_block_files([([{"size": 1}], first, blocks[0])])
