"""The worker pool: results as they come, and a worker that crashes costs only its own item."""

import os

from catalogue.harvest.pool import Pool


def tenfold_or_die(number: int) -> int:
    if number == 3:
        os._exit(1)  # what a segfault in a reader library does to a worker
    return number * 10


def test_a_worker_crash_fails_only_the_item_that_caused_it():
    with Pool(2) as pool:
        results = dict(pool.unordered(tenfold_or_die, range(8), lambda number: "crashed"))

    assert results == {0: 0, 1: 10, 2: 20, 3: "crashed", 4: 40, 5: 50, 6: 60, 7: 70}


def test_one_worker_means_no_processes_at_all():
    with Pool(1) as pool:
        results = list(pool.unordered(lambda n: (n, os.getpid()), range(3), None))

    assert [result for _, result in results] == [(n, os.getpid()) for n in range(3)]
