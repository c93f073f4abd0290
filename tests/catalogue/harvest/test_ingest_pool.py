"""The worker pool: results as they come, and a worker that crashes costs only its own item."""

import os
import sys

import pytest

from catalogue.harvest.pool import PRELOAD, Pool


def tenfold_or_die(number: int) -> int:
    if number == 3:
        os._exit(1)  # what a segfault in a reader library does to a worker
    return number * 10


def test_a_worker_crash_fails_only_the_item_that_caused_it():
    with Pool(2) as pool:
        results = dict(pool.unordered(tenfold_or_die, range(8), lambda number: "crashed"))

    assert results == {0: 0, 1: 10, 2: 20, 3: "crashed", 4: 40, 5: 50, 6: 60, 7: 70}


def tenfold_each_or_die(numbers: list[int]) -> list[int]:
    return [tenfold_or_die(number) for number in numbers]


def test_a_crash_in_a_chunk_fails_only_the_item_that_caused_it():
    with Pool(2) as pool:
        calls = tenfold_each_or_die, tenfold_or_die
        results = dict(pool.chunked(*calls, list(range(20)), 4, lambda number: "crashed"))

    assert results == {n: "crashed" if n == 3 else n * 10 for n in range(20)}


def test_one_worker_means_no_processes_at_all():
    with Pool(1) as pool:
        results = list(pool.unordered(lambda n: (n, os.getpid()), range(3), None))

    assert [result for _, result in results] == [(n, os.getpid()) for n in range(3)]


def test_calls_are_queued_for_the_workers_while_the_caller_holds_a_result():
    # Imported here: the workers import this module, without Django set up.
    from catalogue.harvest.run import BATCH_SIZE
    from catalogue.harvest.stages import EXTRACT_CHUNK

    taken = []

    def items():
        for number in range(1000):
            taken.append(number)
            yield number

    with Pool(2) as pool:
        results = pool.unordered(abs, items(), None)
        first = next(results)
        # The harvest writes a batch of sources while the workers go on with those queued.
        assert len(taken) == pool.window
        assert pool.window * EXTRACT_CHUNK >= BATCH_SIZE
        rest = list(results)

    assert sorted([first, *rest]) == [(n, n) for n in range(1000)]


# --- the fork server ---------------------------------------------------------------------------


def database_handles(database: str) -> list[str]:
    """This process's open files that are the database: the SQLite file (and its -wal/-shm), or
    a TCP connection to a PostgreSQL port."""
    postgres = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == 5432:
                    postgres.add(f"socket:[{fields[9]}]")
    handles = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target in postgres or (database.startswith("/") and target.startswith(database)):
            handles.append(target)
    return handles


def worker_state(database: str) -> dict:
    return {
        "handles": database_handles(database),
        "django": sorted(name for name in sys.modules if name.split(".")[0] == "django"),
        "preloaded": [name for name in PRELOAD if name in sys.modules],
        "parent": os.getppid(),
    }


@pytest.mark.django_db
def test_workers_hold_no_database_connection_of_the_parent():
    from django.db import connection

    connection.ensure_connection()
    database = str(connection.settings_dict["NAME"])
    assert database_handles(database), "the test needs the parent to hold a connection"

    with Pool(2) as pool:
        states = [state for _, state in pool.unordered(worker_state, [database] * 4, None)]

    assert all(state["handles"] == [] for state in states)
    assert all(state["django"] == [] for state in states)


def test_workers_are_forked_from_a_server_that_preloaded_the_readers():
    with Pool(2) as pool:
        states = [state for _, state in pool.unordered(worker_state, ["-"] * 4, None)]

    # A module name the server cannot import is skipped silently: each must be there.
    assert all(state["preloaded"] == list(PRELOAD) for state in states)
    assert all(state["parent"] != os.getpid() for state in states)


def test_the_pool_goes_on_after_a_crash_with_workers_from_the_server():
    with Pool(2) as pool:
        first = dict(pool.unordered(tenfold_or_die, [3, 4], lambda number: "crashed"))
        again = dict(pool.unordered(worker_state, ["-"], None))

    assert first == {3: "crashed", 4: 40}
    assert again["-"]["preloaded"] == list(PRELOAD)
