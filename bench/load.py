"""Load test: N concurrent users for a fixed time against a fedcat on this machine.

    .venv/bin/python bench/load.py                      # its own site, 50 users, 60 s
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --users 50 --duration 60

Without --url it runs the production setup, `scripts/prod.sh` (gunicorn, a Celery worker,
beat), on the local PostgreSQL (a new database, --database, default fedcat_load) and Redis (an
empty database number), in a temporary FEDCAT_DATA_DIR holding the demo catalogue and its files
(the download root), and removes all three at the end. --url targets a site you started
(loopback only) that holds public datasets with files (`make demo` with
DOWNLOAD_ROOTS=$FEDCAT_DATA_DIR/demo-files).

Each user is a thread with its own keep-alive connection and session cookie. It first accepts
the licence of the datasets it will download (as a visitor does, not timed), then requests the
mix in turn until the time is up: the search page, the search API with facets, SciCat's
fullfacet, dataset pages, API lists and counts (SciCat and PaNOSC), and file downloads, as an
anonymous visitor. Any answer but 200 or a connection failure is an error. Before the mix, the
same users request /-/live (no database, no template) for --raw-seconds: that is the raw limit
of this web server on this machine, measured in the same run, and the mix's throughput is
printed as a share of it. Output: requests, errors, p50/p95/p99 per endpoint, throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sites import demo_load, process_group_stop, prod_script_start, wait_until_answers

SEARCHES = ["temperature", "diffraction", "tomography", "image", "*", "sample"]
START_TIMEOUT = 180.0
OK = (200,)


def loopback_only(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if parts.scheme != "http":
        sys.exit("only http:// URLs on this machine")
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port)}
    if not all(ipaddress.ip_address(address).is_loopback for address in addresses):
        sys.exit(f"{host} is not a loopback address: this benchmark only targets this machine")
    return host, port


class Client:
    """One keep-alive connection with a cookie jar (the session that holds accepted licences)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=30)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return None, b""
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def accept_licence(self, pid: str) -> None:
        page = f"/datasets/{pid}/licence"
        _, html = self.request("GET", page)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if token is None:
            return
        form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "accept": "on"})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        self.request("POST", page, form, headers)

    def close(self) -> None:
        self.connection.close()


def discover(host: str, port: int) -> tuple[dict[str, list[str]], list[str]]:
    """The mix: {endpoint name: paths it rotates through}, and the datasets downloaded from."""
    client = Client(host, port)
    flt = quote(json.dumps({"limit": 50, "fields": ["pid"]}))
    status, body = client.request("GET", f"/api/v3/Datasets?filter={flt}")
    if status != 200:
        sys.exit(f"cannot list datasets: {status} {body[:200]!r}")
    pids = [record["pid"] for record in json.loads(body)]
    if not pids:
        sys.exit("the site shows no public datasets: load the demo first (make demo)")
    downloads, download_pids = [], []
    for pid in pids:
        _, html = client.request("GET", f"/datasets/{pid}")
        found = re.findall(rf'"(/datasets/{re.escape(pid)}/files/\d+)"'.encode(), html)
        if found and len(download_pids) < 4:
            downloads.append(found[0].decode())
            download_pids.append(pid)
    client.close()
    facets = quote(json.dumps(["type", "keywords", "instrumentIds"]))
    mix = {
        "search page": [f"/?{urlencode({'q': q})}" for q in SEARCHES],
        "search api+facets": [
            f"/api/search/?{urlencode({'q': q, 'facets': 'instrument,technique'})}"
            for q in SEARCHES
        ],
        "fullfacet": [f"/api/v3/Datasets/fullfacet?facets={facets}"],
        "dataset page": [f"/datasets/{pid}" for pid in pids],
        "api list": [f"/api/v3/Datasets?filter={quote(json.dumps({'limit': 20}))}"],
        "api count": ["/api/v3/Datasets/count"],
        "panosc list": [f"/panosc-api/Datasets?filter={quote(json.dumps({'limit': 10}))}"],
        "download": downloads,
    }
    return {name: paths for name, paths in mix.items() if paths}, download_pids


def user(host, port, mix, licences, deadline, results, lock, offset) -> None:
    client = Client(host, port)
    for pid in licences:
        client.accept_licence(pid)
    names = list(mix)
    local: dict[str, list] = defaultdict(list)
    count = offset
    while time.monotonic() < deadline:
        name = names[count % len(names)]
        paths = mix[name]
        path = paths[(count // len(names)) % len(paths)]
        count += 1
        started = time.perf_counter()
        status, _ = client.request("GET", path)
        local[name].append((time.perf_counter() - started, status))
    client.close()
    with lock:
        for name, samples in local.items():
            results[name].extend(samples)


def run(host, port, users: int, seconds: float, mix, licences=()) -> tuple[dict, float]:
    results: dict[str, list] = defaultdict(list)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=user,
            args=(host, port, mix, licences, deadline, results, lock, number),
            daemon=True,
        )
        for number in range(users)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return results, time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def report(results: dict, elapsed: float) -> tuple[int, int]:
    header = ("requests", "errors", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'endpoint':20} {header[0]:>9} {header[1]:>7}", *(f"{h:>8}" for h in header[2:]))
    total = errors_total = 0
    for name, samples in results.items():
        latencies = [seconds * 1000 for seconds, _ in samples]
        bad = Counter(status for _, status in samples if status not in OK)
        errors_total += sum(bad.values())
        total += len(samples)
        p50 = statistics.median(latencies) if latencies else 0.0
        detail = f"  {dict(bad)}" if bad else ""
        print(
            f"{name:20} {len(samples):>9} {sum(bad.values()):>7} {p50:>8.1f} "
            f"{percentile(latencies, 0.95):>8.1f} {percentile(latencies, 0.99):>8.1f}{detail}"
        )
    return total, errors_total


# --- --start: the production setup on a throwaway database ---------------------------------------


def _free_redis_db() -> int:
    import redis

    for number in range(15, 0, -1):
        if redis.Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2).dbsize() == 0:
            return number
    sys.exit("no empty Redis database on 127.0.0.1:6379")


@contextlib.contextmanager
def production_site(database: str, port: int):
    import psycopg
    import redis

    server = "postgres://postgres@127.0.0.1:5432"
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            sys.exit(f"database {database} exists: drop it or pass another --database")
        conn.execute(f'CREATE DATABASE "{database}"')
    redis_db = _free_redis_db()
    data_dir = Path(tempfile.mkdtemp(prefix="fedcat-load-"))
    env = {
        **os.environ,
        "FEDCAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{server}/{database}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "PORT": str(port),
        "DOWNLOAD_ROOTS": str(data_dir / "demo-files"),
        "ACCESS_LOG": "false",  # 50 users write a lot of lines; the figures come from here
        "DEBUG": "false",
    }
    process = None
    try:
        seconds = demo_load(env)
        print(f"demo loaded into {database} in {seconds:.0f} s", flush=True)
        process = prod_script_start(env, data_dir / "prod.log")
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{base}/-/ready", process, data_dir / "prod.log", START_TIMEOUT)
        yield base
    finally:
        process_group_stop(process, timeout=60)
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running site (default: start scripts/prod.sh)")
    parser.add_argument("--database", default="fedcat_load", help="without --url: made, dropped")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (at most 600)")
    parser.add_argument("--raw-seconds", type=float, default=10.0, help="of /-/live first")
    args = parser.parse_args()
    duration = min(args.duration, 600.0)
    if not args.url:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        site = production_site(args.database, port)
    else:
        site = contextlib.nullcontext(args.url)
    with site as url:
        host, port = loopback_only(url)
        mix, licences = discover(host, port)
        raw, raw_elapsed = run(host, port, args.users, args.raw_seconds, {"/-/live": ["/-/live"]})
        results, elapsed = run(host, port, args.users, duration, mix, licences)

    raw_total = len(raw["/-/live"])
    raw_errors = sum(1 for _, status in raw["/-/live"] if status not in OK)
    raw_rate = raw_total / raw_elapsed
    print(f"raw limit: /-/live, {args.users} users, {raw_elapsed:.1f} s: {raw_rate:.1f} requests/s")
    print(f"mix: {args.users} users, {elapsed:.1f} s, {url}")
    total, errors = report(results, elapsed)
    rate = total / elapsed
    print(f"throughput: {rate:.1f} requests/s ({rate / raw_rate:.0%} of the raw limit)")
    print(f"errors: {errors} of {total} (raw phase: {raw_errors})")
    return 1 if errors or raw_errors else 0


if __name__ == "__main__":
    sys.exit(main())
