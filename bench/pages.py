#!/usr/bin/env python
"""Times the portal's pages and its zip downloads over real HTTP (gunicorn on loopback):

- the search page and the dataset page, p50/p95/p99 over --requests each, with N datasets
  (bench/create_datasets.py's drafts, indexed as bench/search.py does), as a signed-in member;
- a zip of a --zip-gb dataset (files generated in the data dir), from disk (the files evicted
  from the page cache first) and from memory, next to what bounds it in the same run: a bare
  read of the same files, the zip made in-process (the view's response iterated, no socket) and
  one file as large as the zip downloaded from the same server (the transport's own limit);
  with the server worker's CPU time and peak RSS (bench/pages_zip.py).

    python bench/pages.py --count 50000
    python bench/pages.py                      # 1,000,000 datasets, 2 GB zip
    python bench/pages.py --zip-only           # only the zip (no datasets, no pages)
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
zip_bench = _load("pages_zip")
cpu_seconds, rss_mb, worker_pid = zip_bench.cpu_seconds, zip_bench.rss_mb, zip_bench.worker_pid

WARMUP = 10


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="datasets to load")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument(
        "--zip-gb", type=float, default=2.0, help="size of the zipped dataset (0: no zip run)"
    )
    parser.add_argument("--zip-files", type=int, default=16, help="files in the zipped dataset")
    parser.add_argument(
        "--zip-rounds", type=int, default=3, help="zip rounds (medians are reported)"
    )
    parser.add_argument(
        "--zip-only", action="store_true", help="time only the zip: no datasets loaded, no pages"
    )
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


def stats(samples: list[float]) -> str:
    p = search_bench.percentile
    return f"p50 {p(samples, 50):6.1f}  p95 {p(samples, 95):6.1f}  p99 {p(samples, 99):6.1f} ms"


# --- Main ------------------------------------------------------------------------------------


def time_pages(client, base: str, user, worker: int, args) -> dict:
    """Both pages' wall ms and statuses, and the server's CPU ms per page."""
    from django.db import connection

    from catalogue.models import Dataset

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
    pages = {}
    for name, urls in (("search", search_urls), ("dataset", page_urls)):
        started = cpu_seconds(worker)  # server CPU per page: steadier than wall time here
        samples, statuses = timed_pages(client, urls)
        cpu = 1000 * (cpu_seconds(worker) - started) / (len(urls) + WARMUP)
        pages[name] = (samples, statuses, cpu)
    return pages


def report_pages(pages: dict, rss_start: float, rss_pages: float) -> str:
    """Prints the pages' figures; the goal's verdict."""
    for name, (samples, _, cpu) in pages.items():
        print(f"{name + ' page':13} {stats(samples)}   server CPU {cpu:5.1f} ms/page")
    print(f"  statuses: search {pages['search'][1]}, dataset {pages['dataset'][1]}")
    print(f"  server worker RSS {rss_start:.0f} MB at start, {rss_pages:.0f} MB after them")
    p95 = search_bench.percentile
    return "pages p95 < 100 ms: " + ", ".join(
        f"{name} {'met' if p95(samples, 95) < 100 else 'NOT met'}"
        for name, (samples, _, _) in pages.items()
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    data_dir, throwaway = corpus.setup_django(args)
    from django.conf import settings
    from django.db import connection

    from catalogue.models import Dataset
    from search.backends import get_backend

    zip_root = data_dir / "bench-zip"
    os.environ["DOWNLOAD_ROOTS"] = str(zip_root)  # the server's
    settings.DOWNLOAD_ROOTS = [str(zip_root)]  # this process's, for the in-process zip
    os.environ["GUNICORN_TIMEOUT"] = "900"
    if args.zip_only:
        print(f"fedcat pages bench: the zip only, {args.zip_rounds} round(s)")
    else:
        print(f"fedcat pages bench: {args.count:,} datasets, {args.requests} requests per page")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} (data dir {data_dir})")
    server = None
    try:
        if not args.zip_only:
            search_bench.load(args.count, args)
            if get_backend().count() != Dataset.objects.count() or args.reindex:
                count, seconds, size = search_bench.build_index(args.workers)
                print(f"index: {count:,} documents in {seconds:.1f} s, {size / 1e6:,.0f} MB")
        user, _ = search_bench.bench_user("member")
        sets = {}
        if args.zip_gb > 0:
            total = int(args.zip_gb * 1e9)
            for kind, folder, count in (("zip", "run1", args.zip_files), ("file", "one", 1)):
                files = zip_bench.make_files(zip_root / folder, total, count)
                dataset = zip_bench.zip_dataset(zip_root / folder, files, user, f"{kind} bench")
                sets[kind] = (dataset, [zip_root / folder / name for name, _ in files])
            if not args.zip_only:  # (a zip-only run leaves the index alone; the next full
                # run then finds it short of these datasets and rebuilds it)
                from search.indexing import index_datasets

                # Indexed like every other dataset, so that a reused data dir's index still
                # counts them all (else the next run would rebuild it).
                index_datasets([dataset.pid for dataset, _ in sets.values()])
        session = member_session(user)
        connection.close()

        server, api = search_bench.start_server(data_dir)
        base = api.rsplit("/api/", 1)[0]
        worker = worker_pid(server.pid)
        rss_start = rss_mb(worker)
        client = opener(session)
        pages = {} if args.zip_only else time_pages(client, base, user, worker, args)
        rss_pages = rss_mb(worker)
        runs = {}
        if sets:
            runs = zip_bench.zip_runs(client, base, sets, user, session, worker, args.zip_rounds)

        print()
        goals = [report_pages(pages, rss_start, rss_pages)] if pages else []
        verdicts = zip_bench.report_zip(runs, args.zip_files)
        zip_goal = ", ".join(f"{c} {'met' if ok else 'NOT met'}" for c, ok in verdicts.items())
        goals.append("zip over HTTP >= 0.8x bare: " + (zip_goal or "not run"))
        print("goals: " + "; ".join(goals))
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
