#!/usr/bin/env python
"""Loads N realistic datasets, builds the search index, then times text queries with three facets
and queries with a unit-aware condition, directly against the engine and through the JSON API
(/api/search/) in the same run, and prints p50/p95/p99 and the API/engine ratios.

    python bench/search.py --count 100000
    python bench/search.py --count 100000 --http      # also over real HTTP (gunicorn)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fedcat_bench python bench/search.py

Without DATABASE_URL/--database-url it runs on SQLite in a throwaway data dir (removed at the end
unless --keep or --data-dir; a --data-dir that already holds the datasets and their index is
reused, so the queries can be timed again). The drafts are bench/create_datasets.py's. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# This file is bench/search.py: keep bench/ off the path so `import search` is the app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
sys.path.insert(0, str(REPO))
_spec = importlib.util.spec_from_file_location("create_datasets", BENCH / "create_datasets.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
_spec = importlib.util.spec_from_file_location("search_scicat", BENCH / "search_scicat.py")
scicat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scicat)
_spec = importlib.util.spec_from_file_location("sites", BENCH / "sites.py")
sites = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sites)

FACETS = ("instrument", "technique", "keywords")
GROUPS = ("p20001", "p20002", "tomcat")  # the bench user's: two proposals, one access group
PATHS = ("engine", "service", "API in-process", "API over HTTP")
WARMUP = 20


def add_corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of load() and build_index(), shared with bench/pages.py."""
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else SQLite in --data-dir")
    parser.add_argument("--data-dir", help="FEDCAT_DATA_DIR to use (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument("--reindex", action="store_true", help="rebuild a reused data dir's index")
    parser.add_argument("--batch-size", type=int, default=2000, help="datasets per transaction")
    parser.add_argument(
        "--workers",
        type=int,
        default=max(0, min(4, (os.cpu_count() or 1) - 1)),
        help="processes building documents for the index (0: the bench's own)",
    )
    parser.add_argument("--seed", type=int, default=1)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="datasets to load")
    parser.add_argument("--queries", type=int, default=200, help="queries per set")
    parser.add_argument(
        "--as", dest="persona", default="member", choices=("member", "anonymous", "admin")
    )
    parser.add_argument("--http", action="store_true", help="also time over HTTP (gunicorn)")
    add_corpus_arguments(parser)
    parser.add_argument("--scicat", action="store_true", help="also time fullquery/fullfacet")
    parser.add_argument(
        "--no-facet-cache",
        action="store_true",
        help="tantivy: count the facets for every query (no reuse between pages and queries)",
    )
    parser.add_argument(
        "--scicat-database",
        type=int,
        default=3,
        metavar="N",
        help="with --scicat: time N fullfacet queries on the database path too",
    )
    return parser.parse_args(argv)


# --- Loading and indexing --------------------------------------------------------------------


def load(count: int, args) -> None:
    """Creates the instruments the drafts point at, then the missing datasets."""
    from tqdm import tqdm

    from catalogue.access import SYSTEM
    from catalogue.models import Dataset, Instrument
    from catalogue.services import dataset_bulk_create, instrument_create

    for location in corpus.LOCATIONS:
        pid = f"instrument{location.replace('/', '-').lower()}"
        facility, *_, name = location.strip("/").split("/")
        if not Instrument.objects.filter(pid=pid).exists():
            data = {"pid": pid, "unique_name": name, "name": f"{name} beamline"}
            instrument_create(user=SYSTEM, data={**data, "facility": facility})
    have = Dataset.objects.count()
    if have >= count:
        print(f"reusing the {have:,} datasets in the database")
        return
    drafts = corpus.drafts(count, args.seed)
    for _ in range(have):
        next(drafts)
    started = time.perf_counter()
    with tqdm(total=count - have, unit="ds", smoothing=0.05, mininterval=1) as progress:
        source = corpus.Timed(drafts, progress)
        dataset_bulk_create(user=SYSTEM, drafts=source, batch_size=args.batch_size)
    seconds = time.perf_counter() - started - source.seconds
    print(
        f"loaded {count - have:,} datasets in {seconds:.0f} s ({(count - have) / seconds:,.0f}/s)"
    )


def build_index(workers: int) -> tuple[int, float, int]:
    """index_rebuild with a progress bar: (documents, seconds, bytes on disk)."""
    from django.conf import settings
    from tqdm import tqdm

    from catalogue.models import Dataset
    from search.indexing import index_rebuild
    from search.models import IndexOutbox

    # No worker ran during the load, so every dataset has an outbox row; the rebuild reads them
    # all from the database anyway, and would otherwise index them all a second time after it.
    IndexOutbox.objects.all().delete()
    with tqdm(total=Dataset.objects.count(), unit="doc", mininterval=1) as progress:
        started = time.perf_counter()
        count = index_rebuild(progress=progress.update, workers=workers)
        seconds = time.perf_counter() - started
    root = Path(settings.SEARCH_INDEX_DIR or settings.DATA_DIR / "search-index")
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    return count, seconds, size


# --- Queries -----------------------------------------------------------------------------------

# (condition on a key of the drafts, the range its bounds are drawn from) in assorted units
CONDITIONS = [
    ("sample.temperature>{x:.0f} K", 4, 600),
    ("sample.temperature<{x:.0f} degC", -200, 300),
    ("beamline.energy:[{x:.1f} keV TO {y:.1f} keV]", 8, 40),
    ("beamline.wavelength<{x:.2f} Å", 0.5, 2.5),
    ("beamline.wavelength>={x:.3f} nm", 0.05, 0.25),
    ("detector.distance>{x:.2f} m", 0.1, 7),
    ("detector.exposure_time<={x:.0f} ms", 1, 2000),
    ("sample.pressure<{x:.1f} bar", 0.001, 10),
    ("sample.magnetic_field>{x:.0f} mT", 0, 9000),
    ("scan.duration:[{x:.0f} min TO {y:.0f} min]", 1, 90),
]


def text_queries(n: int, rng: random.Random) -> list[str]:
    vocabulary = [*corpus.KEYWORDS, "LiFePO4", "lysozyme", "cement", "paste", "Ni-foam"]
    vocabulary += [word for _, name in corpus.TECHNIQUES for word in name.split()]
    vocabulary += [person.split()[-1] for person, _ in corpus.PEOPLE]
    queries = []
    for _ in range(n):
        words = rng.sample(vocabulary, 1 if rng.random() < 0.6 else 2)
        queries.append(" ".join(f'"{w}"' if "-" in w else w for w in words))
    return queries


def condition_queries(n: int, rng: random.Random) -> list[str]:
    queries = []
    for _ in range(n):
        template, low, high = rng.choice(CONDITIONS)
        x, y = sorted(rng.uniform(low, high) for _ in range(2))
        queries.append(template.format(x=x, y=y))
    return queries


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn with the site's gunicorn.conf.py (when there is one) and one worker (the client
    sends one request at a time), on a free loopback port, with this run's settings."""
    port = free_port()
    env = {**os.environ, "FEDCAT_DATA_DIR": str(data_dir), "DEBUG": "false"}
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi"]
    if (REPO / "gunicorn.conf.py").exists():
        command += ["-c", str(REPO / "gunicorn.conf.py")]
    else:
        command += ["--bind", env["GUNICORN_BIND"], "--workers", "1", "--log-level", "warning"]
    log = open(data_dir / "bench-http.log", "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}/api/search/"
    try:
        sites.wait_until_answers(base + "?q=warm", process, data_dir / "bench-http.log", 60)
    except SystemExit:
        process.terminate()  # not yet the caller's to stop
        raise
    return process, base


class Clock:
    """Wall and CPU time (this process, all threads) of a block, in ms."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = 1000 * (time.perf_counter() - self.wall)
        self.cpu = 1000 * (time.process_time() - self.cpu)


def run_set(queries: list[str], facets: tuple, user, token: str, base: str | None) -> dict:
    """Times every query on every path (the order of the paths rotates from query to query).
    Returns {"wall"|"cpu": {path: [ms]}, "totals": the engine's, "disagreements": queries
    whose total differed between paths}. CPU time is not known for the HTTP path (it is spent
    in the server)."""
    from django.test import Client
    from tqdm import tqdm

    from search.access import access_filter
    from search.backends import get_backend
    from search.query import parse_query_string
    from search.service import search

    backend, client = get_backend(), Client()
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    params = {"facets": ",".join(facets)} if facets else {}

    def engine(q):
        request = parse_query_string(q, facets=facets)
        access = access_filter(user)
        with Clock() as clock:
            total = backend.search(request, access).total
        return clock, total

    def service(q):
        with Clock() as clock:
            total = search(user, parse_query_string(q, facets=facets)).total
        return clock, total

    def in_process(q):
        with Clock() as clock:
            response = client.get("/api/search/", {"q": q, **params}, **header)
        assert response.status_code == 200, response.content[:500]
        return clock, response.json()["total"]

    def over_http(q):
        url = base + "?" + urllib.parse.urlencode({"q": q, **params})
        request = urllib.request.Request(url)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with Clock() as clock, urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        clock.cpu = None
        return clock, int(body.split(b'"total":', 1)[1].split(b",", 1)[0])

    paths = {"engine": engine, "service": service, "API in-process": in_process}
    if base:
        paths["API over HTTP"] = over_http
    for q in queries[:WARMUP]:
        for run in paths.values():
            run(q)
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths if name != "API over HTTP"}
    totals, disagreements = [], 0
    for i, q in enumerate(tqdm(queries, unit="query", leave=False)):
        names = list(paths)
        names = names[i % len(names) :] + names[: i % len(names)]
        found = {}
        for name in names:
            clock, found[name] = paths[name](q)
            wall[name].append(clock.wall)
            if clock.cpu is not None:
                cpu[name].append(clock.cpu)
        totals.append(found["engine"])
        disagreements += len(set(found.values())) > 1
    return {"wall": wall, "cpu": cpu, "totals": totals, "disagreements": disagreements}


def bench_user(persona: str):
    """The user the queries run as, and an API token of theirs."""
    from django.contrib.auth.models import Group, User

    from catalogue.services.tokens import token_issue

    if persona == "anonymous":
        return None, ""
    User.objects.filter(username="bench").delete()
    user = User.objects.create_user("bench", email="bench@example.org")
    for name in ("admin",) if persona == "admin" else GROUPS:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    raw, _ = token_issue(user=user, ttl_seconds=24 * 3600)
    return user, raw


def report(sets: dict, args, user_label: str) -> None:
    print(f"\nLatency in ms, {args.queries} queries per set, as {user_label}:")
    print(
        f"{'query set':26} {'path':15} {'p50':>6} {'p95':>6} {'p99':>6} {'CPU p50':>8}"
        f" {'CPU p95':>8}"
    )
    for label, result in sets.items():
        for name in PATHS:
            samples = result["wall"].get(name)
            if not samples:
                continue
            cells = " ".join(f"{percentile(samples, p):6.1f}" for p in (50, 95, 99))
            cpu = result["cpu"].get(name)
            if cpu:
                cells += f" {percentile(cpu, 50):8.1f} {percentile(cpu, 95):8.1f}"
            else:
                cells += f" {'-':>8} {'-':>8}"
            print(f"{label:26} {name:15} {cells}")
            label = ""
        totals = sorted(result["totals"])
        print(f"{'':26} matches: median {totals[len(totals) // 2]:,}, max {totals[-1]:,}")
    print("\nRatios to the engine:      path            p50    p95    CPU p50")
    for label, result in sets.items():
        wall, cpu = result["wall"], result["cpu"]
        for name in PATHS[1:]:
            if name not in wall:
                continue
            ratios = [percentile(wall[name], p) / percentile(wall["engine"], p) for p in (50, 95)]
            cells = " ".join(f"{r:5.2f}×" for r in ratios)
            if name in cpu:
                cells += f" {percentile(cpu[name], 50) / percentile(cpu['engine'], 50):5.2f}×"
            print(f"  {label:24} {name:15} {cells}")
            label = ""
    text = sets[next(iter(sets))]["wall"]
    for name in PATHS[2:]:
        if name in text:
            p95 = percentile(text[name], 95)
            verdict = "met" if p95 < 50 else "MISSED"
            print(f"Goal: API p95 with facets < 50 ms ({name}): {p95:.1f} ms, {verdict}")
    for label, result in sets.items():
        engine = result["wall"]["engine"]
        for name in PATHS[2:]:
            if name in result["wall"]:
                ratio = percentile(result["wall"][name], 50) / percentile(engine, 50)
                verdict = "met" if ratio <= 2 else "MISSED"
                print(
                    f"Goal: API p50 within 2× of the engine ({label}, {name}): {ratio:.2f}×,"
                    f" {verdict}"
                )
        if result["disagreements"]:
            print(f"  !! {result['disagreements']} queries had different totals on some path")


def main(argv=None) -> None:
    args = parse_args(argv)
    data_dir, throwaway = corpus.setup_django(args)
    from django.db import connection

    from catalogue.models import Dataset
    from search.backends import get_backend

    if args.no_facet_cache:  # here and in the HTTP server (started with this environment)
        from django.conf import settings

        os.environ["SEARCH_FACET_CACHE"] = "0"
        settings.SEARCH_FACET_CACHE = 0
    print(f"fedcat search bench: {args.count:,} datasets, {args.queries} queries per set")
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']} (data dir {data_dir})")
    server = None
    try:
        load(args.count, args)
        in_database, in_index = Dataset.objects.count(), get_backend().count()
        if in_index == in_database and not args.reindex:
            print(f"reusing the index of {in_index:,} documents (--reindex rebuilds it)")
        else:
            count, seconds, size = build_index(args.workers)
            print(
                f"index: {count:,} documents in {seconds:.1f} s ({count / seconds:,.0f}/s), "
                f"{size / 1e6:,.0f} MB on disk"
            )
        user, token = bench_user(args.persona)
        label = args.persona + (f" ({', '.join(GROUPS)})" if args.persona == "member" else "")
        base = None
        if args.http:
            server, base = start_server(data_dir)
        rng = random.Random(args.seed)
        load_before = os.getloadavg()[0]
        assert get_backend().count() == Dataset.objects.count()
        sets = {
            "text + 3 facets": run_set(text_queries(args.queries, rng), FACETS, user, token, base),
            "unit condition, no facets": run_set(
                condition_queries(args.queries, rng), (), user, token, base
            ),
        }
        report(sets, args, label)
        if args.scicat:
            timings = scicat.run(text_queries(args.queries, rng), token, args.scicat_database)
            print(f"\nSciCat API in-process, {args.queries} text queries, as {label}, in ms:")
            for name, samples in timings.items():
                if samples:
                    cells = " ".join(f"{percentile(samples, p):8.1f}" for p in (50, 95, 99))
                    print(f"  {name:22} p50/p95/p99 {cells}  ({len(samples)} queries)")
        cpus = os.cpu_count()
        print(
            f"load average: {load_before:.1f} before the queries, {os.getloadavg()[0]:.1f} after"
            f" ({cpus} CPUs; other jobs on the machine inflate every figure)"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        connection.close()
        if throwaway and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
