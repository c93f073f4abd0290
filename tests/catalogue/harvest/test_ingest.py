"""The worker side of the harvest (no database): identify, extract, merge folders, checksums, scan.

The writers here (write_nexus, write_fits, write_series_member) are shared by the run tests.
"""

import hashlib
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from catalogue.harvest import checksums, ingest, scan
from catalogue.harvest.scan import Identity, Known

from .conftest import OPENPMD_ROOT, basic_entry, openpmd_iteration, raw_fits


def write_nexus(path: Path, title: str = "Lysozyme 100K", **fields) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        entry = basic_entry(f)
        for key, value in {"title": title, **fields}.items():
            if key in entry:
                del entry[key]
            entry[key] = value
    return path


def write_fits(path: Path, name: str = "M31", instrument: str = "KO-CAM", **cards) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "SIMPLE  =                    T",
        "BITPIX  =                    8",
        "NAXIS   =                    0",
        f"OBJECT  = '{name}'",
        f"INSTRUME= '{instrument}'",
        "DATE-OBS= '2024-05-01T22:10:00'",
        *[f"{key:<8}= {value}" for key, value in cards.items()],
    ]
    path.write_bytes(raw_fits(lines))
    return path


def write_series_member(folder: Path, iteration: int, name: str = "data_%T.h5") -> Path:
    """One file of an openPMD fileBased series (data_<iteration>.h5)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name.replace("%T", str(iteration))
    with h5py.File(path, "w") as f:
        f.attrs.update(OPENPMD_ROOT)
        f.attrs["iterationEncoding"] = np.bytes_(b"fileBased")
        f.attrs["iterationFormat"] = np.bytes_(name.encode())
        openpmd_iteration(f.create_group(f"/data/{iteration}"), time_value=float(iteration))
    return path


# --- identify ------------------------------------------------------------------------------


def test_data_files_are_identified_by_content(tmp_path):
    nexus = write_nexus(tmp_path / "scan.bin")
    image = write_fits(tmp_path / "sky.dat")

    assert ingest.identify(str(nexus)) == Identity("nexus")
    assert ingest.identify(str(image)) == Identity("fits")


def test_series_members_name_their_series_as_folder_and_iteration_format(tmp_path):
    member = write_series_member(tmp_path / "sim", 100)

    assert ingest.identify(str(member)) == Identity("openpmd", series=f"{tmp_path}/sim/data_%T.h5")


def test_a_data_file_that_is_not_readable_is_broken_with_a_reason(tmp_path):
    garbage = tmp_path / "scan.nxs"
    garbage.write_bytes(b"this is no HDF5 file at all")
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.nxs"
    truncated.write_bytes(write_nexus(tmp_path / "whole.nxs").read_bytes()[:600])

    assert ingest.identify(str(garbage)) == Identity(
        "broken", reason="not a recognised format (NeXus/HDF5, FITS or openPMD)"
    )
    assert ingest.identify(str(empty)).reason == "empty file"
    cut = ingest.identify(str(truncated))
    assert cut.format == "broken" and "not a readable HDF5 file" in cut.reason


def test_plain_hdf5_is_skipped_and_other_files_are_ignored(tmp_path):
    plain = tmp_path / "table.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    notes = tmp_path / "README.txt"
    notes.write_text("hello")

    assert ingest.identify(str(plain)).format == "plain"
    assert ingest.identify(str(notes)) == Identity("")


# --- extract -------------------------------------------------------------------------------


def test_a_series_is_extracted_in_iteration_order_with_all_its_files(tmp_path):
    paths = [str(write_series_member(tmp_path, n)) for n in (100, 20, 3)]

    outcome = ingest.extract(ingest.Job("s", "series", str(tmp_path), paths, preview=False))

    iterations = outcome.draft.scientific_metadata["iterations"]
    assert (iterations["first"], iterations["last"]) == (3, 100)
    assert sorted(f["path"] for f in outcome.draft.files) == [
        "data_100.h5",
        "data_20.h5",
        "data_3.h5",
    ]


def test_extraction_problems_come_back_as_reasons_never_as_exceptions(tmp_path):
    garbage = tmp_path / "scan.nxs"
    garbage.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)

    outcome = ingest.extract(ingest.Job(str(garbage), "file", str(tmp_path), [str(garbage)]))

    assert outcome.draft is None
    assert outcome.error.startswith("plain HDF5")


def test_a_file_job_brings_a_png_preview(tmp_path):
    path = write_nexus(tmp_path / "scan.nxs")

    outcome = ingest.extract(ingest.Job(str(path), "file", str(tmp_path), [str(path)]))

    assert outcome.preview.startswith(b"\x89PNG")


def test_a_folder_becomes_one_draft_with_every_file_and_member_metadata(tmp_path):
    write_nexus(tmp_path / "run" / "a.nxs", title="first", start_time="2024-03-01T09:00:00Z")
    write_nexus(tmp_path / "run" / "b.nxs", title="second", end_time="2024-03-02T18:00:00Z")
    write_fits(tmp_path / "run" / "c.fits")
    (tmp_path / "run" / "log.txt").write_text("beam dump at 10:00")
    broken = tmp_path / "run" / "d.nxs"
    broken.write_bytes(b"junk")
    folder = str(tmp_path / "run")
    paths = sorted(str(p) for p in (tmp_path / "run").iterdir())

    draft = ingest.extract(ingest.Job(folder, "directory", folder, paths, preview=False)).draft

    assert draft.dataset_name == "run"
    assert draft.data_format == "NeXus + FITS"
    assert set(draft.scientific_metadata["members"]) == {"a.nxs", "b.nxs", "c.fits"}
    assert sorted(f["path"] for f in draft.files) == [
        "a.nxs",
        "b.nxs",
        "c.fits",
        "d.nxs",
        "log.txt",
    ]
    assert (draft.start_time, draft.end_time) == (
        "2024-03-01T09:00:00+00:00",
        "2024-03-02T18:00:00+00:00",
    )
    assert "KO-CAM" in draft.keywords
    assert any(w.startswith("d.nxs: not a recognised format") for w in draft.warnings)


def test_a_folder_of_plain_hdf5_only_is_skipped_and_one_of_broken_files_fails(tmp_path):
    with h5py.File(tmp_path / "table.h5", "w") as f:
        f["x"] = np.arange(3)
    (tmp_path / "bad" / "x.fits").parent.mkdir()
    (tmp_path / "bad" / "x.fits").write_bytes(b"nope")

    plain = ingest.extract(
        ingest.Job("p", "directory", str(tmp_path), [str(tmp_path / "table.h5")])
    )
    bad = ingest.extract(
        ingest.Job("b", "directory", str(tmp_path / "bad"), [str(tmp_path / "bad" / "x.fits")])
    )

    assert plain.skipped and plain.draft is None
    assert not bad.skipped and "no readable data file" in bad.error


# --- checksums -----------------------------------------------------------------------------


def test_checksums_are_computed_with_the_named_algorithm(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    stat = path.stat()
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat()
    task = checksums.Task(7, str(path), stat.st_size, moment)

    assert checksums.hash_files([task], "blake2b") == [
        (7, hashlib.blake2b(b"abc" * 1000).hexdigest(), "")
    ]


def test_a_file_changed_since_it_was_listed_is_not_hashed(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")

    result = checksums.hash_files([checksums.Task(1, str(path), 2, "")], "sha256")

    assert result == [(1, "", "changed since it was listed")]


def test_unknown_checksum_algorithms_are_refused():
    assert checksums.algorithm("SHA-256") == "sha256"
    with pytest.raises(ValueError, match="unknown checksum algorithm 'crc99'"):
        checksums.algorithm("crc99")
    with pytest.raises(ValueError):
        checksums.algorithm("shake_128")


# --- scan ----------------------------------------------------------------------------------


def test_the_walk_skips_hidden_names_and_sees_a_bp_directory_as_one_entry(tmp_path):
    (tmp_path / "a.nxs").write_bytes(b"x")
    (tmp_path / ".snapshot").mkdir()
    (tmp_path / ".snapshot" / "old.nxs").write_bytes(b"x")
    (tmp_path / ".hidden.fits").write_bytes(b"x")
    bp = tmp_path / "sub" / "sim.bp"
    bp.mkdir(parents=True)
    for name, size in (("md.idx", 10), ("md.0", 20), ("data.0", 30)):
        (bp / name).write_bytes(b"\0" * size)

    entries = {e.path: e for e in scan.walk([tmp_path])}

    assert sorted(entries) == [str(tmp_path / "a.nxs"), str(bp)]
    assert entries[str(bp)].size == 60


def test_a_missing_root_stops_the_walk_instead_of_looking_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="is the file system mounted"):
        list(scan.walk([tmp_path / "gone"]))


def test_only_new_changed_or_regrouped_files_are_identified_again(tmp_path):
    entries = {p: scan.Entry(p, 1, 1, 1) for p in ("/d/same.nxs", "/d/changed.nxs", "/d/new.nxs")}
    same = Known(1, "/d/same.nxs", "file", {"/d/same.nxs": [1, 1, 1]})
    changed = Known(2, "/d/changed.nxs", "file", {"/d/changed.nxs": [1, 2, 1]})
    known_files = {"/d/same.nxs": same, "/d/changed.nxs": changed}

    assert scan.fresh(entries, known_files, lambda p: "file") == ["/d/changed.nxs", "/d/new.nxs"]
    assert len(scan.fresh(entries, known_files, lambda p: "directory")) == 3


def test_the_plan_keeps_series_members_together_and_folders_whole(tmp_path):
    entries = {p: scan.Entry(p, 1, 1, 1) for p in ("/s/d_1.h5", "/s/d_2.h5", "/s/x.txt")}
    identities = {
        "/s/d_1.h5": Identity("openpmd", series="/s/d_%T.h5"),
        "/s/d_2.h5": Identity("openpmd", series="/s/d_%T.h5"),
        "/s/x.txt": Identity(""),
    }

    by_file = scan.plan(entries, {}, {}, identities, lambda p: "file")
    by_folder = scan.plan(entries, {}, {}, identities, lambda p: "directory")

    assert [(u.source, u.kind, u.members) for u in by_file] == [
        ("/s/d_%T.h5", "series", ["/s/d_1.h5", "/s/d_2.h5"])
    ]
    assert [(u.source, sorted(u.entries)) for u in by_folder] == [
        ("/s", ["/s/d_1.h5", "/s/d_2.h5", "/s/x.txt"])
    ]


def test_under_matches_whole_path_components(tmp_path):
    assert scan.under("/data/a/x.nxs", ["/data/a"])
    assert scan.under("/data/a", ["/data/a/"])
    assert not scan.under("/data/ab/x.nxs", ["/data/a"])
    assert os.path.isabs(next(iter(scan.walk([Path(".").resolve() / "manage.py"]))).path)
