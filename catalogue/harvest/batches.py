"""Batches of harvest writes: one transaction per batch, the cyclic collector paused."""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager

from django.db import transaction

FLUSH_SECONDS = 1.0  # a batch is committed at least this often


@contextmanager
def paused_gc():
    """The cyclic garbage collector off for the block (as dataset_bulk_create does): it runs
    every few hundred allocations and walks every live object, most of the planning time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Batch:
    """Writes collected in one transaction: committed every `size` items or FLUSH_SECONDS.

    Items are callables, run in turn, or whatever `write_all` takes as one list.
    """

    def __init__(self, size: int, write_all=None):
        self.size, self.items, self.seconds = size, [], 0.0
        self.write_all = write_all or _call_each
        self.since = time.monotonic()

    def add(self, item) -> None:
        self.items.append(item)
        if len(self.items) >= self.size or time.monotonic() - self.since > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        started = time.perf_counter()
        if self.items:
            with paused_gc(), transaction.atomic():
                self.write_all(self.items)
        self.items = []
        self.since = time.monotonic()
        self.seconds += time.perf_counter() - started


def _call_each(writes: list) -> None:
    for write in writes:
        write()
