#!/usr/bin/env python
"""Harvest speed: NeXus and FITS files into the catalogue, next to the raw limit of reading them.

    python bench/harvest.py                          # 2,000 + 2,000 files, 100,000 unchanged
    python bench/harvest.py --unchanged 10000 --database-url postgres://.../fedcat_bench
    python bench/harvest.py --nexus 0 --fits 0 --data-dir /tmp/b --keep --reuse-tree  # re-run only

Generates --nexus NeXus files (about 60 objects each) and --fits FITS images in a throwaway data
dir, then times the full harvest (identification, extraction, database writes; checksums and
previews off) in one process and with --workers processes, next to the raw limit measured in
the same run: a plain h5py walk reading the same fields and astropy reading only the headers,
in one process and in --workers. Then an incremental re-run over --unchanged harvested,
unchanged files next to a bare os.scandir + stat walk of the same tree. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from create_datasets import setup_django
from harvest_files import generate, generate_unchanged, mapping
from harvest_raw import (
    ChildrenCPU,
    bare_walk,
    cpu_seconds,
    fresh_pool_server,
    raw_limit,
    warm_process,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nexus", type=int, default=2000, help="NeXus files to harvest")
    parser.add_argument("--fits", type=int, default=2000, help="FITS files to harvest")
    parser.add_argument("--unchanged", type=int, default=100_000, help="files of the re-run")
    parser.add_argument("--workers", type=int, default=2, help="processes of the parallel run")
    parser.add_argument("--previews", action="store_true", help="also time a run with previews")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else SQLite in --data-dir")
    parser.add_argument("--data-dir", help="FEDCAT_DATA_DIR to use (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument(
        "--reuse-tree",
        action="store_true",
        help="re-run over the unchanged tree a kept --data-dir already holds, harvested before",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the one-process run and a re-run"
    )
    return parser.parse_args(argv)


# --- The harvest ---------------------------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements the harvest sends (connection.execute_wrapper)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_harvest(root: Path, mapping_file: Path, *, workers: int, previews=False, profile=False):
    """(run, wall seconds, SQL statements, CPU seconds) of one harvest of `root` (checksums off).
    CPU counts this process, its database backend and, with workers, every worker and the fork
    server (each parallel run starts its pool's server inside its time, as raw_limit does)."""
    from django.db import connection

    from catalogue.harvest.run import harvest

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    connection.ensure_connection()
    if workers > 1:
        fresh_pool_server()
    with connection.execute_wrapper(counter), ChildrenCPU() as children:
        started, cpu = time.perf_counter(), cpu_seconds()
        if profiler:
            profiler.enable()
        run = harvest(
            [root],
            mapping_file=str(mapping_file),
            workers=workers,
            checksums_on=False,
            previews=previews,
        )
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    cpu += children.seconds
    if run.error or run.failed:
        raise SystemExit(f"harvest of {root} failed: {run.error or run.failed}")
    if profiler:
        print(f"\n--- cProfile of a harvest of {root.name} (tottime, then cumulative)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return run, seconds, counter.count, cpu


def rate(files: int, cpu: float) -> str:
    return f"{files / cpu:,.0f} files per CPU second" if cpu else "CPU time unknown"


def stages(run) -> str:
    """The run's own stage timings, in seconds."""
    keys = ("scan", "load", "plan", "identify", "triage", "mark", "extract_write", "extract_cpu")
    keys += ("write", "remove", "index")
    return ", ".join(f"{k} {run.timings[k]:.1f}" for k in keys if k in run.timings)


# --- Main ----------------------------------------------------------------------------------


def main(argv=None) -> None:
    args = parse_args(argv)
    data_dir, throwaway = setup_django(args)
    from django.db import connection

    files = data_dir / "bench-files"
    results: list[tuple[str, str]] = []

    def line(label: str, text: str) -> None:
        results.append((label, text))
        print(f"{label}: {text}")

    print(f"fedcat harvest bench: {connection.vendor} {connection.settings_dict['NAME']}")
    try:
        if args.nexus + args.fits:
            full_harvest(args, files, line)
        if args.unchanged:
            rerun(args, files, line)
        line("load average (1, 5, 15 min)", ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    finally:
        connection.close()
        if throwaway and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nSummary ({args.nexus:,} NeXus + {args.fits:,} FITS, {args.unchanged:,} unchanged):")
    for label, text in results:
        print(f"  {label:34} {text}")


def full_harvest(args, files: Path, line) -> None:
    """The new files: raw limit, harvest in one process and in --workers."""
    single = files / "one-process"
    paths = generate(single, args.nexus, args.fits)
    total = len(paths)
    copies = {"parallel": files / "parallel"}
    if args.previews:
        copies["previews"] = files / "previews"
    for copy in copies.values():
        shutil.copytree(single, copy)
    mapping_file = mapping(files)
    bare_walk(single)  # the page cache holds every tree from here on
    raw_limit(paths[:50], 1)  # imports h5py and astropy, as the harvest's first file does
    warm_process()
    # Each raw limit is measured before and after the harvest it is compared with, and the
    # faster kept: on a shared machine the load moves between measurements, and this way the
    # ratio errs against the harvest.
    raw_1, raw_1_cpu = raw_limit(paths, 1)
    nexus = [p for p in paths if p.endswith(".nxs")]
    (raw_nexus, _), (raw_fits, _) = raw_limit(nexus, 1), raw_limit(paths[len(nexus) :], 1)
    line(
        "  raw read per file",
        f"NeXus {len(nexus) / raw_nexus:,.0f}/s, FITS {args.fits / raw_fits:,.0f}/s",
    )
    run, seconds, queries, cpu = timed_harvest(
        single, mapping_file, workers=0, profile=args.profile
    )
    again, again_cpu = raw_limit(paths, 1)
    raw_1, raw_1_cpu = min(raw_1, again), min(raw_1_cpu, again_cpu)
    line("raw limit, 1 process", f"{total / raw_1:,.0f} files/s ({rate(total, raw_1_cpu)})")
    rate_1 = total / seconds
    text = f"{rate_1:,.0f} files/s = {rate_1 * raw_1 / total:.2f}x raw"
    line("harvest, 1 process", f"{text} ({rate(total, cpu)} = {raw_1_cpu / cpu:.2f}x raw)")
    line("  stages (s)", stages(run))
    line("  SQL statements", f"{queries / run.new:.1f} per new source")

    cpu_1 = cpu
    raw_n, raw_n_cpu = raw_limit(paths, args.workers)
    run, seconds, _, cpu = timed_harvest(copies["parallel"], mapping_file, workers=args.workers)
    again, again_cpu = raw_limit(paths, args.workers)
    raw_n, raw_n_cpu = min(raw_n, again), min(raw_n_cpu, again_cpu)
    # Gains in wall clock (what "near-linear" means, but only on free cores: at a load above
    # about 1.5 neither gains) and the CPU the parallel run took, all processes counted, next
    # to the one-process run's: its overhead (contention inflates CPU time too, less).
    raw_gain, gain = raw_1 / raw_n, total / seconds / rate_1
    text = f"{total / raw_n:,.0f} files/s = {raw_gain:.2f}x one process"
    line(f"raw limit, {args.workers} processes", f"{text} (CPU {raw_n_cpu / raw_1_cpu:.2f}x)")
    rate_n = total / seconds
    text = f"{rate_n:,.0f} files/s = {rate_n * raw_n / total:.2f}x raw on {args.workers}, "
    text += f"{gain:.2f}x one process (CPU {cpu / cpu_1:.2f}x)"
    line(f"harvest, {args.workers} processes", text)
    text = f"{gain / raw_gain:.2f} (CPU added by the processes: raw {raw_n_cpu - raw_1_cpu:+.2f}"
    line("  gain / raw limit's gain", text + f" s, harvest {cpu - cpu_1:+.2f} s)")
    line("  stages (s)", stages(run))
    if args.previews:
        run, seconds, _, _ = timed_harvest(
            copies["previews"], mapping_file, workers=0, previews=True
        )
        line("harvest with previews, 1 process", f"{total / seconds:,.0f} files/s")


def rerun(args, files: Path, line) -> None:
    """An incremental re-run over --unchanged harvested, unchanged files, next to a bare walk."""
    from catalogue.harvest.snapshot import index_path

    files.mkdir(parents=True, exist_ok=True)
    tree, mapping_file = files / "unchanged", mapping(files)
    if args.reuse_tree and tree.is_dir():
        reset_first_harvest(tree, args.unchanged, mapping_file)
    else:
        generate_unchanged(tree, args.unchanged)
        _, seconds, _, _ = timed_harvest(tree, mapping_file, workers=args.workers)
        line("unchanged tree, first harvest", f"{args.unchanged / seconds:,.0f} files/s")
    walks = [bare_walk(tree) for _ in range(3)]
    walk, walk_cpu = min(w[0] for w in walks), min(w[2] for w in walks)
    assert walks[0][1] == args.unchanged, walks[0]
    # The first re-run finds the records and the tree's index (catalogue/harvest/snapshot.py)
    # as the first harvest left them; later ones as the re-runs leave them (the steady state of
    # a periodic harvest). The last one finds no index (as the first run after an upgrade or a
    # change of the mapping): it reads every record, and writes the index anew.
    reruns = [timed_harvest(tree, mapping_file, workers=args.workers) for _ in range(4)]
    # Trees under snapshot.MIN_FILES get no index: all five re-runs then read every record.
    index_path([str(tree)]).unlink(missing_ok=True)
    reruns.append(timed_harvest(tree, mapping_file, workers=args.workers))
    assert all(r.unchanged == args.unchanged for r, *_ in reruns)
    text = f"{walk:.2f} s = {args.unchanged / walk:,.0f} files/s (CPU {walk_cpu:.2f} s)"
    line("bare scandir + stat", text)
    kinds = ("first re-run, all unchanged", reruns[:1]), ("later re-runs", reruns[1:4])
    for label, runs in (*kinds, ("re-run without an index", reruns[4:])):
        seconds, cpu = min(r[1] for r in runs), min(r[3] for r in runs)
        best = min(runs, key=lambda r: r[1])
        text = f"{seconds:.2f} s = {args.unchanged / seconds:,.0f} files/s"
        text += f" = {seconds / walk:.1f}x the bare walk (CPU {cpu:.2f} s = {cpu / walk_cpu:.1f}x)"
        line(label + ("" if len(runs) == 1 else f" (best of {len(runs)})"), text)
        line("  stages (s)", stages(best[0]) + f"; {best[2]} SQL statements")
    if args.profile:
        timed_harvest(tree, mapping_file, workers=args.workers, profile=True)


def reset_first_harvest(tree: Path, count: int, mapping_file: Path) -> None:
    """The records of a kept tree put back as its first harvest left them (all "new", of that
    run), and its index written as the end of that harvest writes it, so that a re-run over it
    is again a first re-run (--reuse-tree)."""
    from catalogue.harvest import scan, snapshot
    from catalogue.harvest.mapping import load
    from catalogue.harvest.stages import _records
    from catalogue.models import HarvestRecord, HarvestRun

    records = HarvestRecord.objects.filter(source__startswith=f"{tree}/")
    first = next(r for r in HarvestRun.objects.order_by("pk") if r.paths == [str(tree)])
    if first.new != count or records.count() != count:
        raise SystemExit(f"{tree} was not harvested with --unchanged {count}: drop --reuse-tree")
    records.update(state="new", run=first)
    roots, rules = [str(tree)], load(mapping_file)
    known = snapshot.load(roots, rules, _records)
    snapshot.save(known, scan.survey(roots, known.settled), roots, rules)


if __name__ == "__main__":
    main()
