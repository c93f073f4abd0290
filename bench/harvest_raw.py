"""The raw limit and the CPU accounting of bench/harvest.py. The raw limit is what any reader
of the bench's files must do and nothing more (a plain h5py walk reading every attribute and
small value of a NeXus file, astropy parsing every FITS header card), timed in this process or
in the harvest's own pool as the harvest is, and a bare os.scandir + stat walk for the re-runs.
CPU time counts this process, its PostgreSQL backend and every descendant (pool workers, the
fork server, read from /proc), and each parallel run starts a fresh fork server inside its time.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path


def raw_read(path: str) -> int:
    """What any reader must do, and nothing more: for NeXus, a plain walk with h5py's low-level
    API (the fastest h5py offers) reading every attribute and every small value; for FITS,
    astropy parsing every header card. Returns the number of values read."""
    if not path.endswith(".nxs"):
        from astropy.io import fits

        with fits.open(path, lazy_load_hdus=True, memmap=False) as hdul:
            return sum(len([card.value for card in hdu.header.cards]) for hdu in hdul)
    import h5py
    import numpy as np
    from h5py import h5a, h5d, h5l, h5o, h5s, h5t

    values = []

    def read_attributes(oid):
        for index in range(h5a.get_num_attrs(oid)):
            aid = h5a.open(oid, index=index)
            value = np.zeros(aid.shape, dtype=aid.dtype)
            aid.read(value, mtype=h5t.py_create(aid.dtype))
            values.append(value)

    def visit(name, info):
        if info.type == h5l.TYPE_HARD:
            oid = h5o.open(f.id, name)
            read_attributes(oid)
            small = isinstance(oid, h5d.DatasetID) and oid.shape is not None
            if small and int(np.prod(oid.shape)) <= 1000:
                value = np.zeros(oid.shape, dtype=oid.dtype)
                oid.read(h5s.ALL, h5s.ALL, value, mtype=h5t.py_create(oid.dtype))
                values.append(value)

    with h5py.File(path, "r", locking=False) as f:
        read_attributes(f.id)
        f.id.links.visit(visit, info=True)
    return len(values)


def raw_chunk(paths: list[str]) -> int:
    return sum(raw_read(path) for path in paths)


def warm_process() -> None:
    """What the harvest's first file and first write do once a process, done before timing, as
    raw_limit(paths[:50], 1) does for the raw read: import its extractors (h5py and astropy
    with them) and build the unit registry (pint, about 0.3 s): one-offs of the process, not
    costs of each file."""
    import catalogue.harvest.fits
    import catalogue.harvest.nexus  # noqa: F401
    from catalogue.units import annotate_quantities

    annotate_quantities({"length": {"value": 1, "unit": "mm"}})


def cpu_seconds() -> float:
    """CPU time of this process plus, on PostgreSQL, of its server backend (read from /proc):
    what a one-process run costs, whatever else the machine is doing."""
    from django.db import connection

    total = time.process_time()
    if connection.vendor == "postgresql" and connection.connection is not None:
        total += proc_cpu(connection.connection.info.backend_pid)
    return total


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text()
        utime, stime = fields.rsplit(")", 1)[1].split()[11:13]
    except (OSError, ValueError, IndexError):
        return 0.0
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


class ChildrenCPU:
    """CPU seconds of this process's descendants (pool workers, a fork server) while the block
    runs: /proc polled every POLL seconds from a thread, each process's last figure kept (a
    worker that exits between two polls loses at most its idle last POLL). Minus what those
    running at the start (a fork server kept from before) had already used."""

    POLL = 0.1

    def __enter__(self) -> ChildrenCPU:
        import threading

        self.start = {pid: proc_cpu(pid) for pid in descendants(os.getpid())}
        self.last: dict[int, float] = dict(self.start)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()
        return self

    def _poll(self) -> None:
        while not self.stop.wait(self.POLL):
            self._sample()

    def _sample(self) -> None:
        for pid in descendants(os.getpid()):
            self.last[pid] = max(self.last.get(pid, 0.0), proc_cpu(pid))

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self._sample()
        self.seconds = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


def fresh_pool_server() -> None:
    """Stops the harvest pool's fork server, if one runs, so that the next parallel run starts
    it again inside its time: a pool's start-up is charged to each parallel run, the raw
    limit's and the harvest's alike, as to a harvest run in a process of its own."""
    from multiprocessing import forkserver

    # Private, but the only way to stop it in this process; a Python without it keeps one
    # server for the whole bench (started by the first parallel run, raw or harvest).
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is None:
        _pool_start_not_charged()
    else:
        stop()


@functools.cache
def _pool_start_not_charged() -> None:
    print(
        "note: this Python's multiprocessing cannot stop the fork server: the pool's start-up"
        " is not charged to each parallel run, only to the first"
    )


# The raw read's workers import what it needs, as the harvest's import what the harvest needs.
RAW_PRELOAD = ("h5py", "astropy.io.fits")


def raw_limit(paths: list[str], processes: int) -> tuple[float, float]:
    """(wall, CPU) seconds to read `paths` raw, in this process or in the harvest's own pool
    (catalogue.harvest.pool: the same start method, its fork server importing the raw read's
    modules, started inside the time as the harvest's; as many files per call as its
    extraction; closed the same way). The CPU of a parallel run counts this process and every
    worker (and the fork server)."""
    from catalogue.harvest.pool import Pool
    from catalogue.harvest.stages import EXTRACT_CHUNK

    if processes <= 1:
        started, cpu = time.perf_counter(), time.process_time()
        raw_chunk(paths)
        return time.perf_counter() - started, time.process_time() - cpu
    fresh_pool_server()
    chunks = [paths[i : i + EXTRACT_CHUNK] for i in range(0, len(paths), EXTRACT_CHUNK)]
    with ChildrenCPU() as children:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            pool = Pool(processes, preload=RAW_PRELOAD)
        except TypeError:  # the pool of the code before the fork server (spawn, no preload)
            pool = Pool(processes)
        with pool:
            for _ in pool.unordered(raw_chunk, chunks, None):
                pass
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return seconds, cpu + children.seconds


def bare_walk(root: Path) -> tuple[float, int, float]:
    """Seconds for os.scandir + one stat per file over the tree, the files seen, CPU seconds."""
    started, cpu, files, stack = time.perf_counter(), time.process_time(), 0, [str(root)]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for item in listing:
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                else:
                    item.stat()
                    files += 1
    return time.perf_counter() - started, files, time.process_time() - cpu
