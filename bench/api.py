#!/usr/bin/env python
"""Times the SciCat API's dataset list and count on a large catalogue next to the bare query.

    python bench/api.py --database-url postgres://postgres@127.0.0.1:5432/fedcat_bench_api
    python bench/api.py --database-url ... --reuse          # the datasets are already there
    python bench/api.py --count 20000                        # throwaway SQLite

Loads --count datasets with dataset_bulk_create (the drafts of create_datasets.py), then times
`GET /api/v3/Datasets?filter=` (a `where` on ownerGroup, limit 100) and `GET Datasets/count`,
--requests times each, as a member of the owner group and as an admin, through the site's WSGI
application in this process, as gunicorn calls it (and with --http through gunicorn itself).
The same filter as bare SQL and as a plain ORM query, and the statements the API sends, are
timed in the same run. Goal: API p95 within 2x of the bare query. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from create_datasets import REPO, Timed, drafts, setup_django
from sites import wait_until_answers

API = "/api/v3/Datasets"
GOAL = 2.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="datasets in the catalogue")
    parser.add_argument("--reuse", action="store_true", help="use the datasets already there")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per case first")
    parser.add_argument("--group", default="p20005", help="the ownerGroup of the where")
    parser.add_argument("--other-group", default="p20030", help="a group the member is not in")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else SQLite in --data-dir")
    parser.add_argument("--data-dir", help="FEDCAT_DATA_DIR to use (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument("--batch-size", type=int, default=2000, help="datasets per transaction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="DATABASE_CONN_MAX_AGE for the API (default: the environment's, else 0)",
    )
    parser.add_argument("--http", action="store_true", help="also time through gunicorn")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the API's SQL")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="list, member",
        metavar="CASE",
        help="cProfile the API requests of one case (default: the member's list)",
    )
    return parser.parse_args(argv)


# --- Loading ---------------------------------------------------------------------------------


def load(args) -> tuple[int, float]:
    """Datasets in the catalogue after loading, and the load's seconds (0 when none loaded)."""
    from django.db import connection
    from tqdm import tqdm

    from catalogue.access import SYSTEM
    from catalogue.models import Dataset
    from catalogue.services import dataset_bulk_create

    existing = Dataset.objects.count()
    if existing and not args.reuse:
        raise SystemExit(f"the database holds {existing:,} datasets: add --reuse to use them")
    missing = max(0, args.count - existing) if args.reuse else args.count
    if args.reuse and not existing and not missing:
        raise SystemExit("--reuse: the database holds no datasets")
    seconds = 0.0
    if missing:
        print(f"loading {missing:,} datasets through dataset_bulk_create ...")
        with tqdm(total=missing, unit="ds", smoothing=0.05, mininterval=1) as progress:
            started = time.perf_counter()
            dataset_bulk_create(
                user=SYSTEM,
                drafts=Timed(drafts(missing, args.seed + existing), progress),
                batch_size=args.batch_size,
            )
            seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # As autovacuum would have by now on a real site: statistics for the planner, and the
        # visibility map that lets a count be answered from an index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    return Dataset.objects.count(), seconds


def personas(args) -> dict[str, str]:
    """{"member": token, "admin": token}: a member of --group (and one more group), an admin."""
    from django.contrib.auth.models import Group, User

    from catalogue.services import token_issue

    member, _ = User.objects.get_or_create(
        username="bench-member", defaults={"email": "bench-member@uni.example"}
    )
    member.groups.set([Group.objects.get_or_create(name=g)[0] for g in (args.group, "p20017")])
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    users = {"member": member, "admin": admin}
    return {name: token_issue(user=user)[0] for name, user in users.items()}


# --- The cases -------------------------------------------------------------------------------


CAMEL = {"owner_group": "ownerGroup", "pid": "pid"}


@dataclass
class Case:
    name: str
    persona: str
    count: bool
    column: str  # the where: column = value
    value: str
    sees_all: bool = True  # False: the access rules hide some of the matches
    samples: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    statements: int = 0  # SQL statements per API request

    @property
    def path(self) -> str:
        return API + "/count" if self.count else API

    @property
    def filter(self) -> dict:
        where = {CAMEL[self.column]: self.value}
        return {"where": where} if self.count else {"where": where, "limit": 100}

    @property
    def query(self) -> str:
        return "?" + urllib.parse.urlencode({"filter": json.dumps(self.filter)})


def cases(args) -> list[Case]:
    group, other = ("owner_group", args.group), ("owner_group", args.other_group)
    found = []
    for persona in ("member", "admin"):
        found.append(Case(f"list, {persona}", persona, False, *group))
        found.append(Case(f"count, {persona}", persona, True, *group))
    found.append(Case("list, member, not own group", "member", False, *other, sees_all=False))
    found.append(Case("count, member, not own group", "member", True, *other, sees_all=False))
    # The floor: the cheapest request there is (a count of nothing, on a unique index). What the
    # API costs on top of any query; shown for reference, not held to the goal.
    found.append(Case("floor: count of no dataset, admin", "admin", True, "pid", "no-such-pid"))
    return found


def bare_sql(case: Case):
    """The filter as hand-written SQL on one open connection: what the database itself costs."""
    from django.db import connection

    from catalogue.models import Dataset

    table = connection.ops.quote_name(Dataset._meta.db_table)
    where = f"{connection.ops.quote_name(case.column)} = %s"
    if case.count:
        sql = f"SELECT COUNT(*) FROM {table} WHERE {where}"
    else:
        sql = f"SELECT * FROM {table} WHERE {where} ORDER BY id LIMIT 100"

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, [case.value])
            return cursor.fetchall()

    return run


def own_sql(case: Case, token: str):
    """The statements on the datasets that one API request of `case` sends, run bare on the same
    connection: what the API asks of the database (its access rules included), without the API."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        api_client(case, token)()
    table = connection.ops.quote_name("catalogue_dataset")
    statements = [query["sql"] for query in captured if table in query["sql"]]

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    return run


def bare_orm(case: Case):
    """The filter as a plain ORM query (model instances, JSON decoded), no access rules."""
    from catalogue.models import Dataset

    queryset = Dataset.objects.filter(**{case.column: case.value}).order_by("pk")
    if case.count:
        return lambda: queryset.count()
    return lambda: list(queryset[:100])


def api_client(case: Case, token: str):
    """One request as gunicorn makes it: the site's WSGI application called with an environ, in
    this process, no socket. (Django's test Client adds work no server does: signal handlers
    connected per request, the response's context and request kept.)"""
    import io

    from portal.wsgi import application

    path, query = (case.path + case.query).split("?", 1)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }

    def run():
        status = []
        body = application(
            {**environ, "wsgi.input": io.BytesIO()}, lambda line, headers: status.append(line)
        )
        try:
            content = b"".join(body)
        finally:
            body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}?{query}: HTTP {status[0]} {content[:300]!r}")
        return content

    return run


def check(case: Case, token: str) -> int:
    """The API answers what the bare query does (for a member outside the group: a subset)."""
    from catalogue.models import Dataset

    body = json.loads(api_client(case, token)())
    rows = bare_sql(case)()
    sees_all = case.sees_all
    if case.count:
        result, expected = body["count"], rows[0][0]
        ok = result == expected if sees_all else result <= expected
    else:
        pids = set(Dataset.objects.filter(pk__in=[row[0] for row in rows]).values_list("pid"))
        api = {(doc["pid"],) for doc in body}
        result = len(api)
        ok = api == pids if sees_all else result <= 100
    if not ok:
        raise SystemExit(f"{case.name}: the API and the bare query disagree")
    return result


def timed(fn, requests: int, warmup: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of this process per call. The CPU time leaves out the database
    server and the other jobs on the machine, so it is what the API's own code costs."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def statements(case: Case, token: str) -> int:
    """SQL statements one API request of `case` sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = api_client(case, token)
    run()  # a first request may write the token's last use: not what every request costs
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def p50(samples):
    return statistics.median(samples)


def p95(samples):
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


# --- Real HTTP -------------------------------------------------------------------------------


class Gunicorn:
    """One sync gunicorn worker serving the site on a free port, with this run's environment."""

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "portal.wsgi:application", "-w", "1"]
        command += ["-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=REPO, env=dict(os.environ))
        try:
            wait_until_answers(f"http://127.0.0.1:{self.port}/-/live", self.process, None, 30)
        except SystemExit:
            self.process.kill()
            raise
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)

    def client(self, case: Case, token: str):
        import http.client

        url = case.path + case.query

        def run():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request("GET", url, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            if response.status != 200:
                raise SystemExit(f"{url}: HTTP {response.status}")
            return body

        return run


# --- Diagnostics -----------------------------------------------------------------------------


def explain(case: Case, token: str) -> None:
    """EXPLAIN ANALYZE of every SELECT on the datasets that one API request sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        api_client(case, token)()
    print(f"\n--- {case.name}: {len(captured)} queries; plans of those on the datasets:")
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    for query in captured:
        sql = query["sql"]
        if "catalogue_dataset" not in sql or not sql.startswith("SELECT"):
            continue
        print(sql[:600] + (" ..." if len(sql) > 600 else ""))
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("   ", " | ".join(str(cell) for cell in row))


def profile(case: Case, token: str, requests: int) -> None:
    run = api_client(case, token)
    run()
    # CPU time, not the wall clock: waits on the database and on the other jobs of a busy
    # machine would otherwise fill the profile.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        run()
    profiler.disable()
    print(f"\n--- cProfile (CPU time) of {requests} requests: {case.name}", end="")
    print(" (tottime, then cumulative)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


# --- Main ------------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.conn_max_age is not None:
        os.environ["DATABASE_CONN_MAX_AGE"] = str(args.conn_max_age)
    data_dir, throwaway = setup_django(args)
    from django.conf import settings
    from django.db import connection

    where = connection.settings_dict["NAME"]
    conn_max_age = settings.DATABASES["default"]["CONN_MAX_AGE"]
    print(f"fedcat API bench: {connection.vendor} {where} (data dir {data_dir})")
    try:
        total, load_seconds = load(args)
        tokens = personas(args)
        found = cases(args)
        print(f"datasets: {total:,}", end="")
        print(f" (loaded in {load_seconds:.0f} s)" if load_seconds else " (reused)")
        for case in found:
            matched = check(case, tokens[case.persona])
            print(f"  {case.name}: {matched:,} {'counted' if case.count else 'returned'}")
        print(f"timing {args.requests} requests per case (after {args.warmup} untimed) ...")
        http = Gunicorn() if args.http else None
        repeats = (args.requests, args.warmup)
        if http:
            http.__enter__()
        try:
            for case in found:
                token = tokens[case.persona]
                bare = (("sql", bare_sql(case)), ("orm", bare_orm(case)))
                for kind, run in (*bare, ("own sql", own_sql(case, token))):
                    case.samples[kind], case.samples[f"{kind} cpu"] = timed(run, *repeats)
                run = api_client(case, token)
                case.samples["api"], case.samples["api cpu"] = timed(run, *repeats)
                case.statements = statements(case, token)
                if http:
                    case.samples["http"], _ = timed(http.client(case, token), *repeats)
        finally:
            if http:
                http.__exit__()
        if args.explain:
            for case in found:
                explain(case, tokens[case.persona])
        if args.profile:
            case = next(c for c in found if c.name.startswith(args.profile))
            profile(case, tokens[case.persona], min(args.requests, 100))
    finally:
        connection.close()
        if throwaway and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    report(found, conn_max_age)


def report(found: list[Case], conn_max_age) -> None:
    kinds = [k for k in ("sql", "orm", "own sql", "api", "http") if k in found[0].samples]
    print(f"\nmilliseconds, p50 / p95 (DATABASE_CONN_MAX_AGE={conn_max_age}); own sql: the")
    print("statements the API sends on the datasets, its access rules included, run bare")
    header = f"{'case':36}" + "".join(f"{kind:>16}" for kind in kinds)
    ratios = ("API/SQL p95", "API/ORM p95", "API/own p95")
    print(header + "".join(f"{ratio:>13}" for ratio in ratios))
    missed, partial = [], []
    for case in found:
        cells = "".join(
            f"{1e3 * p50(case.samples[k]):7.2f} /{1e3 * p95(case.samples[k]):7.2f}" for k in kinds
        )
        api = p95(case.samples["api"])
        ratios = [api / p95(case.samples[kind]) for kind in ("sql", "orm", "own sql")]
        print(f"{case.name:36}{cells}" + "".join(f"{ratio:12.1f}x" for ratio in ratios))
        if ratios[0] > GOAL and not case.name.startswith("floor"):
            missed.append(case.name)
        if not case.sees_all:
            partial.append(f"{case.name} {ratios[2]:.1f}x")
    print(f"goal: API p95 within {GOAL:.0f}x of the bare SQL:", end=" ")
    print("met by every case" if not missed else f"missed by {', '.join(missed)}")
    if partial:
        # The bare SQL of these also counts or returns datasets the member may not read.
        print("  where the access rules hide part of the matches, against the SQL that answers")
        print(f"  the same question (the API's own, rules included): {'; '.join(partial)}")
    # CPU time of this process alone: steady when the machine is busy, unlike the wall clock.
    print("\nCPU milliseconds of this process, p50 / mean, and SQL statements per API request")
    print(f"{'case':36}{'sql':>16}{'orm':>16}{'api':>16}{'statements':>12}")
    for case in found:
        cells = "".join(
            f"{1e3 * p50(case.samples[k]):7.2f} /{1e3 * statistics.fmean(case.samples[k]):7.2f}"
            for k in ("sql cpu", "orm cpu", "api cpu")
        )
        print(f"{case.name:36}{cells}{case.statements:12}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load}")


if __name__ == "__main__":
    main()
