"""Re-runs over unchanged trees: every source counted, a record written only when it changes."""

import json

import h5py
import numpy as np
import pytest

from catalogue.harvest.run import harvest
from catalogue.models import Dataset, HarvestRecord

from .test_run import catalogue, counts, make_tree, run_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "data")


def states() -> dict[str, tuple]:
    return {r.source: (r.state, r.run_id, r.updated_at) for r in HarvestRecord.objects.all()}


def test_runs_finding_sources_unchanged_count_them_and_leave_their_records_alone(tree):
    first = run_once(tree)
    created = states()
    second = run_once(tree)
    third = run_once(tree)

    assert counts(second) == counts(third) == {"unchanged": 4}
    assert second.files == third.files == 6
    assert states() == created
    assert {(state, run) for state, run, _ in created.values()} == {("new", first.pk)}


def test_a_source_that_changes_after_being_unchanged_is_marked_by_the_run_that_sees_it(tree):
    run_once(tree)
    run_once(tree)
    changed = tree / "2024" / "p456" / "sky.fits"
    changed.write_bytes(changed.read_bytes())  # same content, new mtime
    later = run_once(tree)
    record = HarvestRecord.objects.get(source=str(changed))
    assert counts(later) == {"updated": 1, "unchanged": 3}
    assert (record.state, record.run_id) == ("updated", later.pk)


def test_a_skipped_file_is_counted_skipped_again_and_keeps_its_record(tree):
    with h5py.File(tree / "table.h5", "w") as f:
        f["x"] = np.arange(3)
    first = run_once(tree)
    again = run_once(tree)

    record = HarvestRecord.objects.get(source=str(tree / "table.h5"))
    assert counts(first) == {"new": 4, "skipped": 1}
    assert counts(again) == {"unchanged": 4, "skipped": 1}
    assert (record.state, record.run_id) == ("skipped", first.pk)


def test_a_folder_inside_another_root_is_walked_once(tree):
    roots = [tree, tree / "2024"]
    options = {"owner_group": "facility", "workers": 0, "previews": False}
    first = harvest(roots, **options)
    again = harvest(roots, **options)

    assert (counts(first), first.files) == ({"new": 4}, 6)
    assert (counts(again), again.files) == ({"unchanged": 4}, 6)


def test_a_new_file_in_a_folder_a_rule_groups_updates_that_folder_only(tree, tmp_path):
    mapping = tmp_path / "mapping.json"
    rule = {"pattern": "/p123/", "group_by": "directory"}
    mapping.write_text(json.dumps({"owner_group": "facility", "rules": [rule]}))
    first = run_once(tree, mapping_file=str(mapping))
    (tree / "2024" / "p123" / "log.txt").write_text("second shift")

    again = run_once(tree, mapping_file=str(mapping))

    folder = Dataset.objects.get(pid=catalogue(tree)["2024/p123"])
    assert counts(first) == {"new": 3}
    assert counts(again) == {"updated": 1, "unchanged": 2}
    assert folder.number_of_files == 4


def test_a_rule_that_starts_grouping_a_folder_retires_its_file_datasets(tree, tmp_path):
    run_once(tree)
    mapping = tmp_path / "mapping.json"
    rule = {"pattern": "/p123/", "group_by": "directory"}
    mapping.write_text(json.dumps({"owner_group": "facility", "rules": [rule]}))

    run = run_once(tree, mapping_file=str(mapping))

    retired = HarvestRecord.objects.get(source=str(tree / "2024" / "p123" / "scan2.nxs"))
    assert counts(run) == {"new": 1, "unchanged": 2, "removed": 2}
    assert retired.reason == f"its files now belong to {tree / '2024' / 'p123'} (grouping changed)"
