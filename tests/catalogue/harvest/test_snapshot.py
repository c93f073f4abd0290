"""A harvest's index of its roots (snapshot.py): trusted only where the database proves it
current, and a re-run through it finds what a run reading every record finds."""

import os
import secrets
import shutil

import pytest
from django.db import connection

from catalogue.access import SYSTEM
from catalogue.harvest import snapshot
from catalogue.harvest.known import Records
from catalogue.harvest.mapping import Mapping
from catalogue.harvest.stages import _records
from catalogue.models import HarvestRecord
from catalogue.services import dataset_delete
from catalogue.services.harvest import source_key
from tests.factories import make_dataset

from .test_ingest import write_nexus
from .test_run import counts, make_tree, run_once

pytestmark = pytest.mark.django_db

MAPPING = Mapping(owner_group="facility")  # the mapping of run_once


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "data")


@pytest.fixture
def loaded(settings, tmp_path, monkeypatch) -> list:
    """Every run writes its index (in tmp_path); the list gets the records each run loaded."""
    settings.HARVEST_INDEX_DIR = str(tmp_path / "index")
    monkeypatch.setattr(snapshot, "MIN_FILES", 0)
    found, load = [], snapshot.load

    def spied(*args):
        found.append(load(*args))
        return found[-1]

    monkeypatch.setattr(snapshot, "load", spied)
    return found


def unread(roots):
    raise AssertionError("every record read from the database")


def test_the_next_run_trusts_the_index_and_reads_no_record_from_the_database(tree, loaded):
    run_once(tree)
    records = snapshot.load([str(tree)], MAPPING, unread)
    again = run_once(tree)

    assert records.restored and loaded[-1].restored
    assert dict(records.settled) == dict(Records(_records([str(tree)]), MAPPING).settled)
    assert counts(again) == {"unchanged": 4}


def test_changed_removed_added_and_moved_files_are_found_through_the_index(tree, loaded):
    p123, sky = tree / "2024" / "p123", tree / "2024" / "p456" / "sky.fits"
    run_once(tree)
    stat = sky.stat()  # the same name and size, a newer mtime: listed as before but for it
    os.utime(sky, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    (p123 / "scan1.nxs").unlink()
    write_nexus(p123 / "scan3.nxs", title="scan three")
    os.rename(p123 / "scan2.nxs", p123 / "scan2b.nxs")

    again = run_once(tree)
    third = run_once(tree)

    assert loaded[1].restored and loaded[2].restored
    assert counts(again) == {"updated": 1, "new": 2, "unchanged": 1, "removed": 2}
    assert counts(third) == {"unchanged": 4}
    removed = HarvestRecord.objects.filter(state="removed").values_list("source", flat=True)
    assert sorted(removed) == [str(p123 / "scan1.nxs"), str(p123 / "scan2.nxs")]


def test_a_folder_gone_whole_has_its_sources_marked_removed(tree, loaded):
    run_once(tree)
    shutil.rmtree(tree / "2024" / "p456")

    again = run_once(tree)

    assert loaded[-1].restored
    assert counts(again) == {"unchanged": 3, "removed": 1}


def test_a_dataset_deleted_through_the_api_is_made_again_by_the_next_run(tree, loaded):
    run_once(tree)
    record = HarvestRecord.objects.get(source=str(tree / "2024" / "p456" / "sky.fits"))
    dataset_delete(user=SYSTEM, dataset=record.dataset)

    again = run_once(tree)

    record.refresh_from_db()
    assert loaded[-1].restored
    assert record.dataset is not None
    assert counts(again)["unchanged"] == 3


def test_records_another_writer_changed_are_read_again_in_their_folder_only(tree, loaded):
    run_once(tree)
    scan1, p456 = tree / "2024" / "p123" / "scan1.nxs", tree / "2024" / "p456"
    HarvestRecord.objects.filter(source=str(scan1)).update(state="failed")  # no updated_at

    records = snapshot.load([str(tree)], MAPPING, unread)
    again = run_once(tree)

    assert records.get(str(scan1)).state == "failed"
    assert str(scan1) not in records.settled.flat
    assert str(p456) in records.settled.packed  # not read again
    assert counts(again) == {"updated": 1, "unchanged": 3}


def test_an_index_made_for_another_mapping_or_unreadable_is_not_used(tree, loaded):
    run_once(tree)
    path = snapshot.index_path([str(tree)])
    path.write_bytes(path.read_bytes()[:100])  # cut short
    broken = run_once(tree)
    other = run_once(tree, owner_group="other-facility")
    again = run_once(tree, owner_group="other-facility")

    assert not loaded[1].restored and counts(broken) == {"unchanged": 4}
    assert not loaded[2].restored and counts(other) == {"updated": 4}
    assert loaded[3].restored and counts(again) == {"unchanged": 4}


def test_a_small_tree_leaves_no_index(tree, settings, tmp_path):
    settings.HARVEST_INDEX_DIR = str(tmp_path / "index")
    run_once(tree)

    assert not (tmp_path / "index").exists() or not list((tmp_path / "index").iterdir())


def record(source: str, **fields) -> HarvestRecord:
    return HarvestRecord.objects.create(key=source_key(source), source=source, **fields)


def test_every_write_to_a_record_draws_a_new_token_for_its_folder():
    first = record("/d/a/x.nxs", kind="file")
    record("/d/b/y.nxs", kind="file")
    tokens = [snapshot.folder_tokens(["/d"])]
    HarvestRecord.objects.filter(pk=first.pk).update(state="failed")
    tokens.append(snapshot.folder_tokens(["/d"]))
    first.dataset = make_dataset()
    first.save()
    tokens.append(snapshot.folder_tokens(["/d"]))
    first.dataset.delete()  # Django sets the record's link to NULL: updated_at stays
    tokens.append(snapshot.folder_tokens(["/d"]))
    first.delete()
    tokens.append(snapshot.folder_tokens(["/d"]))

    assert all(set(t) == {"/d/a/", "/d/b/"} for t in tokens)
    assert len({t["/d/a/"] for t in tokens}) == 5
    assert len({t["/d/b/"] for t in tokens}) == 1
    assert snapshot.folder_tokens(["/d/b"]) == {"/d/b/": tokens[0]["/d/b/"]}


def test_a_folder_longer_than_an_index_entry_gets_its_token():
    """PostgreSQL's B-tree entries stop at about 2,700 bytes; paths may be longer."""
    # 4,000 bytes, each name within NAME_MAX; random, so PostgreSQL cannot compress them.
    deep = "/d/" + "/".join(secrets.token_hex(125) for _ in range(16)) + "/"
    record(deep + "a.nxs", kind="file")
    first = snapshot.folder_tokens(["/d"])
    record(deep + "b.nxs", kind="file")

    assert set(first) == {deep}
    assert snapshot.folder_tokens(["/d"])[deep] != first[deep]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # no TRUNCATE with the insert's checks pending
def test_emptying_the_records_table_forgets_every_token():
    record("/d/a/x.nxs", kind="file")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {HarvestRecord._meta.db_table} CASCADE")

    assert snapshot.folder_tokens(["/d"]) == {}
