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
