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
import multiprocessing
import os
import pstats
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from create_datasets import setup_django

PROPOSALS = [f"p{20001 + n}" for n in range(20)]
INSTRUMENTS = ["BL13 XALOC", "BL11 NCD-SWEET", "BL22 CLAESS"]
START = datetime(2024, 3, 1, 8, tzinfo=UTC)


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


# --- The files -----------------------------------------------------------------------------


def nexus_tree(n: int) -> dict:
    """A basic NXmx entry of about 60 objects, different for every n."""
    import numpy as np

    from catalogue.demo.files import Field, Link

    start = START + timedelta(minutes=7 * n)
    proposal = PROPOSALS[n % len(PROPOSALS)]

    def group(nx_class, **fields):
        return {"NX_class": nx_class, **fields}

    return {
        "NX_class": "NXentry",
        "title": f"Lysozyme crystal {n % 37}, sweep {n}",
        "definition": "NXmx",
        "experiment_identifier": proposal,
        "entry_identifier": str(100_000 + n),
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=5)).isoformat(),
        "user": group("NXuser", name="Ada Lovelace", email="ada@uni.example", role="PI"),
        "instrument": group(
            "NXinstrument",
            name=INSTRUMENTS[n % len(INSTRUMENTS)],
            source=group(
                "NXsource",
                name="ALBA",
                type="Synchrotron X-ray Source",
                probe="x-ray",
                current=Field(250.0 - n % 10, "mA"),
                energy=Field(3.0, "GeV"),
            ),
            monochromator=group(
                "NXmonochromator",
                wavelength=Field(0.979, "Angstrom"),
                energy=Field(12.66, "keV"),
                wavelength_spread=0.0002,
            ),
            attenuator=group("NXattenuator", type="Al", thickness=Field(0.1, "mm")),
            collimator=group("NXcollimator", type="slit", divergence_x=Field(0.1, "mrad")),
            beam=group("NXbeam", incident_wavelength=Field(0.979, "Angstrom"), flux=1.2e12),
            detector=group(
                "NXdetector",
                description="Pilatus 6M",
                distance=Field(0.25, "m"),
                count_time=Field(0.1, "s"),
                x_pixel_size=Field(172, "um"),
                y_pixel_size=Field(172, "um"),
                beam_center_x=Field(1231.5, "pixel"),
                beam_center_y=Field(1263.5, "pixel"),
                sensor_material="Si",
                sensor_thickness=Field(450, "um"),
                data=np.arange(12 * 20, dtype="u2").reshape(12, 20) + n % 100,
            ),
            goniometer=group(
                "NXtransformations",
                omega=Field(np.linspace(0, 36, 10), "deg"),
                phi=Field(0.0, "deg"),
                kappa=Field(0.0, "deg"),
            ),
        ),
        "sample": group(
            "NXsample",
            name=f"lysozyme-{n % 37:02d}",
            chemical_formula="C613H959N193O185S10",
            temperature=Field(100.0, "K"),
            unit_cell=Field([79.1, 79.1, 38.0, 90, 90, 90], ""),
            space_group="P43212",
            description="tetragonal lysozyme, cryo-cooled",
            situation="air",
            mass=Field(0.02, "mg"),
            preparation_date="2024-02-28T12:00:00Z",
            short_title=f"lyso-{n % 37:02d}",
        ),
        "data": group(
            "NXdata", **{"@signal": "data"}, data=Link("/entry/instrument/detector/data")
        ),
    }


FITS_CARDS = [
    ("TELESCOP", "KO-T12"),
    ("INSTRUME", "KO-T12 Imager"),
    ("OBSERVER", "Dave Kowalski"),
    ("FILTER", "r'"),
    ("EXPTIME", 300.0, "[s] exposure time"),
    ("AIRMASS", 1.21),
    ("CCD-TEMP", -100.0, "[degC]"),
    ("RADESYS", "ICRS"),
    ("EQUINOX", 2000.0),
    ("CTYPE1", "RA---TAN"),
    ("CTYPE2", "DEC--TAN"),
    ("CRPIX1", 32.5),
    ("CRPIX2", 32.5),
    ("CDELT1", -8.3e-5),
    ("CDELT2", 8.3e-5),
]


def fits_cards(n: int) -> list[tuple]:
    start = START + timedelta(minutes=6 * n)
    return [
        ("OBJECT", f"Field {n % 50}"),
        ("DATE-OBS", start.strftime("%Y-%m-%dT%H:%M:%S")),
        ("PROPOSID", PROPOSALS[n % len(PROPOSALS)]),
        ("CRVAL1", 270.0 + n % 50 / 10),
        ("CRVAL2", -30.0),
        *FITS_CARDS,
    ]


def header_only_fits(n: int) -> bytes:
    """A FITS file with no data: one 2,880-byte header block (the unchanged tree's files)."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8"]
    cards += ["NAXIS   =                    0", f"OBJECT  = 'Frame {n}'", "END"]
    header = b"".join(card.encode("ascii").ljust(80) for card in cards)
    return header.ljust(2880, b" ")


def generate(root: Path, nexus: int, fits: int) -> list[str]:
    import numpy as np
    from tqdm import tqdm

    from catalogue.demo.files import fits_write, nexus_write

    paths = []
    rng = np.random.default_rng(1)
    with tqdm(total=nexus + fits, desc="files", unit="file", mininterval=1) as bar:
        for n in range(nexus):
            path = root / PROPOSALS[n % len(PROPOSALS)] / f"sweep_{n:06d}.nxs"
            paths.append(str(nexus_write(path, {"entry": nexus_tree(n)})))
            bar.update()
        for n in range(fits):
            path = root / "sky" / PROPOSALS[n % len(PROPOSALS)] / f"frame_{n:06d}.fits"
            image = rng.normal(1000, 30, (64, 64)).astype("i2")
            paths.append(str(fits_write(path, fits_cards(n), image)))
            bar.update()
    return paths


def generate_unchanged(root: Path, count: int) -> None:
    from tqdm import tqdm

    for n in tqdm(range(count), desc="unchanged tree", unit="file", mininterval=1):
        folder = root / PROPOSALS[n % len(PROPOSALS)] / f"night{n // 1000:03d}"
        if n % 1000 < len(PROPOSALS):
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"frame_{n:07d}.fits").write_bytes(header_only_fits(n))


def mapping(root: Path) -> Path:
    """Owner group and proposal from the folder, as a site's mapping does."""
    path = root / "mapping.json"
    rule = {"pattern": r"/(?P<p>p\d{5})/", "owner_group": "{p}", "proposal_id": "{p}"}
    body = {"owner_group": "bench", "contact_email": "data@facility.example", "rules": [rule]}
    import json

    path.write_text(json.dumps(body))
    return path


# --- The raw limit -------------------------------------------------------------------------


def raw_read(path: str) -> int:
    """What any reader must do, and nothing more: for NeXus, a plain walk with h5py's low-level
    API (the fastest h5py offers) reading every attribute and every small value; for FITS,
    astropy parsing every header card. Returns the number of values read."""
    if not path.endswith(".nxs"):
        from astropy.io import fits

        with fits.open(path, lazy_load_hdus=True, memmap=False) as hdul:
            return sum(len([card.value for card in hdu.header.cards]) for hdu in hdul)
    import h5py
    import numpy as np
    from h5py import h5a, h5d, h5l, h5o, h5s, h5t

    values = []

    def read_attributes(oid):
        for index in range(h5a.get_num_attrs(oid)):
            aid = h5a.open(oid, index=index)
            value = np.zeros(aid.shape, dtype=aid.dtype)
            aid.read(value, mtype=h5t.py_create(aid.dtype))
            values.append(value)

    def visit(name, info):
        if info.type == h5l.TYPE_HARD:
            oid = h5o.open(f.id, name)
            read_attributes(oid)
            small = isinstance(oid, h5d.DatasetID) and oid.shape is not None
            if small and int(np.prod(oid.shape)) <= 1000:
                value = np.zeros(oid.shape, dtype=oid.dtype)
                oid.read(h5s.ALL, h5s.ALL, value, mtype=h5t.py_create(oid.dtype))
                values.append(value)

    with h5py.File(path, "r", locking=False) as f:
        read_attributes(f.id)
        f.id.links.visit(visit, info=True)
    return len(values)


def raw_chunk(paths: list[str]) -> int:
    return sum(raw_read(path) for path in paths)


def warm_units() -> None:
    """Builds the unit registry (pint) the harvest's first write builds, once a process (about
    0.3 s): like the imports above, a one-off of the process, not a cost of each file."""
    from catalogue.units import annotate_quantities

    annotate_quantities({"length": {"value": 1, "unit": "mm"}})


def cpu_seconds() -> float:
    """CPU time of this process plus, on PostgreSQL, of its server backend (read from /proc):
    what a one-process run costs, whatever else the machine is doing."""
    from django.db import connection

    total = time.process_time()
    if connection.vendor == "postgresql" and connection.connection is not None:
        try:
            fields = Path(f"/proc/{connection.connection.info.backend_pid}/stat").read_text()
            utime, stime = fields.rsplit(")", 1)[1].split()[11:13]
            total += (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def raw_limit(paths: list[str], processes: int) -> tuple[float, float]:
    """(wall, CPU) seconds to read `paths` raw, in this process or a spawned pool (started inside
    the time, as the harvest's; CPU is then not known and given as 0)."""
    started, cpu = time.perf_counter(), time.process_time()
    if processes <= 1:
        raw_chunk(paths)
    else:
        chunks = [paths[i : i + 64] for i in range(0, len(paths), 64)]
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            pool.map(raw_chunk, chunks)
    cpu = time.process_time() - cpu if processes <= 1 else 0.0
    return time.perf_counter() - started, cpu


def bare_walk(root: Path) -> tuple[float, int, float]:
    """Seconds for os.scandir + one stat per file over the tree, the files seen, CPU seconds."""
    started, cpu, files, stack = time.perf_counter(), time.process_time(), 0, [str(root)]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for item in listing:
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                else:
                    item.stat()
                    files += 1
    return time.perf_counter() - started, files, time.process_time() - cpu


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
    CPU counts this process (and its database backend), so it means the whole cost only with
    workers=0."""
    from django.db import connection

    from catalogue.harvest.run import harvest

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    connection.ensure_connection()
    with connection.execute_wrapper(counter):
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
    warm_units()
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

    raw_n, _ = raw_limit(paths, args.workers)
    run, seconds, _, _ = timed_harvest(copies["parallel"], mapping_file, workers=args.workers)
    raw_n = min(raw_n, raw_limit(paths, args.workers)[0])
    line(f"raw limit, {args.workers} processes", f"{total / raw_n:,.0f} files/s")
    rate_n = total / seconds
    text = f"{rate_n:,.0f} files/s = {rate_n * raw_n / total:.2f}x raw on {args.workers}"
    line(f"harvest, {args.workers} processes", f"{text}, {rate_n / rate_1:.2f}x one process")
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
    index_path([str(tree)]).unlink()
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
