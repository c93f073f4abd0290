#!/usr/bin/env python
"""Times the federated search against partners on loopback with injected latencies.

    .venv/bin/python bench/federation.py                  # 100 searches per case
    .venv/bin/python bench/federation.py --requests 300 --latencies 10,40,80,120,200

Five PaNOSC partners answer after 10, 50, 100, 150 and 200 ms (an asyncio server in a child
process, keep-alive, 25 records per answer); a sixth is dead: either its port refuses
connections, or it accepts and never answers (hung, timeout --dead-timeout). In the same run
the slowest live partner is timed on its own, with a plain httpx client: the floor a federated
search cannot beat. The federated search is timed through the service (search.federation,
remote partners only) and through the whole endpoint (/panosc-api/federated/Datasets in-process
via Django's test client, the local catalogue included). Caching is off, so every search asks
every partner. Goals: p95 overhead over the slowest partner under 15 ms; a hung partner costs
no more than its timeout. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from create_datasets import setup_django

GOAL_MS = 15.0
RECORDS = 25


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed searches per case")
    parser.add_argument("--warmup", type=int, default=10, help="untimed searches per case first")
    parser.add_argument("--latencies", default="10,50,100,150,200", help="ms, one per partner")
    parser.add_argument("--dead-timeout", type=float, default=0.3, help="s, the dead one's")
    parser.add_argument("--timeout", type=float, default=2.0, help="s, the live partners'")
    parser.add_argument("--data-dir", help="FEDCAT_DATA_DIR (default: a new temp dir)")
    parser.add_argument("--database-url", help="default: SQLite in the data dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    return parser.parse_args(argv)


# --- the partners (a child process) --------------------------------------------------------------
def _bodies(name: str) -> tuple[bytes, bytes]:
    records = [
        {
            "pid": f"{name}/{n}",
            "title": f"Lysozyme dataset {n} at {name}",
            "isPublic": True,
            "creationDate": f"2024-01-{n % 28 + 1:02d}T00:00:00.000Z",
            "size": 1000 * n,
            "score": round(0.9 - n * 0.02, 3),
        }
        for n in range(RECORDS)
    ]
    return json.dumps(records).encode(), b'{"count": 25}'


async def _partner(reader, writer, *, latency: float, name: str) -> None:
    listing, count = _bodies(name)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(latency)
            path = head.split(b" ", 2)[1].split(b"?")[0]
            body = count if path.endswith(b"/count") else listing
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _hung(reader, writer) -> None:
    await reader.read()  # never answers; returns when the client gives up
    writer.close()


def _serve(latencies: list[float], ports) -> None:
    """Serves the partners; sends their ports (live ones, then the hung one) through `ports`."""

    async def main():
        servers = []
        for index, latency in enumerate(latencies):
            handler = functools.partial(_partner, latency=latency, name=f"p{index}")
            servers.append(await asyncio.start_server(handler, "127.0.0.1", 0, backlog=512))
        servers.append(await asyncio.start_server(_hung, "127.0.0.1", 0, backlog=512))
        ports.send([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


def start_partners(latencies: list[float]) -> tuple[multiprocessing.Process, list[int]]:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_serve, args=(latencies, sender), daemon=True)
    process.start()
    if not receiver.poll(30):
        raise SystemExit("the partner servers did not start")
    return process, receiver.recv()


def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- timing -----------------------------------------------------------------------------------
def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main(argv=None) -> None:
    args = parse_args(argv)
    latencies = [float(ms) / 1000 for ms in args.latencies.split(",")]
    process, ports = start_partners(latencies)  # forked before Django and its threads start
    live, hung = ports[:-1], ports[-1]
    os.environ["FEDERATION_ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["FEDERATION_CACHE_SECONDS"] = "0"
    os.environ["FEDERATION_BREAKER_FAILURES"] = "1000000"  # the dead one is asked every time
    setup_django(args)

    import httpx
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.test import Client

    from search.federation.query import from_panosc
    from search.federation.service import federated_search

    def partners(extra: dict | None = None) -> str:
        entries = [
            {"name": f"p{i}", "type": "panosc", "url": f"http://127.0.0.1:{port}/api"}
            | {"timeout": args.timeout}
            for i, port in enumerate(live)
        ]
        return json.dumps(entries + ([extra] if extra else []))

    flt = {"query": "lysozyme", "limit": RECORDS}
    query = from_panosc("Datasets", flt)
    user = AnonymousUser()

    def service():
        result = federated_search(user, query, local=False)
        assert len(result.items) == RECORDS, [s.status for s in result.statuses]
        return result

    slowest = max(range(len(latencies)), key=lambda i: latencies[i])
    direct_url = f"http://127.0.0.1:{live[slowest]}/api/Datasets"
    client = httpx.Client()
    web = Client()

    def direct():
        client.get(direct_url, params={"filter": json.dumps(flt)}).raise_for_status()

    def endpoint():
        response = web.get("/panosc-api/federated/Datasets", {"filter": json.dumps(flt)})
        assert response.status_code == 200, response.content[:300]

    dead = {"type": "panosc", "timeout": args.dead_timeout}
    refusing = dead | {"name": "refusing", "url": f"http://127.0.0.1:{refused_port()}/api"}
    hanging = dead | {"name": "hung", "url": f"http://127.0.0.1:{hung}/api"}
    hung_label = f"service, 5 live + 1 hung ({args.dead_timeout * 1000:.0f} ms)"
    cases = {  # name: (FEDERATION_PARTNERS, the call); measured in turns, so that the
        # machine's noise falls on every case alike
        "slowest live partner alone (httpx)": (None, direct),
        "service, 5 live": (partners(), service),
        "service, 5 live + 1 refusing": (partners(refusing), service),
        hung_label: (partners(hanging), service),
        "endpoint, no partners (local only)": ("[]", endpoint),
        "endpoint, 5 live + local": (partners(), endpoint),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for turn in range(args.warmup + args.requests):
        for name, (partner_setting, call) in cases.items():
            if partner_setting is not None:
                settings.FEDERATION_PARTNERS = partner_setting
            started = time.perf_counter()
            call()
            if turn >= args.warmup:
                samples[name].append(time.perf_counter() - started)
    process.terminate()
    client.close()
    report(args, {name: percentiles(found) for name, found in samples.items()}, hung_label)


def report(args, results: dict, hung_label: str) -> None:
    names = list(results)
    _, floor95 = results[names[0]]
    local50, local95 = results["endpoint, no partners (local only)"]
    print(f"\npartners answer after {args.latencies} ms; {args.requests} searches per case")
    print(f"\n{'case':<40} {'p50 ms':>8} {'p95 ms':>8} {'bound ms':>9} {'p95 over':>9}")
    ok = True
    for name, (p50, p95) in results.items():
        if name == names[0] or "no partners" in name:
            print(f"{name:<40} {p50:>8.1f} {p95:>8.1f}")
            continue
        bound = max(args.dead_timeout * 1000, floor95) if name == hung_label else floor95
        over = p95 - bound
        if name.startswith("service"):
            ok &= over < GOAL_MS
        print(f"{name:<40} {p50:>8.1f} {p95:>8.1f} {bound:>9.1f} {over:>+9.1f}")
    print(
        f"\nbound: the slowest live partner's own p95 in this run, or the hung partner's "
        f"timeout when larger.\nGoal, for the federation (service rows): p95 over the bound "
        f"< {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'}. The endpoint rows add Django's "
        f"request handling and the local search (alone: p50 {local50:.1f}, p95 {local95:.1f} ms)."
    )


if __name__ == "__main__":
    main()
