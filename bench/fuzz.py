"""Fuzzing: schemathesis against the OpenAPI schemas of the SciCat API and the PaNOSC API.

    .venv/bin/python bench/fuzz.py                   # own site on SQLite, the full run (>= 5,000)
    .venv/bin/python bench/fuzz.py --examples 3 --phases fuzzing       # a quick one
    .venv/bin/python bench/fuzz.py --database-url postgres://postgres@127.0.0.1:5432/fedcat_fuzz

Without --url it starts a site of its own, as in production (gunicorn, DEBUG off), in a new
temporary FEDCAT_DATA_DIR with the demo catalogue, and deletes both at the end. Its database is
SQLite in that dir, or the PostgreSQL database named by --database-url, which it creates and
drops (it refuses one that exists). With --url it fuzzes a site you started (loopback only; the
writes land in its database): pass --token for the signed-in runs.

Four runs of `st run`, each on every operation of its schema: the SciCat API (/api/schema/)
anonymous and with an admin token, the PaNOSC API (/panosc-api/openapi.json) anonymous and with
the token. Checks: no 5xx, status codes, content types, headers and bodies as documented
(CHECKS). The requests are counted by the site itself (fedcat_http_requests_total on /metrics),
so every request schemathesis sent is in the figures, with its status. It prints the counts and
exits 1 on any 5xx, any check failure or any schemathesis error.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sites import demo_load, process_group_stop, wait_until_answers

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "use_after_free",
    "ensure_resource_availability",
)
# Signing out would end the token the signed-in runs use.
SIGNED_IN_EXCLUDE = r"/(auth|users)/logout"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loopback_only(url: str) -> str:
    parts = urlsplit(url)
    addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    if parts.scheme != "http" or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        sys.exit(f"{url}: only http:// on a loopback address (a site on this machine)")
    return url.rstrip("/")


def http(method: str, url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- the site ------------------------------------------------------------------------------------


def _postgres(url: str, sql: str) -> None:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql)


def _database_exists(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", connect_timeout=10) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        return conn.execute(query, [name]).fetchone() is not None


@contextlib.contextmanager
def own_site(database_url: str | None, workers: int, log=print):
    """A fresh site with the demo catalogue under gunicorn; yields (base URL, admin token)."""
    data_dir = Path(tempfile.mkdtemp(prefix="fedcat-fuzz-"))
    name = database_url.rpartition("/")[2] if database_url else ""
    if database_url:
        if _database_exists(database_url):
            sys.exit(f"database {name} exists: name one this run may create and drop")
        _postgres(database_url, f'CREATE DATABASE "{name}"')
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "FEDCAT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url or f"sqlite:///{data_dir / 'fedcat.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",  # tasks wait in the data dir; no worker runs
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_WORKERS": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "metrics"),
        "METRICS_TOKEN": "",
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",
    }
    for variable in ("ACCESS_LOG", "SEARCH_BACKEND", "ELASTICSEARCH_URL", "HTTPS"):
        env.pop(variable, None)
    (data_dir / "metrics").mkdir()
    server = None
    try:
        log(f"site: migrated and loaded the demo in {demo_load(env):.0f} s")
        server_log = data_dir / "gunicorn.log"
        with open(server_log, "wb") as output:
            server = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "portal.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(f"{base}/-/live", server, server_log, START_TIMEOUT)
        credentials = json.loads((data_dir / "demo_credentials.json").read_text())
        token = login(base, "admin", credentials["admin"])
        yield base, token, server_log
    finally:
        process_group_stop(server, timeout=30)
        if database_url:
            _postgres(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


def login(base: str, username: str, password: str) -> str:
    status, body = http(
        "POST", f"{base}/api/v3/auth/login", {"username": username, "password": password}
    )
    if status not in (200, 201):
        sys.exit(f"login as {username} failed: {status} {body[:300]!r}")
    return json.loads(body)["id"]


def served_requests(base: str) -> Counter:
    """Requests the site has answered so far, by status class ("2xx", ...), from /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    status, body = http("GET", f"{base}/metrics")
    if status != 200:
        return Counter()
    counts: Counter = Counter()
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "fedcat_http_requests_total":
                counts[f"{sample.labels['status'][:1]}xx"] += int(sample.value)
    return counts


# --- schemathesis --------------------------------------------------------------------------------


def schemathesis_run(name: str, schema_url: str, api_url: str, args, report_dir: Path, extra=()):
    """One `st run`; returns its JSON report (and prints its output to a file on failure)."""
    report = report_dir / f"{name}.json"
    command = [
        str(VENV_BIN / "st"), "run", schema_url, "--url", api_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(args.examples),
        "--workers", str(args.concurrency),
        "--seed", str(args.seed),
        "--phases", args.phases,
        "--suppress-health-check", "filter_too_much,too_slow",
        "--request-timeout", "30",
        "--report", "json", "--report-json-path", str(report),
        "--output-truncate", "true",
        *extra,
    ]  # fmt: skip
    output = report_dir / f"{name}.txt"
    with open(output, "wb") as out:
        subprocess.run(command, cwd=report_dir, stdout=out, stderr=subprocess.STDOUT, check=False)
    if not report.exists():
        sys.exit(f"{name}: schemathesis wrote no report\n{output.read_text()[-4000:]}")
    data = json.loads(report.read_text())
    data["output"] = str(output)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="fuzz this running site instead of starting one")
    parser.add_argument("--token", help="with --url: an admin API token for the signed-in runs")
    parser.add_argument("--database-url", help="PostgreSQL database to create, use and drop")
    parser.add_argument("--examples", type=int, default=5, help="per operation and phase")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    # One: Hypothesis' lambda-source cache is not thread-safe, so with more the tool itself
    # sometimes fails a test case ("Runtime Error: Inconsistent results").
    parser.add_argument("--concurrency", type=int, default=1, help="schemathesis workers")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report-dir", type=Path, help="keep the reports here")
    parser.add_argument("--json", type=Path, help="write the summary as JSON to this file")
    args = parser.parse_args()
    report_dir = args.report_dir or Path(tempfile.mkdtemp(prefix="fedcat-fuzz-report-"))
    report_dir.mkdir(parents=True, exist_ok=True)
    if args.url:
        site = contextlib.nullcontext((loopback_only(args.url), args.token, None))
    else:
        site = own_site(args.database_url, args.gunicorn_workers)
    started = time.monotonic()
    with site as (base, token, server_log):
        before = served_requests(base)
        runs = [("scicat-anonymous", f"{base}/api/schema/?format=json", base, ())]
        if token:
            signed_in = (
                "-H",
                f"Authorization: Bearer {token}",
                "--exclude-path-regex",
                SIGNED_IN_EXCLUDE,
            )
            runs.append(("scicat-admin", f"{base}/api/schema/?format=json", base, signed_in))
        panosc = (f"{base}/panosc-api/openapi.json", f"{base}/panosc-api")
        runs.append(("panosc-anonymous", *panosc, ()))
        if token:
            runs.append(("panosc-admin", *panosc, ("-H", f"Authorization: Bearer {token}")))
        results = {}
        for name, schema_url, api_url, extra in runs:
            t0 = time.monotonic()
            results[name] = schemathesis_run(name, schema_url, api_url, args, report_dir, extra)
            results[name]["seconds"] = time.monotonic() - t0
            print(_line(name, results[name]), flush=True)
        served = served_requests(base) - before
        tracebacks = (
            server_log.read_text(errors="replace").count("Traceback") if server_log else None
        )
    summary = _summary(results, served, tracebacks, time.monotonic() - started, report_dir)
    print(_format(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


def _failures(report: dict) -> Counter:
    return Counter({f"{f['code']} {f['title']}": f["count"] for f in report["failures"]})


def _errors(report: dict) -> Counter:
    return Counter({e["title"]: e["count"] for e in report["errors"]})


def _line(name: str, report: dict) -> str:
    cases = report["test_cases"]["generated"]
    failures, errors = sum(_failures(report).values()), sum(_errors(report).values())
    return (
        f"{name:18} {report['operations']['tested']:>4} operations {cases:>6} test cases "
        f"{failures:>3} failures {errors:>3} errors {report['seconds']:>6.0f} s"
    )


def _summary(results: dict, served: Counter, tracebacks, seconds: float, report_dir) -> dict:
    failures = sum((_failures(r) for r in results.values()), Counter())
    errors = sum((_errors(r) for r in results.values()), Counter())
    server_errors = served.get("5xx", 0) + failures.get("ST101 Server error", 0)
    return {
        "runs": {
            name: {
                "operations": r["operations"]["tested"],
                "test_cases": r["test_cases"]["generated"],
                "failures": dict(_failures(r)),
                "errors": dict(_errors(r)),
                "seconds": round(r["seconds"], 1),
                "output": r["output"],
            }
            for name, r in results.items()
        },
        "test_cases": sum(r["test_cases"]["generated"] for r in results.values()),
        "requests": sum(served.values()),
        "requests_by_status": dict(sorted(served.items())),
        "server_errors": served.get("5xx", 0),
        "violations": sum(failures.values()) - failures.get("ST101 Server error", 0),
        "failures": dict(failures),
        "errors": dict(errors),
        "server_tracebacks": tracebacks,
        "seconds": round(seconds, 1),
        "reports": str(report_dir),
        "ok": server_errors == 0 and not failures and not errors,
    }


def _format(s: dict) -> str:
    by_status = ", ".join(f"{k}: {v}" for k, v in s["requests_by_status"].items())
    lines = [
        f"requests answered: {s['requests']} ({by_status}) for {s['test_cases']} test cases "
        f"in {s['seconds']:.0f} s",
        f"5xx responses: {s['server_errors']}   check failures (schema violations): "
        f"{s['violations']}   schemathesis errors: {sum(s['errors'].values())}",
    ]
    for title, count in {**s["failures"], **s["errors"]}.items():
        lines.append(f"  {count:>4}  {title}")
    lines.append(f"reports: {s['reports']}")
    lines.append("OK" if s["ok"] else "FAILED")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
