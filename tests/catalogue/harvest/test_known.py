"""What a re-run settles from the records alone (known.Records), and the walk that uses it."""

import json
import os

import pytest

from catalogue.harvest import scan
from catalogue.harvest.known import Records
from catalogue.harvest.mapping import Mapping, parse
from catalogue.harvest.stages import _records
from catalogue.models import HarvestRecord
from catalogue.services.harvest import source_key

PRINT = [10, 20, 30]
RULE = {"pattern": r"/(?P<p>p\d+)/", "owner_group": "{p}"}


def placed(mapping: Mapping, source: str) -> str:
    return mapping.place(source, source.rpartition("/")[0]).digest()


def row(n, source, kind="file", state="new", dataset=1, placement=None, prints=None):
    prints = {source: PRINT} if prints is None else prints
    placement = placed(Mapping(), source) if placement is None else placement
    return (n, source, kind, json.dumps(prints), placement, state, dataset)


def test_single_file_sources_with_a_dataset_or_a_skip_are_settled_and_no_others():
    rows = [
        row(1, "/d/new.nxs"),
        row(2, "/d/unchanged.nxs", state="unchanged"),
        row(3, "/d/plain.h5", state="skipped", dataset=None),
        row(4, "/d/failed.nxs", state="failed"),
        row(5, "/d/lost-dataset.nxs", dataset=None),
        row(6, "/d/gone.nxs", state="removed"),
        row(7, "/d/s_%T.h5", kind="series", prints={"/d/s_1.h5": PRINT}),
    ]

    records = Records([rows[:3], rows[3:]], Mapping())

    assert sorted(records.settled) == ["/d/new.nxs", "/d/plain.h5", "/d/unchanged.nxs"]
    assert records.skips == {"/d/plain.h5"}
    assert sorted(records.files) == [
        "/d/failed.nxs",
        "/d/gone.nxs",
        "/d/lost-dataset.nxs",
        "/d/s_1.h5",
    ]
    assert records.get("/d/s_%T.h5").fingerprints == {"/d/s_1.h5": PRINT}
    assert "/d/new.nxs" in records and records.get("/nowhere") is None


def test_a_source_the_mapping_now_places_elsewhere_or_groups_by_folder_is_not_settled():
    mapping = parse({"owner_group": "facility", "rules": [RULE]})
    before = Mapping(owner_group="facility")
    rows = [
        row(1, "/d/p1/moved.nxs", placement=placed(before, "/d/p1/moved.nxs")),
        row(2, "/d/p1/kept.nxs", placement=placed(mapping, "/d/p1/kept.nxs")),
        row(3, "/d/other/kept.nxs", placement=placed(before, "/d/other/kept.nxs")),
        row(4, "/d/p1/plain.h5", state="skipped", placement=""),  # a skip stays one anywhere
    ]

    by_file = Records([rows], mapping)
    by_folder = Records([rows], parse({"owner_group": "facility", "group_by": "directory"}))

    assert sorted(by_file.settled) == ["/d/other/kept.nxs", "/d/p1/kept.nxs", "/d/p1/plain.h5"]
    assert list(by_file.files) == ["/d/p1/moved.nxs"]
    assert by_folder.settled == {}


def test_a_path_two_records_name_belongs_to_the_greater_source_as_before():
    prints = {"/d/a.nxs": PRINT, "/d/s_1.h5": PRINT}
    folder = row(1, "/d", kind="directory", state="removed", prints=prints)
    series = row(3, "/d/s_%T.h5", kind="series", state="failed", prints={"/d/s_1.h5": PRINT})

    records = Records([[series, row(2, "/d/a.nxs")], [folder]], Mapping())

    assert list(records.settled) == ["/d/a.nxs"]
    assert records.files["/d/a.nxs"].source == "/d/a.nxs"  # its own record, if unsettled
    assert records.files["/d/s_1.h5"].source == "/d/s_%T.h5"


@pytest.mark.django_db
def test_the_records_of_a_root_are_those_under_it_in_exactly_its_spelling(tmp_path):
    root = tmp_path / "Data"
    for source in (root, root / "a.nxs", root / "sub" / "b.nxs", tmp_path / "Data2" / "c.nxs"):
        HarvestRecord.objects.create(key=source_key(str(source)), source=str(source), kind="file")
    HarvestRecord.objects.create(
        key=source_key(str(tmp_path / "data" / "d.nxs")), source=str(tmp_path / "data" / "d.nxs")
    )

    sources = {r[1] for chunk in _records([str(root)]) for r in chunk}

    assert sources == {str(root), str(root / "a.nxs"), str(root / "sub" / "b.nxs")}


def test_the_walk_sets_apart_the_files_found_as_settled(tmp_path):
    for name in ("same.nxs", "changed.nxs", "new.nxs"):
        (tmp_path / "sub" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "sub" / name).write_bytes(b"x")
    same, changed = tmp_path / "sub" / "same.nxs", tmp_path / "sub" / "changed.nxs"
    stat = same.stat()
    settled = {
        str(same): [stat.st_size, stat.st_mtime_ns, stat.st_ino],
        str(changed): [stat.st_size + 1, stat.st_mtime_ns, changed.stat().st_ino],
    }

    found = scan.survey([tmp_path], settled)

    assert found.same == {str(tmp_path / "sub"): [str(same)]}
    assert sorted(found.rest) == [str(changed), str(tmp_path / "sub" / "new.nxs")]
    assert found.files == 3


BEFORE = [
    row(1, "/d/x/a.nxs"),
    row(2, "/d/x/b.nxs", state="skipped", dataset=None),
    row(3, "/d/y/c.nxs"),
    # another folder's record naming c.nxs, with the greater source: c.nxs is its, not settled
    row(4, "/e/z", kind="directory", state="failed", prints={"/d/y/c.nxs": PRINT, "/e/z/q": PRINT}),
]
AFTER = [row(1, "/d/x/a.nxs", state="failed"), BEFORE[1], BEFORE[2]]  # z deleted, a failed


def summary(records: Records) -> tuple:
    files = {path: known.source for path, known in records.files.items()}
    return dict(records.settled), records.skips, files


def test_reading_again_the_records_of_some_folders_gives_what_reading_all_gives():
    records = Records([BEFORE], Mapping())
    before = summary(records)

    touched = records.update([AFTER[:2]], {"/d/x", "/e"}, Mapping())

    assert before[0] == {"/d/x/a.nxs": PRINT, "/d/x/b.nxs": PRINT}
    assert summary(records) == summary(Records([AFTER], Mapping()))
    assert touched == {"/d/x", "/d/y", "/e"}  # c.nxs is settled now


def test_records_packed_into_an_index_are_restored_as_they_were():
    records = Records([BEFORE], Mapping())
    listings = {"/d/x": ("a.nxs", b"", None)}

    back = Records.restore(records.pack(listings))

    assert back.settled.packed == {"/d/x"} and back.settled.listings == listings
    assert summary(back) == summary(records)
    assert back.get("/d/x/a.nxs") == records.get("/d/x/a.nxs")
    assert back.gone(set(), {}) == records.gone(set(), {}) == [r[1] for r in BEFORE]
    back.update([AFTER[:2]], {"/d/x", "/e"}, Mapping())
    assert summary(back) == summary(Records([AFTER], Mapping()))


def test_a_folder_listed_as_the_last_walk_listed_it_has_the_same_outcome_unlooked_up(tmp_path):
    for name in ("a.nxs", "b.nxs"):
        (tmp_path / name).write_bytes(b"x")
    stat = (tmp_path / "a.nxs").stat()
    first = scan.survey([tmp_path], {str(tmp_path / "a.nxs"): [*scan.FINGERPRINT(stat)]})

    again = scan.survey([tmp_path], scan.Settled({}, listings=first.listings))  # nothing settled
    os.utime(tmp_path / "a.nxs", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    changed = scan.survey([tmp_path], scan.Settled({}, listings=first.listings))

    assert first.same == again.same == {str(tmp_path): [str(tmp_path / "a.nxs")]}
    assert sorted(again.rest) == [str(tmp_path / "b.nxs")]
    assert changed.same == {} and len(changed.rest) == 2
