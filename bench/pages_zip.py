"""The zip part of bench/pages.py: a zip of a 2 GB dataset against what bounds it, same run.

For a cold page cache (the files evicted first) and a warm one, each round times, in this order:

- bare read: the files read 1 MiB at a time, no zip, no server (the goal's reference);
- zip in-process: the download view called directly and its streaming response iterated, as the
  WSGI server would, without a socket (what the zip itself costs: reads, CRC-32, framing);
- zip over HTTP, first: the same view through gunicorn on loopback (what a user gets), with no
  CRC-32 recorded for the files (deleted just before): the server reads every file;
- zip over HTTP: the same again, with the CRCs the first one recorded: the server sends the files
  with sendfile without reading them (portal/downloads/sendfile.py);
- one file over HTTP: a single file as large as the zip from the same server (the file view, no
  zip, sent with sendfile too): the transport's own limit, which the bare read does not pay;
- bare socket: the zip's files sent with sendfile over a plain loopback TCP connection (no HTTP,
  no server, no zip; sender and reader threads of this process): what the kernel's loopback
  itself carries, the raw limit of any download on this machine.

The HTTP client reads into one reused buffer so that it costs as little as it can. Wall-clock
MB/s depend on the machine's load; CPU seconds per GB (the server worker's for HTTP, this
process's otherwise) do much less. The server worker's peak RSS during each zip is the kernel's
high-water mark (VmHWM, reset just before), so no spike between two samples is missed.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
import urllib.parse
from pathlib import Path

CHUNK = 1 << 20
KINDS = ("bare", "socket", "inproc", "http_zip_first", "http_zip", "http_file")
LABELS = {
    "bare": "bare read of the files",
    "socket": "bare socket (loopback TCP)",
    "inproc": "zip in-process (no socket)",
    "http_zip_first": "zip over HTTP, first",
    "http_zip": "zip over HTTP, CRCs known",
    "http_file": "one file over HTTP",
}


# --- /proc -----------------------------------------------------------------------------------


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (the engine's too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    return _status_mb(pid, "VmRSS:")


class PeakRss:
    """The peak RSS of `pid` over a block: the kernel's high-water mark, reset on entry (5 >
    clear_refs), else (where that is refused) the largest of samples taken every 20 ms."""

    def __init__(self, pid: int):
        self.pid, self.samples, self.sampler = pid, [], None

    def __enter__(self):
        self.before = rss_mb(self.pid)
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            self.sampler = threading.Thread(target=self._sample, daemon=True)
            self.sampler.start()
        return self

    def _sample(self):
        while self.sampler is not None:
            self.samples.append(rss_mb(self.pid))
            time.sleep(0.02)

    def __exit__(self, *exc):
        if self.sampler is None:
            self.peak = _status_mb(self.pid, "VmHWM:")
        else:
            sampler, self.sampler = self.sampler, None
            sampler.join()
            self.peak = max([self.before, *self.samples])
        self.after = rss_mb(self.pid)


# --- Setup -----------------------------------------------------------------------------------


def make_files(folder: Path, total: int, count: int) -> list[tuple[str, int]]:
    """`count` files of random bytes adding up to `total` (kept when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(4 * CHUNK)
    each = total // count
    made = []
    for n in range(count):
        path = folder / f"frame_{n:04d}.bin"
        if not path.exists() or path.stat().st_size != each:
            with open(path, "wb") as out:
                left = each
                while left:
                    out.write(block[: min(left, len(block))])
                    left -= min(left, len(block))
        made.append((path.name, each))
    return made


def zip_dataset(folder: Path, files: list[tuple[str, int]], user, name: str = "zip bench"):
    """A published dataset listing the files, its licence already accepted by `user`."""
    from catalogue.access import SYSTEM
    from catalogue.models import Dataset
    from catalogue.services import dataset_create, origdatablock_add
    from portal.models import LicenceAcceptance

    existing = Dataset.objects.filter(source_folder=str(folder)).first()
    if existing is None:
        existing = dataset_create(
            user=SYSTEM,
            data={
                "type": "raw",
                "owner_group": "p20001",
                "owner": "Bench",
                "contact_email": "bench@example.org",
                "source_folder": str(folder),
                "creation_time": "2026-01-01T00:00:00Z",
                "dataset_name": name,
                "is_published": True,
                "license": "CC-BY-4.0",
            },
        )
        origdatablock_add(
            user=SYSTEM,
            dataset=existing,
            files=[{"path": file, "size": size} for file, size in files],
        )
    LicenceAcceptance.objects.get_or_create(
        user=user, dataset_pid=existing.pid, defaults={"licence": existing.license}
    )
    return existing


# --- Measuring -------------------------------------------------------------------------------


def evict(paths: list[Path]) -> None:
    """Drops these files (only these) from the page cache, so the next read comes from disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def forget_crcs(paths: list[Path]) -> None:
    """Deletes the CRC-32s the server recorded for these files: its next zip reads them all."""
    from portal.models import FileCrc

    FileCrc.objects.filter(path__in=[str(path.resolve()) for path in paths]).delete()


def bare_read(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb", buffering=0) as source:
            while chunk := source.read(CHUNK):
                total += len(chunk)
    return total


def socket_read(paths: list[Path], buffer: memoryview) -> int:
    """Bytes of the files sent with sendfile over a bare loopback TCP connection and read as
    the HTTP client reads (recv_into one buffer)."""
    with socket.create_server(("127.0.0.1", 0)) as server:

        def send():
            connection, _ = server.accept()
            with connection:
                for path in paths:
                    with open(path, "rb") as source:
                        size, offset = os.fstat(source.fileno()).st_size, 0
                        while offset < size:
                            out, fd = connection.fileno(), source.fileno()
                            offset += os.sendfile(out, fd, offset, size - offset)

        sender = threading.Thread(target=send)
        sender.start()
        total = 0
        with socket.create_connection(server.getsockname()) as client:
            while read := client.recv_into(buffer):
                total += read
        sender.join()
    return total


def inprocess_zip(pid: str, user, session_key: str) -> int:
    """Bytes of the zip made by the view itself, its response iterated as gunicorn does."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from portal.downloads.views import zip_download

    request = RequestFactory().get(f"/datasets/{pid}/download.zip")
    request.user, request.session = user, SessionStore(session_key)
    response = zip_download(request, pid)
    assert response.status_code == 200, response.status_code
    total = 0
    try:
        for chunk in response:
            total += len(chunk)
    finally:
        response.close()
    return total


def http_read(client, url: str, buffer: memoryview) -> int:
    total = 0
    with client.open(url, timeout=900) as answer:
        while read := answer.readinto(buffer):
            total += read
    return total


def _timed(measure, pid: int | None) -> dict:
    """Runs `measure`: its bytes, wall seconds, CPU seconds (of `pid`, else of this process),
    this process's CPU seconds (the client's, over HTTP) and the RSS of `pid` (else of this
    process) before, at its peak and after."""
    cpu = (lambda: cpu_seconds(pid)) if pid else time.process_time
    with PeakRss(pid or os.getpid()) as rss:
        cpu0, own0, wall0 = cpu(), time.process_time(), time.perf_counter()
        size = measure()
        wall, used = time.perf_counter() - wall0, cpu() - cpu0
        own = time.process_time() - own0
    return {
        "bytes": size,
        "s": wall,
        "cpu": used,
        "client": own,
        "rss": (rss.before, rss.peak, rss.after),
    }


def zip_runs(client, base: str, sets: dict, user, session_key: str, worker: int, rounds: int):
    """{cache: {kind: [one result per round]}}; `sets` maps "zip"/"file" to (dataset, paths)."""
    from django.db import connection

    (zipped, zip_paths), (single, file_paths) = sets["zip"], sets["file"]
    quoted = urllib.parse.quote(zipped.pid, safe="/")
    zip_url = f"{base}/datasets/{quoted}/download.zip"
    file_id = single.files.values_list("id", flat=True).get()
    file_url = f"{base}/datasets/{urllib.parse.quote(single.pid, safe='/')}/files/{file_id}"
    buffer = memoryview(bytearray(CHUNK))
    measures = {
        "bare": (lambda: bare_read(zip_paths), None, zip_paths),
        "socket": (lambda: socket_read(zip_paths, buffer), None, zip_paths),
        "inproc": (lambda: inprocess_zip(zipped.pid, user, session_key), None, zip_paths),
        "http_zip_first": (lambda: http_read(client, zip_url, buffer), worker, zip_paths),
        "http_zip": (lambda: http_read(client, zip_url, buffer), worker, zip_paths),
        "http_file": (lambda: http_read(client, file_url, buffer), worker, file_paths),
    }
    runs = {cache: {kind: [] for kind in KINDS} for cache in ("cold", "warm")}
    for _ in range(rounds):
        for cache, kinds in runs.items():  # cold: from disk; warm: from the page cache
            for kind, (measure, pid, paths) in measures.items():
                if kind == "http_zip_first":
                    forget_crcs(zip_paths)
                if cache == "cold":
                    evict(paths)
                kinds[kind].append(_timed(measure, pid))
                connection.close()  # the in-process view's; the server has its own
    return runs


def _rate(result: dict) -> float:
    return result["bytes"] / result["s"] / 1e6


def report_zip(runs: dict, count: int) -> dict[str, bool]:
    """Prints the medians over the rounds and the ratios, each taken within a round then the
    median of those; whether the zip met the goal (>= 0.8x the bare read), by cache state."""
    median = statistics.median
    if not runs:
        return {}
    first = runs["cold"]["bare"]
    print(
        f"\nzip of {first[0]['bytes'] / 1e9:.2f} GB in {count} files, median of {len(first)}"
        " round(s); CPU s/GB: the server worker's over HTTP, the bench process's otherwise;"
        " client: the bench's as the HTTP client"
    )
    heads = ("cold MB/s", "warm MB/s", "cold CPU", "warm CPU", "client cold", "client warm")
    print(f"{'':30} " + " ".join(f"{head:>11}" for head in heads))

    def per_gb(kind, cache, key):
        return median(r[key] / r["bytes"] * 1e9 for r in runs[cache][kind])

    for kind in KINDS:
        cells = [f"{median(_rate(r) for r in runs[c][kind]):11,.0f}" for c in runs]
        cells += [f"{per_gb(kind, c, 'cpu'):11.3f}" for c in runs]
        if kind.startswith("http"):
            cells += [f"{per_gb(kind, c, 'client'):11.3f}" for c in runs]
        print(f"{LABELS[kind]:30} " + " ".join(cells))

    def ratio(cache, top, bottom):
        pairs = zip(runs[cache][top], runs[cache][bottom], strict=True)
        return median(_rate(a) / _rate(b) for a, b in pairs)

    verdicts = {}
    for cache in runs:
        http, inproc = ratio(cache, "http_zip", "bare"), ratio(cache, "inproc", "bare")
        first = ratio(cache, "http_zip_first", "bare")
        transport = ratio(cache, "http_zip", "http_file")
        wire, limit = ratio(cache, "socket", "bare"), ratio(cache, "http_zip", "socket")
        verdicts[cache] = http >= 0.8
        print(f"{cache}: bare socket/bare read {wire:.2f}; zip over HTTP/bare socket {limit:.2f}")
        print(
            f"{cache}: zip/bare read over HTTP {http:.2f} (CRCs known), {first:.2f} (first),"
            f" {inproc:.2f} in-process (goal >= 0.8); zip/one file over HTTP {transport:.2f}"
        )
    for cache in runs:
        zips = runs[cache]["http_zip_first"] + runs[cache]["http_zip"]
        before = min(r["rss"][0] for r in zips)
        peak = max(r["rss"][1] for r in zips)
        after = zips[-1]["rss"][2]
        own = max(r["rss"][1] - r["rss"][0] for r in runs[cache]["inproc"])
        print(
            f"  {cache}: server worker RSS {before:.0f} MB before the zips, peak {peak:.0f} MB"
            f" (+{peak - before:.0f}), {after:.0f} MB after; in-process zip +{own:.0f} MB"
        )
    return verdicts
