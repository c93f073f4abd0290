#!/usr/bin/env python
"""Creates N realistic datasets through catalogue.services.dataset_bulk_create and compares the
rate with the raw limit of the same database (bare executemany INSERTs of equivalent rows).

    python bench/create_datasets.py --count 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fedcat_bench python bench/create_datasets.py

With no DATABASE_URL/--database-url it runs on SQLite in a throwaway data dir (removed at the
end unless --keep or --data-dir). It runs `migrate` first. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="datasets to create")
    parser.add_argument("--batch-size", type=int, default=2000, help="datasets per transaction")
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else SQLite in --data-dir")
    parser.add_argument("--data-dir", help="FEDCAT_DATA_DIR to use (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument("--raw-sample", type=int, default=100_000, help="rows for the raw limit")
    parser.add_argument("--si-sample", type=int, default=20_000, help="metadata for the SI timing")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the service run")
    parser.add_argument(
        "--phases", action="store_true", help="time the steps of dataset_bulk_create (wall clock)"
    )
    return parser.parse_args(argv)


def setup_django(args) -> tuple[Path, bool]:
    """Points FEDCAT_DATA_DIR/DATABASE_URL where asked, then starts Django and migrates."""
    throwaway = not args.data_dir
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="fedcat-bench-")).resolve()
    os.environ["FEDCAT_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DEBUG"] = "false"  # DEBUG keeps a log of every query
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return data_dir, throwaway


# --- Realistic drafts ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FACILITY_GROUPS = [f"p{n}" for n in range(20001, 20041)] + _words("unx-sls ess-loki bio-cryo")
ACCESS_GROUPS = _words("slsstaff tomcat cSAXS powder loki-team eiger bio-em public-ro")
LOCATIONS = _words("/PSI/SLS/TOMCAT /PSI/SLS/cSAXS /ESS/LoKI /ESRF/ID19 /DESY/P05 /ILL/D22")
PEOPLE = [
    ("Ada Lovelace", "ada@psi.example"),
    ("Grace Hopper", "grace@ess.example"),
    ("Rosalind Franklin", "rosalind@esrf.example"),
    ("Lise Meitner", "lise@desy.example"),
    ("Chien-Shiung Wu", "wu@ill.example"),
    ("Dorothy Hodgkin", "dorothy@diamond.example"),
    ("Marie Curie", "marie@soleil.example"),
    ("Emmy Noether", "emmy@maxiv.example"),
]
KEYWORDS = _words(
    """tomography saxs waxs diffraction powder single-crystal spectroscopy xas xanes exafs imaging
    ptychography battery catalysis protein cryo in-situ operando magnetism thin-film bone concrete
    perovskite calibration commissioning time-resolved high-pressure"""
)
TECHNIQUES = [
    ("PaNET01188", "tomography"),
    ("PaNET01127", "small angle x-ray scattering"),
    ("PaNET01102", "x-ray powder diffraction"),
    ("PaNET01196", "x-ray absorption spectroscopy"),
    ("PaNET01062", "small angle neutron scattering"),
    ("PaNET01172", "ptychography"),
]


def _q(value, unit):
    return {"value": value, "unit": unit}


def _round(rng, low, high, digits=4):
    return round(rng.uniform(low, high), digits)


# (dotted path, maker) pairs; a dataset takes 10-20 of them. Units are as facilities write them.
QUANTITIES = [
    ("beamline.ring_current", lambda r: {"v": _round(r, 390, 402), "u": "mA"}),
    ("beamline.energy", lambda r: _q(_round(r, 8, 40), r.choice(["keV", "keV", "eV"]))),
    ("beamline.wavelength", lambda r: _q(_round(r, 0.5, 2.5), r.choice(["Å", "Angstrom", "nm"]))),
    ("beamline.flux", lambda r: _q(float(f"{r.uniform(1, 9):.2f}e12"), "1/s")),
    ("beamline.slit.width", lambda r: _q(_round(r, 10, 500, 1), r.choice(["um", "µm", "mm"]))),
    ("beamline.slit.height", lambda r: _q(_round(r, 10, 500, 1), "um")),
    ("detector.exposure_time", lambda r: _q(_round(r, 0.001, 2), r.choice(["s", "ms"]))),
    ("detector.distance", lambda r: _q(_round(r, 100, 7000, 1), r.choice(["mm", "m", "cm"]))),
    ("detector.pixel_size", lambda r: _q(r.choice([55, 75, 172, 6.5]), "um")),
    ("detector.frame_rate", lambda r: _q(r.choice([10, 100, 500, 2000]), "Hz")),
    ("detector.binning", lambda r: r.choice([1, 2, 4])),
    ("detector.temperature", lambda r: _q(_round(r, -40, -20, 1), "degC")),
    ("sample.temperature", lambda r: _q(_round(r, 4, 600, 2), r.choice(["K", "K", "degC", "°C"]))),
    (
        "sample.pressure",
        lambda r: _q(_round(r, 0.001, 1000), r.choice(["mbar", "Pa", "bar", "GPa"])),
    ),
    ("sample.mass", lambda r: _q(_round(r, 0.1, 50, 2), "mg")),
    ("sample.thickness", lambda r: _q(_round(r, 0.01, 3), "mm")),
    ("sample.magnetic_field", lambda r: _q(_round(r, 0, 9), r.choice(["T", "mT", "Oe"]))),
    ("sample.humidity", lambda r: _q(_round(r, 0, 95, 1), "percent")),
    ("sample.concentration", lambda r: _q(_round(r, 0.1, 10), "mg/mL")),
    ("sample.name", lambda r: r.choice(["LiFePO4", "lysozyme", "Ni-foam", "cement paste", "Si"])),
    ("scan.angle_range", lambda r: {"type": "quantity_range", "value": [0, 180], "unit": "deg"}),
    ("scan.angular_step", lambda r: _q(r.choice([0.1, 0.12, 0.2]), "deg")),
    ("scan.number_of_projections", lambda r: r.choice([901, 1501, 1801, 3001])),
    ("scan.duration", lambda r: _q(_round(r, 1, 90, 1), r.choice(["min", "s", "h"]))),
    (
        "scan.q_range",
        lambda r: {"value": [_round(r, 0.001, 0.01), _round(r, 0.3, 1)], "unit": "1/A"},
    ),
    ("scan.dose", lambda r: _q(_round(r, 0.1, 30, 2), r.choice(["kGy", "MGy", "Gy"]))),
    ("environment.cell_voltage", lambda r: _q(_round(r, 2.5, 4.3, 3), "V")),
    ("environment.cell_current", lambda r: _q(_round(r, 0.1, 5, 3), "mA")),
    ("environment.heating_rate", lambda r: _q(_round(r, 1, 20, 1), "K/min")),
    ("environment.flow", lambda r: _q(_round(r, 1, 100, 1), "mL/min")),
    ("analysis.intensity_scale", lambda r: _q(_round(r, 0.5, 2), "a.u.")),
    ("analysis.reconstruction", lambda r: r.choice(["gridrec", "FBP", "SIRT"])),
    ("analysis.file_size", lambda r: {"value": r.randint(100, 9000), "unit": ""}),
]


PANET = "http://purl.org/pan-science/PaNET/"


def drafts(count: int, seed: int) -> Iterator[dict]:
    """`count` dataset drafts as a harvester or pyscicat would send them (times as strings).

    In roughly chronological order over ten years, as a facility's history is harvested. Each
    owner group has one proposal per block of 8,000 datasets, about 190 datasets per proposal
    whatever `count` is (a batch of 2,000 touches at most ~90 proposals).
    """
    rng = random.Random(seed)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    step = 10 * 365 * 24 * 3600 / count
    groups_weights = [8 if g.startswith("p") else 3 for g in FACILITY_GROUPS]
    for n in range(count):
        group = rng.choices(FACILITY_GROUPS, groups_weights)[0]
        person, email = rng.choice(PEOPLE)
        created = start + timedelta(seconds=n * step + rng.uniform(0, 6 * 3600))
        ended = created - timedelta(minutes=rng.randint(1, 600))
        location = rng.choice(LOCATIONS)
        technique = rng.choice(TECHNIQUES)
        proposal = f"{n // 8000:05d}{FACILITY_GROUPS.index(group):03d}"
        metadata: dict = {}
        for path, make in rng.sample(QUANTITIES, rng.randint(10, 20)):
            *parents, leaf = path.split(".")
            node = metadata
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = make(rng)
        derived = rng.random() < 0.2
        draft = {
            "type": "derived" if derived else "raw",
            "owner_group": group,
            "access_groups": rng.sample(ACCESS_GROUPS, rng.randint(1, 3)),
            "owner": person,
            "owner_email": email,
            "contact_email": email,
            "principal_investigators": [person],
            "source_folder": f"/data/{group}/{created:%Y/%m}/run{n:07d}/",
            "source_folder_host": "fs.facility.example",
            "creation_time": created.isoformat().replace("+00:00", "Z"),
            "start_time": (ended - timedelta(minutes=rng.randint(5, 240))).isoformat(),
            "end_time": ended.isoformat(),
            "creation_location": location,
            "description": f"{technique[1].capitalize()} of {rng.choice(KEYWORDS)} sample, run {n}",
            "keywords": rng.sample(KEYWORDS, rng.randint(2, 6)),
            "techniques": [{"pid": PANET + technique[0], "name": technique[1]}],
            "proposal_ids": [proposal],
            "sample_ids": [f"sample-{rng.randint(1, 50_000)}"],
            "instrument_ids": [f"instrument{location.replace('/', '-').lower()}"],
            "size": rng.randint(10**6, 5 * 10**11),
            "number_of_files": rng.randint(1, 20_000),
            "data_format": rng.choice(["NeXus", "HDF5", "TIFF", "CBF"]),
            "is_published": rng.random() < 0.1,
            "scientific_metadata": metadata,
        }
        if rng.random() < 0.05:
            draft["shared_with"] = [f"guest{rng.randint(1, 500)}@uni.example"]
        if derived:
            draft["input_datasets"] = [f"fedcat/{uuid.UUID(int=rng.getrandbits(128))}"]
            draft["used_software"] = ["tomopy 1.14", "https://github.com/facility/recon"]
        yield draft


class Timed:
    """Wraps an iterator and counts the time spent producing items (the bench's own cost)."""

    def __init__(self, items, progress):
        self.items, self.progress, self.seconds = iter(items), progress, 0.0

    def __iter__(self):
        return self

    def __next__(self):
        started = time.perf_counter()
        try:
            item = next(self.items)
        finally:
            self.seconds += time.perf_counter() - started
        self.progress.update(1)
        return item


# --- Measurements ----------------------------------------------------------------------------

# Steps of dataset_bulk_create timed by --phases: helpers of catalogue.services.datasets (wrapped
# by name where they exist, so a renamed helper is skipped, not an error) and bulk INSERTs.
PHASE_HELPERS = (
    "_clean_draft",
    "annotate_quantities",
    "_defaults",
    "_terms_for",
    "_count_proposal_datasets",
    "policies_ensure",
    "proposal_embargo_periods",
    "embargo_end_for",
)


@contextmanager
def phase_timers(enabled: bool):
    """Yields {phase: seconds}, filled while the block runs if `enabled`."""
    totals: dict[str, float] = defaultdict(float)
    if not enabled:
        yield totals
        return
    from django.db.models.query import QuerySet

    import catalogue.services.datasets as module

    def timed(name, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - started

        return wrapper

    originals = {name: getattr(module, name) for name in PHASE_HELPERS if hasattr(module, name)}
    bulk_create = QuerySet.bulk_create
    for name, function in originals.items():
        setattr(module, name, timed(name, function))

    def timed_bulk_create(queryset, *args, **kwargs):
        return timed(f"bulk_create {queryset.model.__name__}", bulk_create)(
            queryset, *args, **kwargs
        )

    QuerySet.bulk_create = timed_bulk_create
    try:
        yield totals
    finally:
        QuerySet.bulk_create = bulk_create
        for name, function in originals.items():
            setattr(module, name, function)


def run_services(args) -> tuple[float, float]:
    """Creates the datasets; returns (wall seconds, of which seconds making drafts). Prints the
    profile or the phases when asked."""
    from tqdm import tqdm

    from catalogue.access import SYSTEM
    from catalogue.services import dataset_bulk_create

    with tqdm(total=args.count, unit="ds", smoothing=0.05, mininterval=1) as progress:
        source = Timed(drafts(args.count, args.seed), progress)
        profiler = cProfile.Profile() if args.profile else None
        with phase_timers(args.phases) as phases:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            created = dataset_bulk_create(user=SYSTEM, drafts=source, batch_size=args.batch_size)
            if profiler:
                profiler.disable()
            wall = time.perf_counter() - started
    assert created == args.count, (created, args.count)
    if phases:
        print(f"\nPhases of dataset_bulk_create ({wall - source.seconds:.1f} s without drafts):")
        for name, seconds in sorted(phases.items(), key=lambda item: -item[1]):
            share = 100 * seconds / (wall - source.seconds)
            per = 1e6 * seconds / args.count
            print(f"  {name:28} {seconds:8.1f} s {share:5.1f} % {per:6.0f} µs/dataset")
        print("  (annotate_quantities runs inside _clean_draft, _terms_for before bulk_create)")
    if profiler:
        print("\nTop costs (cProfile, tottime):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print("\nTop costs (cProfile, cumulative):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return wall, source.seconds


def run_raw(args, sample: int) -> tuple[float, float]:
    """Seconds to INSERT `sample` copies of stored rows with bare cursor.executemany, in
    transactions of --batch-size rows like the services, and seconds spent before that turning
    the values into database parameters (json.dumps etc.). The copies are deleted afterwards."""
    from django.db import connection, transaction
    from django.db.models import AutoField
    from django.utils import timezone

    from catalogue.models import Dataset

    fields = [f for f in Dataset._meta.concrete_fields if not isinstance(f, AutoField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {Dataset._meta.db_table} ({columns}) VALUES ({placeholders})"
    now = timezone.now()
    seconds, preparing, last_pk, done = 0.0, 0.0, 0, 0
    while done < sample:
        rows = list(Dataset.objects.filter(pk__gt=last_pk).order_by("pk")[: args.batch_size])
        rows = rows[: sample - done]
        if not rows:
            break
        last_pk = rows[-1].pk
        for row in rows:
            row.pid = f"bench-raw/{uuid.uuid4()}"
            row.created_at = row.updated_at = now
        started = time.perf_counter()
        params = [
            [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
            for row in rows
        ]
        preparing += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
        seconds += time.perf_counter() - started
        done += len(rows)
    Dataset.objects.filter(pid__startswith="bench-raw/").delete()
    if done < sample:
        raise SystemExit(f"only {done} rows to copy for the raw limit")
    return seconds, preparing


def run_si(args) -> float:
    """Seconds per dataset spent in annotate_quantities, over --si-sample drafts' metadata."""
    from catalogue.units import annotate_quantities

    metadata = [d["scientific_metadata"] for d in drafts(args.si_sample, args.seed + 1)]
    started = time.perf_counter()
    for item in metadata:
        annotate_quantities(item)
    return (time.perf_counter() - started) / len(metadata)


def main(argv=None) -> None:
    args = parse_args(argv)
    data_dir, throwaway = setup_django(args)
    from django.db import connection

    from catalogue.models import Dataset, DatasetTerm, HistoryEntry

    where = connection.settings_dict["NAME"]
    print(f"fedcat bench: {args.count:,} datasets, batches of {args.batch_size:,}")
    print(f"database: {connection.vendor} {where} (data dir {data_dir})")
    before = Dataset.objects.count()
    try:
        wall, making = run_services(args)
        service_seconds = wall - making
        sample = min(args.count, args.raw_sample)
        raw_seconds, raw_preparing = run_raw(args, sample)
        si_per_dataset = run_si(args)
        terms = DatasetTerm.objects.count()
        history = HistoryEntry.objects.count()
        total = Dataset.objects.count()
    finally:
        connection.close()
        if throwaway and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    services_rate = args.count / service_seconds
    raw_rate = sample / raw_seconds
    si_share = si_per_dataset * args.count / service_seconds
    print(
        "",
        f"datasets in the table: {before:,} before, {total:,} after",
        f"rows written besides datasets: {terms:,} terms, {history:,} history entries",
        f"drafts generated by the bench: {making:.1f} s (excluded below)",
        f"services (dataset_bulk_create): {args.count:,} in {service_seconds:.1f} s"
        f" = {services_rate:,.0f} datasets/s",
        f"raw limit (executemany INSERT): {sample:,} in {raw_seconds:.1f} s"
        f" = {raw_rate:,.0f} rows/s (+ {raw_preparing:.1f} s encoding the values beforehand:"
        f" {sample / (raw_seconds + raw_preparing):,.0f} rows/s with it)",
        f"ratio services/raw: {services_rate / raw_rate:.3f}"
        f" (the services run at {100 * services_rate / raw_rate:.1f} % of the raw rate)",
        f"SI annotation (annotate_quantities): {1e6 * si_per_dataset:.0f} µs per dataset"
        f" = {100 * si_share:.1f} % of the service time",
        sep="\n",
    )


if __name__ == "__main__":
    main()
