"""The stages of one harvest run, in order: scan, identify, plan, extract and write, removed,
checksums (see run.py for the entry points and docs/harvest.md for what each outcome means).

Workers (pool.py) only read files; every write happens here, in this process, through
catalogue.services.harvest: ``batch_size`` sources per transaction (new ones written together,
harvest_sources_save), so a failure costs one source and a kill costs at most the open batch.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections import Counter
from functools import partial, reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from catalogue.models import DataFile, HarvestRecord, HarvestRun, HarvestRunStatus, HarvestState

from . import checksums, ingest, scan, snapshot
from .batches import Batch, paused_gc
from .known import Records
from .mapping import Mapping, MappingError, parse
from .pool import CRASHED, Pool

CHECKSUM_PAGE = 2000  # DataFile rows fetched per query of the checksum stage
CHECKSUM_CHUNK = 32  # files per worker call
IDENTIFY_CHUNK = 64  # files per worker call
EXTRACT_CHUNK = 8  # sources per worker call


class HarvestError(Exception):
    """The run cannot go on (a missing root, a bad mapping or option); the message says why."""


def _roots_q(roots: list[str]) -> Q:
    return reduce(or_, (Q(source=r) | Q(source__startswith=r.rstrip("/") + "/") for r in roots))


def _bar(progress: bool, total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="", disable=not progress, leave=True, smoothing=0.1)


class Harvest:
    def __init__(self, run: HarvestRun, progress: bool):
        self.run, self.progress = run, progress
        options = run.options
        self.roots = list(run.paths)
        try:
            mapping = parse(options.get("mapping"))
        except MappingError as exc:
            raise HarvestError(str(exc)) from exc
        overrides = {k: options[k] for k in ("owner_group", "group_by") if options.get(k)}
        self.mapping: Mapping = dataclasses.replace(mapping, **overrides)
        self.alg = options.get("checksum_alg", "") if options.get("checksums") else ""
        self.previews = options.get("previews", True)
        self.batch_size = options.get("batch_size", 50)
        workers = options.get("workers", 1)
        if multiprocessing.current_process().daemon:  # e.g. a Celery prefork child
            workers = 1
        self.workers = workers
        self.counts: Counter = Counter()
        self.timings: dict[str, float] = {}
        self.unreadable: list[str] = []

    # --- the stages --------------------------------------------------------------------

    def go(self) -> None:
        from catalogue.services.harvest import harvest_run_update

        with Pool(self.workers) as pool:
            with paused_gc():  # a million small objects, no cycles: the collector only slows
                records = self._timed("load", self._records)
                found = self._timed("scan", self._scan, records.settled)
                self._timed("plan", self._settle, found, records)
                group_by = self.mapping.group_by_for
                fresh = self._timed("plan", scan.fresh, found.rest, records.files, group_by)
                identities = self._timed("identify", self._identify, pool, fresh)
                units = self._timed("plan", self._plan, found, records, identities)
                jobs = self._timed("triage", self._triage, units)
            self._timed("extract_write", self._extract_and_write, pool, jobs)
            self._timed("remove", self._remove, records, units, found)
            self._timed("index", snapshot.save, records, found, self.roots, self.mapping)
            if self.alg:
                self._timed("checksums", self._checksums, pool)
        harvest_run_update(
            run=self.run,
            status=HarvestRunStatus.FINISHED,
            finished_at=timezone.now(),
            timings={k: round(v, 4) for k, v in self.timings.items()},
            **{name: self.counts[name] for name in [*HarvestState.values, "checksummed"]},
        )

    def _timed(self, name: str, fn, *args):
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def _records(self) -> Records:
        return snapshot.load(self.roots, self.mapping, _records)

    def _scan(self, settled: dict) -> scan.Survey:
        from catalogue.services.harvest import harvest_run_update

        try:
            found = scan.survey(self.roots, settled, self.unreadable)
        except FileNotFoundError as exc:
            raise HarvestError(str(exc)) from exc
        harvest_run_update(run=self.run, files=found.files)
        return found

    def _settle(self, found: scan.Survey, records: Records) -> None:
        """Counts the single-file sources the walk found as the last harvest left them (see
        Records): their files are not opened, nothing is planned or written for them."""
        mapping = self.mapping
        if mapping.group_by != "file" or any(rule.group_by for rule in mapping.rules):
            # A folder that is one source holds every file in it, its settled files too.
            for path in [p for p in found.rest if mapping.group_by_for(p) == "directory"]:
                for other in found.same.pop(path[: path.rfind("/")] or "/", []):
                    found.rest[other] = records.unsettle(other)
        skips = records.skips
        for paths in found.same.values():
            skipped = len(skips.intersection(paths)) if skips else 0
            self.counts[HarvestState.SKIPPED] += skipped
            self.counts[HarvestState.UNCHANGED] += len(paths) - skipped

    def _unsettle(self, found: scan.Survey, records: Records, path: str) -> None:
        found.same[path[: path.rfind("/")] or "/"].remove(path)
        found.rest[path] = records.unsettle(path)
        skipped = path in records.skips
        self.counts[HarvestState.SKIPPED if skipped else HarvestState.UNCHANGED] -= 1

    def _plan(self, found: scan.Survey, records: Records, identities: dict) -> list:
        group_by = self.mapping.group_by_for
        while True:
            units = scan.plan(found.rest, records.files, records, identities, group_by)
            # A series named like a settled file (a file called data_%T.h5) takes it in, as
            # when every file was planned.
            taken = [u.source for u in units if u.kind == "series" and _settled(found, u.source)]
            if not taken:
                break
            for path in taken:
                self._unsettle(found, records, path)
        self._attach_known(units)
        return units

    def _attach_known(self, units: list[scan.Unit]) -> None:
        """Records of sources outside the roots' prefixes (a series given by one file)."""
        from catalogue.services.harvest import source_key

        missing = {source_key(u.source): u for u in units if u.known is None}
        keys = list(missing)
        fields = ("key", "id", "source", "kind", "fingerprints", "placement", "state", "dataset_id")
        for start in range(0, len(keys), 500):
            rows = HarvestRecord.objects.filter(key__in=keys[start : start + 500])
            for key, pk, source, kind, prints, placement, state, has in rows.values_list(*fields):
                known = scan.Known(pk, source, kind, prints, placement, state, has is not None)
                missing[key].known = known

    def _identify(self, pool: Pool, paths: list[str]) -> dict[str, scan.Identity]:
        """Identities of new and changed files, IDENTIFY_CHUNK files per worker call; a chunk
        that kills its worker is identified again file by file, to blame one file only."""
        found, again = {}, []
        chunks = [paths[i : i + IDENTIFY_CHUNK] for i in range(0, len(paths), IDENTIFY_CHUNK)]
        with _bar(self.progress and len(paths) > 0, len(paths), "identify") as bar:
            for chunk, identities in pool.unordered(ingest.identify_many, chunks, lambda _: None):
                if identities is None:
                    again += chunk
                    continue
                found.update(zip(chunk, identities, strict=True))
                bar.update(len(chunk))
            crashed = scan.Identity("broken", "", CRASHED)
            for path, identity in pool.unordered(ingest.identify, again, lambda _: crashed):
                found[path] = identity
                bar.update()
        return found

    def _triage(self, units: list[scan.Unit]) -> list[ingest.Job]:
        """Counts unchanged sources; records skipped and broken ones; returns the jobs for the rest.

        A source found unchanged is counted on the run, and its record is not written: it keeps
        the outcome (and the run) of the last harvest that changed something, so re-running
        over a million unchanged files writes nothing per file.
        """
        from catalogue.services.harvest import harvest_source_fail

        jobs = []
        self.units = {}
        batch = Batch(self.batch_size)
        for unit in units:
            directory = unit.kind == "directory"
            placement = self.mapping.place(unit.source, unit.folder, directory=directory)
            identity = unit.identity
            if unit.unchanged(placement.digest()):
                skipped = unit.known.state == HarvestState.SKIPPED
                self.counts[HarvestState.SKIPPED if skipped else HarvestState.UNCHANGED] += 1
            elif identity is not None and identity.format in ("plain", "broken"):
                state = HarvestState.SKIPPED if identity.format == "plain" else "failed"
                self.counts[state] += 1
                batch.add(
                    partial(
                        harvest_source_fail,
                        run=self.run,
                        source=unit.source,
                        kind=unit.kind,
                        folder=unit.folder,
                        fingerprints=unit.fingerprints,
                        reason=identity.reason,
                        state=state,
                    )
                )
            else:
                self.units[unit.source] = (unit, placement)
                paths = sorted(unit.entries) if directory else unit.members
                known = identity.format if identity is not None and unit.kind == "file" else ""
                job = ingest.Job(unit.source, unit.kind, unit.folder, paths, self.previews, known)
                jobs.append(job)
        batch.flush()
        return jobs

    def _extract_and_write(self, pool: Pool, jobs: list[ingest.Job]) -> None:
        batch = Batch(self.batch_size, self._write)
        seconds = 0.0
        crashed = partial(_crashed)
        extract = ingest.extract_many, ingest.extract
        with _bar(self.progress, len(jobs), "harvest") as bar:
            for _, outcome in pool.chunked(*extract, jobs, EXTRACT_CHUNK, crashed):
                seconds += outcome.seconds
                batch.add(outcome)
                bar.update()
            batch.flush()
        self.timings["extract_cpu"] = seconds
        self.timings["write"] = batch.seconds

    def _write(self, outcomes: list[ingest.Outcome]) -> None:
        """One batch of extracted sources: the drafts saved together, the rest recorded."""
        from catalogue.services.harvest import (
            SourceWrite,
            harvest_source_fail,
            harvest_sources_save,
        )

        writes = []
        for outcome in outcomes:
            unit, placement = self.units.pop(outcome.source)
            if outcome.draft is not None:
                writes.append(
                    SourceWrite(
                        source=unit.source,
                        kind=unit.kind,
                        folder=unit.folder,
                        fingerprints=unit.fingerprints,
                        placement=placement,
                        draft=outcome.draft,
                        preview=outcome.preview,
                        previews=self.previews,
                        chk_alg=self.alg,
                    )
                )
                continue
            state = HarvestState.SKIPPED if outcome.skipped else HarvestState.FAILED
            self.counts[state] += 1
            harvest_source_fail(
                run=self.run,
                source=unit.source,
                kind=unit.kind,
                folder=unit.folder,
                fingerprints=unit.fingerprints,
                reason=outcome.error or "no metadata",
                state=state,
            )
        if writes:
            for record in harvest_sources_save(run=self.run, writes=writes):
                self.counts[record.state] += 1

    def _remove(self, records: Records, units: list[scan.Unit], found: scan.Survey) -> None:
        """Marks removed the sources this run did not find (unless a folder could not be read)."""
        from catalogue.services.harvest import harvest_source_remove

        gone = records.gone({unit.source for unit in units}, found.same)
        if not gone:
            return
        owner = {path: unit.source for unit in units for path in unit.entries}
        for paths in found.same.values():  # a settled file is its own source
            owner.update(zip(paths, paths, strict=True))
        batch = Batch(self.batch_size)
        for source in gone:
            if scan.under(source, self.unreadable):
                continue  # not seen because its folder could not be read, not because it is gone
            known = records.get(source)
            moved = next((owner[p] for p in known.fingerprints if p in owner), "")
            reason = f"its files now belong to {moved} (grouping changed)" if moved else ""
            self.counts[HarvestState.REMOVED] += 1
            batch.add(
                partial(
                    harvest_source_remove,
                    run=self.run,
                    record_id=known.id,
                    reason=reason,
                    off_disk=not moved,
                )
            )
        batch.flush()

    def _checksums(self, pool: Pool) -> None:
        """Hashes the files of this run's sources that have no checksum of the chosen kind."""
        from catalogue.services.harvest import harvest_checksums_save

        records = HarvestRecord.objects.filter(_roots_q(self.roots), dataset__isnull=False)
        rows = DataFile.objects.filter(
            origdatablock__isnull=False,
            dataset__harvest_record__in=records.exclude(state=HarvestState.REMOVED),
        ).filter(Q(chk="") | ~Q(origdatablock__chk_alg=self.alg))
        hash_chunk = partial(checksums.hash_files, name=self.alg)
        last = 0
        with _bar(self.progress, rows.count() if self.progress else 0, "checksums") as bar:
            while True:
                page = list(
                    rows.filter(pk__gt=last)
                    .order_by("pk")
                    .values_list("pk", "path", "size", "time", "dataset__harvest_record__folder")[
                        :CHECKSUM_PAGE
                    ]
                )
                if not page:
                    return
                last = page[-1][0]
                tasks = [
                    checksums.Task(
                        pk,
                        os.path.normpath(os.path.join(folder, path)),
                        size,
                        moment.isoformat() if moment else "",
                    )
                    for pk, path, size, moment, folder in page
                ]
                chunks = [
                    tasks[i : i + CHECKSUM_CHUNK] for i in range(0, len(tasks), CHECKSUM_CHUNK)
                ]
                done = []
                for _, results in pool.unordered(hash_chunk, chunks, _crashed_chunk):
                    done += [(pk, chk) for pk, chk, problem in results if chk]
                    bar.update(len(results))
                with transaction.atomic():
                    self.counts["checksummed"] += harvest_checksums_save(
                        checksums=done, chk_alg=self.alg
                    )


def _records(roots: list[str]):
    """Chunks of (id, source, kind, fingerprints, placement, state, dataset_id) of the roots'
    records, in no particular order, the fingerprints as JSON text.

    Through a plain cursor: the ORM's per-row converters cost more than the query, and a re-run
    reads every record under its roots. A root is compared as a prefix (LIKE would ignore case
    on SQLite, and leave the check to this process).
    """
    heads, inside = {}, Q()
    for n, root in enumerate(roots):
        root = root.rstrip("/") or "/"
        prefix = root.rstrip("/") + "/"
        heads[f"head{n}"] = Substr("source", 1, len(prefix))
        inside |= Q(source=root) | Q(**{f"head{n}": prefix})
    rows = (
        HarvestRecord.objects.alias(**heads)
        .filter(inside)
        .order_by()  # the model's order by source would sort every record, for nothing
        .values_list("id", "source", "kind", "fingerprints", "placement", "state", "dataset_id")
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            yield chunk


def _settled(found: scan.Survey, path: str) -> bool:
    return path in found.same.get(path[: path.rfind("/")] or "/", ())


def _crashed(job: ingest.Job) -> ingest.Outcome:
    return ingest.Outcome(job.source, error=CRASHED)


def _crashed_chunk(tasks: list[checksums.Task]) -> list:
    return [(task.id, "", CRASHED) for task in tasks]
