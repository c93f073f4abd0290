"""File lists: origdatablock/datablock services, the dataset's counters, and the file readers."""

import gc
import resource
import tracemalloc
import weakref
from datetime import UTC, datetime
from itertools import islice, pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalogue.models import Datablock, DataFile, Dataset, HistoryEntry, OrigDatablock
from catalogue.selectors import (
    datafiles_iter,
    datafiles_page,
    dataset_get,
    dataset_history,
)
from catalogue.services import (
    datablock_add,
    datablock_delete,
    dataset_recount,
    origdatablock_add,
    origdatablock_delete,
)
from tests.factories import make_dataset, make_user

MB = 1024 * 1024


def files(count, *, start=0, size=100):
    """A generator of dataFileList entries, as a streaming API parser would yield them."""
    for number in range(start, start + count):
        yield {
            "path": f"raw/scan_{number:06d}.h5",
            "size": size,
            "time": "2026-01-15 10:00:00.123456",
            "chk": "d41d8cd98f00b204e9800998ecf8427e",
            "perm": "-rw-r--r--",
        }


def reload(dataset):
    return Dataset.objects.get(pk=dataset.pk)


@pytest.fixture
def dataset(db):
    return make_dataset(access_groups=["p-readers"], instrument_group="i-tomcat", size=10)


@pytest.fixture
def deleter(db, settings):
    settings.DELETE_GROUPS = ["deleters"]
    return make_user("dora", "deleters")


# --- origdatablock_add ---------------------------------------------------------------------------


def test_adding_files_grows_the_block_and_the_dataset(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(3, size=100))

    assert (block.size, block.number_of_files) == (300, 3)
    assert DataFile.objects.filter(origdatablock=block).count() == 3
    stored = reload(dataset)
    assert (stored.size, stored.number_of_files) == (310, 3)
    assert (dataset.size, dataset.number_of_files) == (310, 3)  # the caller's copy follows


def test_adding_files_records_counters_before_and_after_in_the_history(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(2, size=5))

    entry = HistoryEntry.objects.filter(document_id=dataset.pid, operation="update").get()
    assert entry.before == {"size": 10, "number_of_files": 0}
    assert entry.after == {"size": 20, "number_of_files": 2}
    assert entry.user == "olivia"


def test_declared_block_size_is_used_instead_of_the_sum_of_file_sizes(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(2, size=5), size=1000)

    assert block.size == 1000
    assert reload(dataset).size == 1010


def test_block_copies_ownership_from_its_dataset(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(1))

    block.refresh_from_db()
    assert block.owner_group == "p-owner"
    assert block.access_groups == ["p-readers"]
    assert block.instrument_group == "i-tomcat"
    assert block.is_published is False


def test_adds_from_stale_copies_of_a_dataset_do_not_lose_updates(owner, dataset):
    first_copy, second_copy = reload(dataset), reload(dataset)

    origdatablock_add(user=owner, dataset=first_copy, files=files(2, size=100))
    origdatablock_add(user=owner, dataset=second_copy, files=files(3, size=100))

    stored = reload(dataset)
    assert (stored.size, stored.number_of_files) == (510, 5)


def test_integer_chk_alg_is_stored_as_a_string(owner, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(1), chk_alg=5)

    block.refresh_from_db()
    assert block.chk_alg == "5"


def test_file_without_time_is_accepted_and_numeric_owner_ids_become_text(owner, dataset):
    entry = {"path": "a.h5", "size": 1, "uid": 1000, "gid": 100, "perm": 420}

    block = origdatablock_add(user=owner, dataset=dataset, files=[entry])

    stored = DataFile.objects.get(origdatablock=block)
    assert stored.time is None
    assert (stored.uid, stored.gid, stored.perm) == ("1000", "100", "420")


def test_naive_file_time_is_read_in_the_server_time_zone(owner, dataset, settings):
    settings.SERVER_TIME_ZONE = "Europe/Zurich"
    entry = {"path": "a.h5", "size": 1, "time": "2026-01-15 10:00:00.123456"}

    block = origdatablock_add(user=owner, dataset=dataset, files=[entry])

    stored = DataFile.objects.get(origdatablock=block)
    assert stored.time == datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)


def test_empty_file_list_is_refused(owner, dataset):
    with pytest.raises(InvalidInput, match="must not be empty"):
        origdatablock_add(user=owner, dataset=dataset, files=[])

    assert not OrigDatablock.objects.exists()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"size": 1}, "path"),
        ({"path": "", "size": 1}, "path"),
        ({"path": "   ", "size": 1}, "path"),
        ({"path": "a\x00b", "size": 1}, "NUL"),
        ({"path": "a"}, "size is required"),
        ({"path": "a", "size": -1}, "size"),
        ({"path": "a", "size": "12"}, "size"),
        ({"path": "a", "size": True}, "size"),
        ({"path": "a", "size": 1, "time": "last tuesday"}, "time"),
        ({"path": "a", "size": 1, "chk": "x" * 300}, "chk"),
        ({"path": "a", "size": 1, "color": "red"}, "unknown fields: color"),
        ("a.h5", "must be an object"),
    ],
)
def test_bad_file_is_refused_naming_its_index_and_problem(owner, dataset, entry, problem):
    good = {"path": "ok.h5", "size": 1}

    with pytest.raises(InvalidInput) as raised:
        origdatablock_add(user=owner, dataset=dataset, files=[good, entry])

    assert "dataFileList[1]" in raised.value.message
    assert problem in raised.value.message


def test_bad_file_in_the_middle_of_a_long_list_writes_nothing(owner, dataset):
    def with_bad_entry():
        yield from files(7000)
        yield {"path": "broken.h5", "size": -5}
        yield from files(5000, start=7001)

    with pytest.raises(InvalidInput, match=r"dataFileList\[7000\]\.size"):
        origdatablock_add(user=owner, dataset=dataset, files=with_bad_entry())

    assert not DataFile.objects.exists()  # the first batch of 5,000 was rolled back too
    assert not OrigDatablock.objects.exists()
    assert (reload(dataset).size, reload(dataset).number_of_files) == (10, 0)
    assert not HistoryEntry.objects.filter(document_id=dataset.pid, operation="update").exists()


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_only_owner_or_admin_may_add_files(request, dataset, persona):
    user = request.getfixturevalue(persona)

    with pytest.raises(PermissionDenied, match="Unauthorized to update this dataset"):
        origdatablock_add(user=user, dataset=dataset, files=files(1))

    assert not DataFile.objects.exists()


def test_admin_may_add_files_to_any_dataset(admin, dataset):
    origdatablock_add(user=admin, dataset=dataset, files=files(1))

    assert reload(dataset).number_of_files == 1


# --- origdatablock_delete ------------------------------------------------------------------------


def test_deleting_a_block_reverses_the_counters_and_removes_its_files(owner, deleter, dataset):
    kept = origdatablock_add(user=owner, dataset=dataset, files=files(2, size=7))
    doomed = origdatablock_add(user=owner, dataset=dataset, files=files(3, size=100))

    last_state = origdatablock_delete(user=deleter, block=doomed)

    assert last_state["number_of_files"] == 3
    stored = reload(dataset)
    assert (stored.size, stored.number_of_files) == (24, 2)
    assert set(DataFile.objects.values_list("origdatablock", flat=True)) == {kept.pk}
    entry = HistoryEntry.objects.filter(document_id=dataset.pid, operation="update").first()
    assert entry.before == {"size": 324, "number_of_files": 5}
    assert entry.after == {"size": 24, "number_of_files": 2}
    assert HistoryEntry.objects.filter(document_id=str(doomed.pk), operation="delete").exists()


def test_owner_and_admin_may_not_delete_a_block(owner, admin, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(1))

    for user in (owner, admin):
        with pytest.raises(PermissionDenied):
            origdatablock_delete(user=user, block=block)

    assert OrigDatablock.objects.filter(pk=block.pk).exists()


def test_deleting_a_block_twice_subtracts_once(owner, deleter, dataset):
    block = origdatablock_add(user=owner, dataset=dataset, files=files(2, size=5))
    stale_copy = OrigDatablock.objects.get(pk=block.pk)
    origdatablock_delete(user=deleter, block=block)

    with pytest.raises(NotFound):
        origdatablock_delete(user=deleter, block=stale_copy)

    assert (reload(dataset).size, reload(dataset).number_of_files) == (10, 0)


# --- datablocks ----------------------------------------------------------------------------------


def test_datablock_counts_as_archived_not_as_original_files(owner, dataset):
    block = datablock_add(
        user=owner,
        dataset=dataset,
        archive_id="tape-0001",
        version="1.0",
        files=files(4, size=10),
        packed_size=25,
        chk_alg=1,
    )

    assert (block.size, block.number_of_files, block.chk_alg) == (40, 4, "1")
    stored = reload(dataset)
    assert (stored.packed_size, stored.number_of_files_archived) == (25, 4)
    assert (stored.size, stored.number_of_files) == (10, 0)
    page, _ = datafiles_page(user=owner, dataset=dataset)
    assert page == []  # archive contents are not the dataset's file list


def test_duplicate_archive_id_is_a_conflict_and_writes_nothing(owner, dataset):
    datablock_add(user=owner, dataset=dataset, archive_id="tape-1", version="1", files=files(1))

    with pytest.raises(Conflict):
        datablock_add(user=owner, dataset=dataset, archive_id="tape-1", version="1", files=files(2))

    assert Datablock.objects.count() == 1
    assert DataFile.objects.count() == 1
    assert reload(dataset).number_of_files_archived == 1


def test_datablock_needs_an_archive_id_and_a_version(owner, dataset):
    with pytest.raises(InvalidInput, match="archiveId"):
        datablock_add(user=owner, dataset=dataset, archive_id="", version="1", files=files(1))
    with pytest.raises(InvalidInput, match="version"):
        datablock_add(user=owner, dataset=dataset, archive_id="t", version=" ", files=files(1))


def test_deleting_a_datablock_reverses_the_archive_counters(owner, deleter, dataset):
    block = datablock_add(
        user=owner, dataset=dataset, archive_id="t-9", version="1", files=files(3), packed_size=9
    )

    datablock_delete(user=deleter, block=block)

    stored = reload(dataset)
    assert (stored.packed_size, stored.number_of_files_archived) == (0, 0)
    assert not DataFile.objects.exists()


# --- dataset_recount -----------------------------------------------------------------------------


def test_recount_repairs_counters_from_the_files(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(3, size=10), size=999)
    Dataset.objects.filter(pk=dataset.pk).update(size=1, number_of_files=42)

    repaired = dataset_recount(dataset_id=dataset.pk)

    assert (repaired.size, repaired.number_of_files) == (30, 3)
    assert (reload(dataset).size, reload(dataset).number_of_files) == (30, 3)
    entry = HistoryEntry.objects.filter(document_id=dataset.pid).first()
    assert (entry.before, entry.after, entry.user) == (
        {"size": 1, "number_of_files": 42},
        {"size": 30, "number_of_files": 3},
        "system",
    )


def test_recount_of_consistent_counters_records_nothing(owner):
    dataset = make_dataset()
    origdatablock_add(user=owner, dataset=dataset, files=files(2, size=10))
    entries = HistoryEntry.objects.count()

    dataset_recount(dataset_id=dataset.pk)

    assert HistoryEntry.objects.count() == entries


def test_recount_of_a_missing_dataset_is_not_found(db):
    with pytest.raises(NotFound):
        dataset_recount(dataset_id=987654)


# --- readers -------------------------------------------------------------------------------------


def test_missing_dataset_is_not_found_before_access_is_checked(outsider, dataset):
    with pytest.raises(NotFound, match="dataset: nope not found"):
        dataset_get(user=outsider, pid="nope")
    with pytest.raises(PermissionDenied, match="Unauthorized access"):
        dataset_get(user=outsider, pid=dataset.pid)


def test_member_reads_pages_and_outsider_is_refused(owner, member, outsider, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(3))

    page, cursor = datafiles_page(user=member, dataset=dataset)
    assert [f.path for f in page] == [f"raw/scan_{n:06d}.h5" for n in range(3)]
    assert cursor is None
    with pytest.raises(PermissionDenied):
        datafiles_page(user=outsider, dataset=dataset)
    with pytest.raises(PermissionDenied):
        datafiles_iter(user=outsider, dataset=dataset)  # refused at the call, not at next()
    with pytest.raises(PermissionDenied):
        dataset_history(user=outsider, dataset=dataset)


def test_pages_follow_the_cursor_to_the_end(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(25))

    sizes, cursor, seen = [], None, []
    while True:
        page, cursor = datafiles_page(user=owner, dataset=dataset, after_id=cursor, limit=10)
        sizes.append(len(page))
        seen += [f.path for f in page]
        if cursor is None:
            break

    assert sizes == [10, 10, 5]
    assert seen == [f"raw/scan_{n:06d}.h5" for n in range(25)]


def test_full_last_page_has_no_next_cursor(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(20))

    _, cursor = datafiles_page(user=owner, dataset=dataset, limit=10)
    page, cursor = datafiles_page(user=owner, dataset=dataset, after_id=cursor, limit=10)

    assert (len(page), cursor) == (10, None)


def test_pages_of_one_block_list_only_its_files(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(2))
    second = origdatablock_add(user=owner, dataset=dataset, files=files(3, start=100))
    other = origdatablock_add(user=owner, dataset=make_dataset(), files=files(1))

    page, _ = datafiles_page(user=owner, dataset=dataset, origdatablock=second)

    assert {f.origdatablock_id for f in page} == {second.pk}
    assert len(page) == 3
    with pytest.raises(NotFound):
        datafiles_page(user=owner, dataset=dataset, origdatablock=other)
    with pytest.raises(NotFound):
        datafiles_page(user=owner, dataset=dataset, origdatablock="not-a-uuid")


@pytest.mark.parametrize("limit", [0, -1, "10", None])
def test_page_limit_must_be_a_positive_integer(owner, dataset, limit):
    with pytest.raises(InvalidInput, match="limit"):
        datafiles_page(user=owner, dataset=dataset, limit=limit)


def test_iterator_yields_every_file_once_in_order_across_chunks(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(1001))

    paths = [f.path for f in datafiles_iter(user=owner, dataset=dataset, chunk=100)]

    assert paths == [f"raw/scan_{n:06d}.h5" for n in range(1001)]


def test_iterator_reads_one_chunk_at_a_time_and_lets_earlier_chunks_go(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(350))
    iterator = datafiles_iter(user=owner, dataset=dataset, chunk=100)

    with CaptureQueriesContext(connection) as queries:
        first = weakref.ref(next(iterator))
    assert len(queries) == 1
    assert "LIMIT 101" in queries[0]["sql"]
    rest = list(islice(iterator, 200))
    gc.collect()
    assert first() is None  # the first chunk is not kept alive by the iterator
    assert len(rest) == 200


def test_history_is_newest_first(owner, dataset):
    origdatablock_add(user=owner, dataset=dataset, files=files(1))
    origdatablock_add(user=owner, dataset=dataset, files=files(1))

    entries = list(dataset_history(user=owner, dataset=dataset))

    assert [e.operation for e in entries] == ["update", "update", "create"]
    assert [e.after.get("number_of_files") for e in entries[:2]] == [2, 1]


# --- 200,000 files -------------------------------------------------------------------------------

# Holding 200,000 file dicts like these takes ~52 MB of traced memory, and a page of 10,000
# DataFile instances ~21 MB; streaming stays far below the first, and pages far below a whole list.
BIG = 200_000


def traced_peak(read):
    """(result of read(), peak bytes traced while it ran)."""
    tracemalloc.start()
    try:
        return read(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def max_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


@pytest.mark.slow
def test_200000_files_stream_in_and_page_out_in_bounded_memory(owner):
    dataset = make_dataset()

    block, add_peak = traced_peak(
        lambda: origdatablock_add(user=owner, dataset=dataset, files=files(BIG))
    )

    # The full pass runs untraced (tracing 200,000 model instances costs ~20 s); the process's
    # high-water mark covers it, and single pages are traced below.
    rss_before = max_rss()
    count, last_id, cursor, sizes = 0, 0, None, set()
    while True:
        # Asks for more than allowed: the cap of 10,000 per page applies.
        page, cursor = datafiles_page(user=owner, dataset=dataset, after_id=cursor, limit=50_000)
        ids = [f.id for f in page]
        assert ids[0] > last_id  # ascending across pages: no duplicates, no rewinds
        assert all(a < b for a, b in pairwise(ids))
        assert page[0].path == f"raw/scan_{count:06d}.h5"
        count, last_id = count + len(page), ids[-1]
        sizes.add(len(page))
        del page, ids
        if cursor is None:
            break
    rss_growth = max_rss() - rss_before

    _, page_peak = traced_peak(lambda: datafiles_page(user=owner, dataset=dataset, limit=10_000))
    # Past the first chunk of 5,000: an iterator that read everything up front would show here.
    head, iter_peak = traced_peak(
        lambda: sum(1 for _ in islice(datafiles_iter(user=owner, dataset=dataset), 6_000))
    )

    assert (block.number_of_files, reload(dataset).number_of_files) == (BIG, BIG)
    assert (count, sizes, head) == (BIG, {10_000}, 6_000)
    assert add_peak < 20 * MB
    assert rss_growth < 50 * MB
    assert page_peak < 50 * MB
    assert iter_peak < 50 * MB
