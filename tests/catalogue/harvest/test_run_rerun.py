"""Re-runs over unchanged trees: every source counted, records written only when they change."""

import pytest

from catalogue.models import HarvestRecord

from .test_run import counts, make_tree, run_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "data")


def states() -> dict[str, tuple]:
    return {r.source: (r.state, r.run_id, r.updated_at) for r in HarvestRecord.objects.all()}


def test_the_first_run_finding_a_source_unchanged_marks_it_and_later_ones_leave_it(tree):
    first = run_once(tree)
    second = run_once(tree)
    marked = states()
    third = run_once(tree)

    assert counts(second) == counts(third) == {"unchanged": 4}
    assert {state for state, _, _ in marked.values()} == {"unchanged"}
    assert {run for _, run, _ in marked.values()} == {second.pk}
    assert states() == marked  # not rewritten by the third run
    assert first.pk < second.pk < third.pk


def test_a_source_that_changes_after_being_unchanged_is_marked_by_the_run_that_sees_it(tree):
    run_once(tree)
    run_once(tree)
    changed = tree / "2024" / "p456" / "sky.fits"
    changed.write_bytes(changed.read_bytes())  # same content, new mtime
    later = run_once(tree)
    record = HarvestRecord.objects.get(source=str(changed))
    assert counts(later) == {"updated": 1, "unchanged": 3}
    assert (record.state, record.run_id) == ("updated", later.pk)
