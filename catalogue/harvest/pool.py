"""A process pool for the harvest's extraction work that survives a crashing reader library.

Workers are started with "spawn": they inherit no database connection and no HDF5 state from
the Django parent, and import only the pure harvest modules. ``workers <= 1`` runs everything in
the calling process (tests, debugging, tiny trees). When a worker dies (a segfault in a reader
on a malformed file kills the whole ProcessPoolExecutor), the jobs that were in flight are run
again one at a time in a fresh pool, so the job that kills a worker is found and reported as
failed, and the others complete.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

TASKS_PER_CHILD = 2000  # a worker is replaced after this many calls (readers can leak)
CRASHED = "the worker process died while reading this (a crash in a reader library?)"


def default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 2) - 1))


class Pool:
    """``unordered(fn, items, on_crash)`` yields (item, result) as results arrive.

    At most ``window`` calls are in flight, so a million items never sit in memory as futures.
    ``on_crash(item)`` gives the result for an item whose call kills a worker by itself.
    """

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self.window = self.workers * 4
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                max_tasks_per_child=TASKS_PER_CHILD,
            )
        return self._executor

    def unordered(self, fn: Callable, items: Iterable, on_crash: Callable) -> Iterator[tuple]:
        if self.workers <= 1:
            for item in items:
                yield item, fn(item)
            return
        pending: dict[Future, object] = {}
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                    break
                pending[self._pool().submit(fn, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                item = pending.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool:
                    broken.append(item)
            if broken:
                # Every call in flight fails with the pool; rerun each alone to find the culprit.
                broken += list(pending.values())
                pending.clear()
                self._restart()
                for item in broken:
                    yield item, self._alone(fn, item, on_crash)

    def _alone(self, fn: Callable, item, on_crash: Callable):
        try:
            return self._pool().submit(fn, item).result()
        except BrokenProcessPool:
            self._restart()
            return on_crash(item)

    def _restart(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_END = object()
