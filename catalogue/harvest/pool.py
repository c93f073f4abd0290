"""A process pool for the harvest's extraction work that survives a crashing reader library.

Workers are forked from a fork server ("forkserver"; "spawn" where there is none): a fresh
interpreter started by this process that imports only the pure harvest modules and the readers
(PRELOAD), nothing of Django. So a worker inherits no database connection and no HDF5 state
from the Django parent, and the imports are paid once, by the server, not by every worker. The
server starts with the first job (a re-run that finds nothing new starts none: its imports
would cost more than the whole re-run). ``workers <= 1`` runs everything in the calling
process (tests, debugging, tiny trees).
When a worker dies (a segfault in a reader on a malformed file kills the whole
ProcessPoolExecutor), the jobs that were in flight are run again one at a time in a fresh pool,
so the job that kills a worker is found and reported as failed, and the others complete.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

TASKS_PER_CHILD = 2000  # a worker is replaced after this many calls (readers can leak)
# Calls queued per worker. The harvest writes the results in batches (200 sources, 8 to a call)
# while the workers go on: the queue must outlast a batch's write, or they stand idle meanwhile.
IN_FLIGHT_PER_WORKER = 16
CRASHED = "the worker process died while reading this (a crash in a reader library?)"
# What every worker needs: under "spawn" each worker imported it (about 0.4 s of CPU a worker),
# now the fork server does, once. Pure modules only: the server holds no Django, no connection.
PRELOAD = (
    "catalogue.harvest.ingest",
    "catalogue.harvest.nexus",
    "catalogue.harvest.fits",
    "catalogue.harvest.checksums",
    "astropy.io.fits",
)


def context(preload=PRELOAD) -> multiprocessing.context.BaseContext:
    """The harvest's start method: a fork server importing `preload`, else "spawn". (One
    server a process: one started already keeps what it imported.)"""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return ctx


def default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 2) - 1))


class Pool:
    """``unordered(fn, items, on_crash)`` yields (item, result) as results arrive.

    At most ``window`` calls are in flight, so a million items never sit in memory as futures,
    and enough that the workers keep busy while the caller is busy with the results.
    ``on_crash(item)`` gives the result for an item whose call kills a worker by itself.
    ``preload``: the modules the workers need, imported by the fork server.
    """

    def __init__(self, workers: int, preload=PRELOAD):
        self.workers = max(1, workers)
        self.window = self.workers * IN_FLIGHT_PER_WORKER
        self._executor: ProcessPoolExecutor | None = None
        self._context = context(preload) if self.workers > 1 else None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            # Not waiting for the workers to exit (about 0.1 s): nothing is left for them to do.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                max_tasks_per_child=TASKS_PER_CHILD,
            )
        return self._executor

    def unordered(self, fn: Callable, items: Iterable, on_crash: Callable) -> Iterator[tuple]:
        if self.workers <= 1:
            for item in items:
                yield item, fn(item)
            return
        pending: dict[Future, object] = {}
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                    break
                future = self._pool().submit(fn, item)
                pending[future] = item
                future.add_done_callback(finished.put)
            if not pending:
                return
            # Each result as it comes: wait() on the futures would walk all of them each time.
            future = finished.get()
            item = pending.pop(future, _END)
            if item is _END:
                continue  # a call of a pool that broke: its item was run again below
            try:
                result = future.result()
            except BrokenProcessPool:
                # Every call in flight fails with the pool; rerun each alone to find the culprit.
                broken = [item, *pending.values()]
                pending.clear()
                self._restart()
                for item in broken:
                    yield item, self._alone(fn, item, on_crash)
                continue
            yield item, result

    def chunked(
        self, fn_many: Callable, fn: Callable, items: list, size: int, on_crash: Callable
    ) -> Iterator[tuple]:
        """unordered(fn, items, on_crash), `size` items to a call of fn_many (fn of each item):
        fewer calls, less traffic between the processes. A chunk whose call kills a worker is
        run again item by item, so that only the item that does gets on_crash."""
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        again = []
        for chunk, results in self.unordered(fn_many, chunks, lambda _: None):
            if results is None:
                again += chunk
            else:
                yield from zip(chunk, results, strict=True)
        yield from self.unordered(fn, again, on_crash)

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
