"""Load test: N concurrent users for a fixed time against a fedcat on this machine.

    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --users 50 --duration 60

Each user is a thread with its own keep-alive connection that requests the endpoints in turn
(as an anonymous visitor) until the time is up. It prints requests, errors, p50/p95/p99 latency
per endpoint and the overall throughput. Only loopback addresses are accepted: this is for a
site started here (`scripts/prod.sh`), never for someone else's server. The run is bounded by
--duration and by --max-requests per user.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlsplit

ENDPOINTS = [
    "/",
    "/-/live",
    "/-/ready",
    "/api/v3/datasets?filter=%7B%22limit%22%3A20%7D",  # SciCat filter {"limit": 20}
    "/api/v3/datasets/count",
]


def loopback_only(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if parts.scheme != "http":
        sys.exit("only http:// URLs on this machine")
    addresses = {info[4][0] for info in socket.getaddrinfo(host, port)}
    if not all(ipaddress.ip_address(address).is_loopback for address in addresses):
        sys.exit(f"{host} is not a loopback address: this benchmark only targets this machine")
    return host, port


def user(host, port, endpoints, deadline, max_requests, results, lock) -> None:
    local: dict[str, list] = defaultdict(list)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    for count in range(max_requests):
        if time.monotonic() >= deadline:
            break
        path = endpoints[count % len(endpoints)]
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            response.read()
            ok = response.status < 500
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        local[path].append((time.perf_counter() - started, ok))
    connection.close()
    with lock:
        for path, samples in local.items():
            results[path].extend(samples)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (at most 600)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per user")
    parser.add_argument("--endpoint", action="append", help="path to request (repeatable)")
    args = parser.parse_args()
    host, port = loopback_only(args.url)
    duration = min(args.duration, 600.0)
    endpoints = args.endpoint or ENDPOINTS
    results: dict[str, list] = defaultdict(list)
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(
            target=user,
            args=(host, port, endpoints, deadline, args.max_requests, results, lock),
            daemon=True,
        )
        for _ in range(args.users)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    elapsed = time.monotonic() - started

    print(f"{args.users} users, {elapsed:.1f} s, {args.url}")
    header = ("requests", "errors", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'endpoint':32} {header[0]:>9} {header[1]:>7}", *(f"{h:>8}" for h in header[2:]))
    total = 0
    for path in endpoints:
        samples = results.get(path, [])
        latencies = [seconds * 1000 for seconds, _ in samples]
        errors = sum(1 for _, ok in samples if not ok)
        total += len(samples)
        p50 = statistics.median(latencies) if latencies else 0.0
        print(
            f"{path[:32]:32} {len(samples):>9} {errors:>7} {p50:>8.1f} "
            f"{percentile(latencies, 0.95):>8.1f} {percentile(latencies, 0.99):>8.1f}"
        )
    print(f"throughput: {total / elapsed:.1f} requests/s")


if __name__ == "__main__":
    main()
