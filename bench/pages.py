#!/usr/bin/env python
"""Times the portal's pages and its zip downloads over real HTTP (gunicorn on loopback):

- the search page and the dataset page, p50/p95/p99 over --requests each, with N datasets
  (bench/create_datasets.py's drafts, indexed as bench/search.py does), as a signed-in member;
- a zip of a --zip-gb dataset (files generated in the data dir): throughput next to a bare read
  of the same files in the same run, and the server worker's memory (RSS) before, while and
  after it streams; from disk (the files evicted from the page cache first) and from memory.
  The same files downloaded one by one from the same server (no zip) are timed too: what HTTP
  on loopback allows here, which the bare read does not pay.

    python bench/pages.py --count 50000
    python bench/pages.py                      # 1,000,000 datasets, 2 GB zip
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fedcat_bench python bench/pages.py

Goals (issue #6): pages p95 < 100 ms, zip >= 0.8x the bare read, memory flat. Without
DATABASE_URL/--database-url it runs on SQLite in a throwaway data dir (removed at the end unless
--keep or --data-dir; a --data-dir already holding the datasets and index is reused).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import importlib.util
import os
import random
import shutil
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.insert(0, str(REPO))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _load("create_datasets")
search_bench = _load("search")

CHUNK = 1 << 20
WARMUP = 10


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="datasets to load")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument(
        "--zip-gb", type=float, default=2.0, help="size of the zipped dataset (0: no zip run)"
    )
    parser.add_argument("--zip-files", type=int, default=16, help="files in the zipped dataset")
    search_bench.add_corpus_arguments(parser)
    return parser.parse_args(argv)


# --- Setup -----------------------------------------------------------------------------------


def member_session(user) -> str:
    """A signed-in session of `user` (as the login page would leave it); its cookie value."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


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


def zip_dataset(folder: Path, files: list[tuple[str, int]], user):
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
                "dataset_name": "zip bench",
                "is_published": True,
                "license": "CC-BY-4.0",
            },
        )
        origdatablock_add(
            user=SYSTEM,
            dataset=existing,
            files=[{"path": name, "size": size} for name, size in files],
        )
    LicenceAcceptance.objects.get_or_create(
        user=user, dataset_pid=existing.pid, defaults={"licence": existing.license}
    )
    return existing


# --- Measuring -------------------------------------------------------------------------------


def opener(session_key: str):
    jar = http.cookiejar.CookieJar()
    handler = urllib.request.HTTPCookieProcessor(jar)
    build = urllib.request.build_opener(handler)
    build.addheaders = [("Cookie", f"sessionid={session_key}")]
    return build


def timed_pages(client, urls: list[str]) -> tuple[list[float], dict[int, int]]:
    """ms per page (the whole body read), and the count of each status."""
    samples, statuses = [], {}
    for url in urls[:WARMUP]:
        client.open(url, timeout=60).read()
    for url in urls:
        started = time.perf_counter()
        try:
            with client.open(url, timeout=60) as answer:
                answer.read()
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        samples.append(1000 * (time.perf_counter() - started))
        statuses[status] = statuses.get(status, 0) + 1
    return samples, statuses


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (the engine's too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.running = pid, every, [], True

    def run(self):
        while self.running:
            self.samples.append(rss_mb(self.pid))
            time.sleep(self.every)


def evict(folder: Path, files) -> None:
    """Drops these files (only these) from the page cache, so the next read comes from disk."""
    for name, _ in files:
        fd = os.open(folder / name, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def bare_read(folder: Path, files) -> tuple[float, int]:
    started, total = time.perf_counter(), 0
    for name, _ in files:
        with open(folder / name, "rb", buffering=0) as source:
            while chunk := source.read(CHUNK):
                total += len(chunk)
    return time.perf_counter() - started, total


def files_read(client, urls: list[str]) -> tuple[float, int]:
    """Seconds and bytes of the files downloaded one after the other (no zip)."""
    started, total = time.perf_counter(), 0
    for url in urls:
        with client.open(url, timeout=600) as answer:
            while chunk := answer.read(CHUNK):
                total += len(chunk)
    return time.perf_counter() - started, total


def zip_read(client, url: str, sampler: RssSampler) -> tuple[float, int, list[float]]:
    """Seconds and bytes of the whole zip; RSS at each tenth of it."""
    started, total, marks = time.perf_counter(), 0, []
    with client.open(url, timeout=600) as answer:
        size = int(answer.headers["Content-Length"])
        next_mark = size / 10
        while chunk := answer.read(CHUNK):
            total += len(chunk)
            if total >= next_mark:
                marks.append(sampler.samples[-1] if sampler.samples else 0.0)
                next_mark += size / 10
    return time.perf_counter() - started, total, marks


def zip_runs(client, base: str, dataset, folder: Path, files, worker: int) -> dict:
    """For a cold and a warm page cache: (bare read, the files over HTTP, the zip, worker RSS
    before, peak and after the zip)."""
    from django.db import connection

    quoted = urllib.parse.quote(dataset.pid, safe="/")
    zip_url = f"{base}/datasets/{quoted}/download.zip"
    file_urls = [
        f"{base}/datasets/{quoted}/files/{file_id}"
        for file_id in dataset.files.order_by("id").values_list("id", flat=True)
    ]
    connection.close()
    runs = {}
    for cache in ("cold", "warm"):  # cold: from disk; warm: from the page cache
        if cache == "cold":
            evict(folder, files)
        bare = bare_read(folder, files)
        if cache == "cold":
            evict(folder, files)
        plain = files_read(client, file_urls)
        if cache == "cold":
            evict(folder, files)
        rss_before = rss_mb(worker)
        sampler = RssSampler(worker)
        sampler.start()
        zipped = zip_read(client, zip_url, sampler)
        sampler.running = False
        sampler.join()
        peak = max(sampler.samples or [rss_before])
        runs[cache] = (bare, plain, zipped, rss_before, peak, rss_mb(worker))
    return runs


def report_zip(runs: dict) -> dict[str, bool]:
    """Prints each run; whether it met the goal, by cache state."""
    verdicts = {}
    for cache, run in runs.items():
        (bare_s, bare_b), (plain_s, plain_b), (zip_s, zip_b, marks), before, peak, after = run
        zip_rate, bare_rate = zip_b / zip_s / 1e6, bare_b / bare_s / 1e6
        plain_rate = plain_b / plain_s / 1e6
        verdicts[cache] = zip_rate >= 0.8 * bare_rate
        print(
            f"{cache} cache: zip {zip_b / 1e9:.2f} GB in {zip_s:.2f} s = {zip_rate:,.0f} MB/s;"
            f" bare read {bare_rate:,.0f} MB/s; ratio {zip_rate / bare_rate:.2f} (goal >= 0.8)"
        )
        print(
            f"  the same files one by one over HTTP (no zip): {plain_rate:,.0f} MB/s;"
            f" zip/plain {zip_rate / plain_rate:.2f}"
        )
        print(
            f"  server worker RSS {before:.0f} MB before, peak {peak:.0f} MB "
            f"(+{peak - before:.0f}), {after:.0f} MB after; at each tenth: "
            + " ".join(f"{m:.0f}" for m in marks)
        )
    return verdicts


def stats(samples: list[float]) -> str:
    p = search_bench.percentile
    return f"p50 {p(samples, 50):6.1f}  p95 {p(samples, 95):6.1f}  p99 {p(samples, 99):6.1f} ms"


# --- Main ------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    data_dir, throwaway = corpus.setup_django(args)
    from django.db import connection

    from catalogue.models import Dataset
    from search.backends import get_backend

    zip_folder = data_dir / "bench-zip" / "run1"
    os.environ["DOWNLOAD_ROOTS"] = str(zip_folder.parent)
    os.environ["GUNICORN_TIMEOUT"] = "900"
    print(f"fedcat pages bench: {args.count:,} datasets, {args.requests} requests per page kind")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} (data dir {data_dir})")
    server = None
    try:
        search_bench.load(args.count, args)
        if get_backend().count() != Dataset.objects.count() or args.reindex:
            count, seconds, size = search_bench.build_index(args.workers)
            print(f"index: {count:,} documents in {seconds:.1f} s, {size / 1e6:,.0f} MB")
        user, _ = search_bench.bench_user("member")
        files, dataset = [], None
        if args.zip_gb > 0:
            files = make_files(zip_folder, int(args.zip_gb * 1e9), args.zip_files)
            dataset = zip_dataset(zip_folder, files, user)
            from search.indexing import index_datasets

            index_datasets([dataset.pid])
        session = member_session(user)
        connection.close()

        server, api = search_bench.start_server(data_dir)
        base = api.rsplit("/api/", 1)[0]
        worker = worker_pid(server.pid)
        rss_start = rss_mb(worker)
        client = opener(session)
        rng = random.Random(args.seed)

        queries = search_bench.text_queries(args.requests, rng)
        search_urls = [f"{base}/?" + urllib.parse.urlencode({"q": q}) for q in queries]
        pids = list(
            Dataset.objects.visible_to(user)
            .order_by("?")
            .values_list("pid", flat=True)[: args.requests]
        )
        connection.close()
        page_urls = [f"{base}/datasets/{urllib.parse.quote(pid, safe='/')}" for pid in pids]
        cpu = {}  # server CPU ms per page: steadier than wall time on a shared machine
        started = cpu_seconds(worker)
        search_ms, search_status = timed_pages(client, search_urls)
        cpu["search"] = 1000 * (cpu_seconds(worker) - started) / (len(search_urls) + WARMUP)
        started = cpu_seconds(worker)
        page_ms, page_status = timed_pages(client, page_urls)
        cpu["dataset"] = 1000 * (cpu_seconds(worker) - started) / (len(page_urls) + WARMUP)

        rss_pages = rss_mb(worker)
        runs = zip_runs(client, base, dataset, zip_folder, files, worker) if files else {}

        print()
        print(f"search page   {stats(search_ms)}   server CPU {cpu['search']:5.1f} ms/page")
        print(f"dataset page  {stats(page_ms)}   server CPU {cpu['dataset']:5.1f} ms/page")
        print(f"  statuses: search {search_status}, dataset {page_status}")
        print(f"  server worker RSS {rss_start:.0f} MB at start, {rss_pages:.0f} MB after them")
        verdicts = report_zip(runs)
        p95 = search_bench.percentile
        zip_goal = ", ".join(f"{c} {'met' if ok else 'NOT met'}" for c, ok in verdicts.items())
        print(
            "goals: pages p95 < 100 ms: search "
            f"{'met' if p95(search_ms, 95) < 100 else 'NOT met'}, dataset "
            f"{'met' if p95(page_ms, 95) < 100 else 'NOT met'}; zip >= 0.8x bare: "
            + (zip_goal or "not run")
        )
        print(f"load average now {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.close()
        if throwaway and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
