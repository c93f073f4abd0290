"""The harvest run end to end: incremental, idempotent, removed files flagged, broken ones kept."""

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalogue.harvest.run import harvest
from catalogue.models import (
    Attachment,
    DataFile,
    Dataset,
    HarvestRecord,
    HarvestRun,
    OrigDatablock,
)

from .test_ingest import write_fits, write_nexus, write_series_member

pytestmark = pytest.mark.django_db


def make_tree(root: Path) -> Path:
    """4 sources: two NeXus files and a FITS file in proposal folders, a 2-file openPMD series."""
    write_nexus(root / "2024" / "p123" / "scan1.nxs", title="scan one")
    write_nexus(root / "2024" / "p123" / "scan2.nxs", title="scan two")
    (root / "2024" / "p123" / "notes.txt").write_text("beam dump at 10:00")
    write_fits(root / "2024" / "p456" / "sky.fits", name="M31")
    for iteration in (10, 20):
        write_series_member(root / "sim", iteration)
    return root


def run_once(root, **options) -> HarvestRun:
    options = {"owner_group": "facility", "workers": 0, "previews": False, **options}
    return harvest([root], **options)


def catalogue(root: Path) -> dict[str, str]:
    """{source relative to root: dataset pid} of the sources with a dataset."""
    records = HarvestRecord.objects.filter(dataset__isnull=False).select_related("dataset")
    return {os.path.relpath(r.source, root): r.dataset.pid for r in records}


def counts(run: HarvestRun) -> dict:
    names = ("new", "updated", "unchanged", "failed", "skipped", "removed")
    return {name: getattr(run, name) for name in names if getattr(run, name)}


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "data")


def test_harvesting_twice_gives_the_same_catalogue_and_reports_all_unchanged(tree):
    first = run_once(tree)
    before = catalogue(tree)

    second = run_once(tree)

    assert counts(first) == {"new": 4}
    assert counts(second) == {"unchanged": 4}
    assert catalogue(tree) == before
    assert sorted(before) == [
        "2024/p123/scan1.nxs",
        "2024/p123/scan2.nxs",
        "2024/p456/sky.fits",
        "sim/data_%T.h5",
    ]
    assert Dataset.objects.count() == 4
    assert set(HarvestRecord.objects.values_list("run", "state")) == {(first.pk, "new")}
    assert second.status == "finished" and second.files == 6


def test_a_modified_or_touched_file_updates_its_dataset_only(tree):
    run_once(tree)
    pids = catalogue(tree)
    write_nexus(tree / "2024" / "p123" / "scan1.nxs", title="scan one, repeated")
    sky = tree / "2024" / "p456" / "sky.fits"
    os.utime(sky, ns=(sky.stat().st_atime_ns, sky.stat().st_mtime_ns + 10**9))

    run = run_once(tree)

    assert counts(run) == {"updated": 2, "unchanged": 2}
    assert catalogue(tree) == pids
    scan = Dataset.objects.get(pid=pids["2024/p123/scan1.nxs"])
    assert scan.dataset_name == "scan one, repeated"
    assert OrigDatablock.objects.filter(dataset=scan).count() == 1
    assert HarvestRecord.objects.get(source=str(sky)).state == "updated"


def test_a_deleted_file_is_marked_removed_and_its_dataset_kept(tree):
    run_once(tree)
    gone = tree / "2024" / "p123" / "scan2.nxs"
    gone.unlink()

    run = run_once(tree)
    again = run_once(tree)

    record = HarvestRecord.objects.get(source=str(gone))
    assert counts(run) == {"unchanged": 3, "removed": 1}
    assert counts(again) == {"unchanged": 3}
    assert record.state == "removed" and record.dataset is not None
    assert record.dataset.datasetlifecycle["isOnCentralDisk"] is False
    assert Dataset.objects.count() == 4


def test_a_broken_file_is_recorded_with_its_reason_and_the_others_are_harvested(tree):
    (tree / "2024" / "p123" / "broken.nxs").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\xff" * 64)
    (tree / "2024" / "p456" / "junk.fits").write_bytes(b"no FITS header here")

    run = run_once(tree)

    failed = dict(HarvestRecord.objects.filter(state="failed").values_list("source", "reason"))
    assert counts(run) == {"new": 4, "failed": 2}
    assert "not a readable HDF5 file" in failed[str(tree / "2024" / "p123" / "broken.nxs")]
    assert failed[str(tree / "2024" / "p456" / "junk.fits")].startswith("not a recognised format")
    assert Dataset.objects.count() == 4


def test_a_broken_file_is_tried_again_and_harvested_once_fixed(tree):
    broken = tree / "2024" / "p123" / "late.nxs"
    broken.write_bytes(b"still being written")
    run_once(tree)

    write_nexus(broken, title="late scan")
    run = run_once(tree)

    assert counts(run) == {"new": 1, "unchanged": 4}
    assert HarvestRecord.objects.get(source=str(broken)).dataset.dataset_name == "late scan"


def test_a_series_grows_and_shrinks_as_one_dataset(tree):
    run_once(tree)
    write_series_member(tree / "sim", 30)

    grown = run_once(tree)
    (tree / "sim" / "data_10.h5").unlink()
    shrunk = run_once(tree)

    series = HarvestRecord.objects.get(kind="series").dataset
    assert counts(grown) == {"updated": 1, "unchanged": 3}
    assert counts(shrunk) == {"updated": 1, "unchanged": 3}
    assert sorted(DataFile.objects.filter(dataset=series).values_list("path", flat=True)) == [
        "data_20.h5",
        "data_30.h5",
    ]
    assert series.scientific_metadata["iterations"]["numbers"] == [20, 30]


def test_mapping_rules_place_sources_and_storage_rules_say_where_to_fetch_them(tree, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "owner_group": "facility",
                "rules": [
                    {
                        "pattern": r"/(?P<year>\d{4})/(?P<proposal>p\d+)/",
                        "owner_group": "{proposal}",
                        "access_groups": ["staff", "y{year}"],
                    }
                ],
                "storage": [{"prefix": str(tree), "host": "root://xrootd.example.org:1094",
                             "path": "/store"}],
            }
        )
    )  # fmt: skip

    run_once(tree, owner_group="", mapping_file=str(mapping))

    scan = HarvestRecord.objects.get(source=str(tree / "2024" / "p123" / "scan1.nxs"))
    sim = HarvestRecord.objects.get(kind="series").dataset
    assert (scan.dataset.owner_group, scan.dataset.access_groups) == ("p123", ["staff", "y2024"])
    assert (sim.owner_group, sim.access_groups) == ("facility", [])
    assert scan.dataset.source_folder == "/store/2024/p123"
    assert scan.dataset.source_folder_host == "root://xrootd.example.org:1094"
    assert scan.download_url == "root://xrootd.example.org:1094//store/2024/p123"
    assert scan.folder == str(tree / "2024" / "p123")


def test_the_mapping_file_setting_is_used_and_a_changed_placement_updates(tree, tmp_path, settings):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('owner_group = "from-setting"\n')
    settings.HARVEST_MAPPING_FILE = str(mapping)
    run_once(tree, owner_group="")
    mapping.write_text('owner_group = "moved"\n')

    run = run_once(tree, owner_group="")

    assert counts(run) == {"updated": 4}
    assert set(Dataset.objects.values_list("owner_group", flat=True)) == {"moved"}


def test_grouping_by_directory_makes_one_dataset_per_folder(tree):
    run = run_once(tree, group_by="directory")

    folders = catalogue(tree)
    p123 = Dataset.objects.get(pid=folders["2024/p123"])
    assert counts(run) == {"new": 3}
    assert sorted(folders) == ["2024/p123", "2024/p456", "sim"]
    assert p123.number_of_files == 3  # both scans and the notes
    assert set(p123.scientific_metadata["members"]) == {"scan1.nxs", "scan2.nxs"}


def test_checksums_are_computed_in_their_own_stage_and_can_be_left_out(tree):
    skipped = run_once(tree, checksums_on=False)
    no_sums = set(DataFile.objects.values_list("chk", flat=True))
    filled = run_once(tree)
    switched = run_once(tree, checksum_alg="blake2b")

    scan = tree / "2024" / "p123" / "scan1.nxs"
    row = DataFile.objects.get(path="scan1.nxs")
    assert no_sums == {""} and skipped.checksummed == 0
    assert filled.checksummed == 5 and counts(filled) == {"unchanged": 4}
    assert switched.checksummed == 5
    assert row.chk == hashlib.blake2b(scan.read_bytes()).hexdigest()
    assert row.origdatablock.chk_alg == "blake2b"


def test_previews_become_one_attachment_per_dataset(tree):
    run_once(tree, previews=True)
    write_nexus(tree / "2024" / "p123" / "scan1.nxs", title="again")
    run_once(tree, previews=True)

    shown = Attachment.objects.filter(dataset__harvest_record__isnull=False)
    assert shown.count() == 3  # no image in the FITS header-only file
    assert all(a.thumbnail.startswith("data:image/png;base64,") for a in shown)


def test_a_missing_root_fails_the_run_and_marks_nothing_removed(tree):
    run_once(tree)
    moved = tree.parent / "elsewhere"
    tree.rename(moved)

    run = run_once(tree)

    assert run.status == "failed" and "does not exist" in run.error
    assert not HarvestRecord.objects.filter(state="removed").exists()


def test_the_command_prints_a_summary_and_lists_failures(tree, capsys):
    (tree / "bad.fits").write_bytes(b"nope")

    call_command("harvest", str(tree), "--owner-group", "g", "--workers", "0", "--no-previews")

    out, err = capsys.readouterr()
    assert "4 new, 0 updated, 0 unchanged, 1 failed" in out
    assert "files/s" in out
    assert f"failed: {tree / 'bad.fits'}: not a recognised format" in err


def test_the_command_refuses_a_bad_mapping_before_touching_anything(tree, tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text('{"rules": [{"pattern": "("}]}')

    with pytest.raises(CommandError, match="not a regular expression"):
        call_command("harvest", str(tree), "--mapping", str(bad))
    assert not HarvestRun.objects.exists()


def test_the_celery_task_runs_the_same_harvest(tree, django_capture_on_commit_callbacks):
    from catalogue.harvest.run import run_options
    from catalogue.services.harvest import harvest_run_start
    from catalogue.tasks_harvest import harvest_run
    from portal.celery import app

    app.conf.task_always_eager = True
    options = run_options(owner_group="facility", workers=0, previews=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = harvest_run_start(user=None, paths=[str(tree)], options=options)
    finally:
        app.conf.task_always_eager = False
    repeated = harvest_run.apply(args=(run.pk,)).get()

    run.refresh_from_db()
    assert counts(run) == {"new": 4} and run.status == "finished"
    assert repeated.startswith(f"harvest {run.pk} finished: 4 new")  # a finished run is not redone


def test_worker_processes_give_the_same_catalogue_as_one_process(tree, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)

    run_once(tree, workers=0)
    pooled = run_once(copy, workers=2)

    assert counts(pooled) == {"new": 4}
    mine = {
        os.path.relpath(r.source, tree)
        for r in HarvestRecord.objects.filter(source__startswith=str(tree) + "/")
    }
    theirs = {
        os.path.relpath(r.source, copy)
        for r in HarvestRecord.objects.filter(source__startswith=str(copy) + "/")
    }
    assert mine == theirs


def test_regrouping_by_directory_retires_the_file_datasets_without_calling_them_gone(tree):
    run_once(tree)

    run = run_once(tree, group_by="directory")

    retired = HarvestRecord.objects.get(source=str(tree / "2024" / "p123" / "scan1.nxs"))
    assert counts(run) == {"new": 3, "removed": 4}
    assert retired.state == "removed"
    assert retired.reason == f"its files now belong to {tree / '2024' / 'p123'} (grouping changed)"
    assert retired.dataset.datasetlifecycle["isOnCentralDisk"] is True


def test_adios2_series_are_one_source_each_whether_one_folder_or_many(tmp_path):
    from .test_openpmd import write_series

    root = tmp_path / "sims"
    root.mkdir()
    write_series(root / "pic_%T.bp4", iterations=(0, 5, 10))
    write_series(root / "warpx.bp4")

    first = run_once(root)
    second = run_once(root)

    records = {os.path.relpath(r.source, root): r for r in HarvestRecord.objects.all()}
    assert counts(first) == {"new": 2} and counts(second) == {"unchanged": 2}
    assert sorted(records) == ["pic_%T.bp4", "warpx.bp4"]
    assert records["pic_%T.bp4"].kind == "series"
    paths = DataFile.objects.filter(dataset=records["warpx.bp4"].dataset).values_list(
        "path", flat=True
    )
    assert "warpx.bp4/md.idx" in set(paths)


def test_switching_algorithm_never_leaves_old_checksums_under_the_new_name(tree, monkeypatch):
    from catalogue.harvest import stages

    run_once(tree)
    monkeypatch.setattr(stages, "CHECKSUM_PAGE", 1)  # one file per page: blocks split over pages

    switched = run_once(tree, checksum_alg="md5")

    series = HarvestRecord.objects.get(kind="series").dataset
    for row in DataFile.objects.filter(dataset=series):
        assert row.chk == hashlib.md5((tree / "sim" / row.path).read_bytes()).hexdigest()
    assert switched.checksummed == 5
