"""The harvest trail: one HarvestRun per harvest, one HarvestRecord per harvested source.

A *source* is what becomes one dataset: a file, an openPMD fileBased series, or a directory
(``--group-by directory``). Its record is the dataset's stable identity: ``key`` (the sha256 of
the source, unique) is what keeps a re-run, or a run after a killed one, from creating a
second dataset. The record also keeps the last outcome (``state``, ``reason``), the run that
produced it, and the fingerprints that make the next run incremental (docs/harvest.md).
"""

from django.db import models

from .datasets import Dataset


class HarvestRunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # the run could not go on (a missing root, a bad mapping file)
    INTERRUPTED = "interrupted"  # its process died; found by the next run on the same host


class HarvestRun(models.Model):
    paths = models.JSONField(default=list)
    # owner_group, group_by, workers, checksums, checksum_alg, previews, mapping (the rules).
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=HarvestRunStatus.choices, default=HarvestRunStatus.PENDING
    )
    error = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    # The summary: files seen by the scan, then the outcome of each source.
    files = models.PositiveBigIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    checksummed = models.PositiveBigIntegerField(default=0)
    # Seconds per stage (scan, identify, extract, write, remove, checksums) for benchmarks.
    timings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"harvest {self.pk} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class HarvestState(models.TextChoices):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"  # the reason says why; an earlier dataset of the source is kept
    SKIPPED = "skipped"  # readable, but nothing to catalogue (plain HDF5)
    REMOVED = "removed"  # the files are gone; the dataset is kept and flagged


class HarvestSourceKind(models.TextChoices):
    FILE = "file"  # one file, or one ADIOS2 .bp directory
    SERIES = "series"  # the files of an openPMD fileBased series
    DIRECTORY = "directory"  # every file directly in a directory


class HarvestRecord(models.Model):
    key = models.CharField(max_length=64, unique=True)  # sha256 of `source`
    source = models.TextField()  # absolute path; a series as "<folder>/<iterationFormat>"
    kind = models.CharField(max_length=16, choices=HarvestSourceKind.choices)
    # The local folder the file paths are relative to (the dataset's sourceFolder may be the
    # path on a storage server instead, see docs/harvest.md).
    folder = models.TextField(blank=True, default="")
    # {absolute path: [size, mtime_ns, inode]} of the source's files when last harvested.
    fingerprints = models.JSONField(default=dict, blank=True)
    # sha256 of the placement (owner, access groups, storage) the mapping gave last time.
    placement = models.CharField(max_length=64, blank=True, default="")
    dataset = models.OneToOneField(
        Dataset,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="harvest_record",
    )
    run = models.ForeignKey(
        HarvestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    state = models.CharField(max_length=16, choices=HarvestState.choices, db_index=True)
    reason = models.TextField(blank=True, default="")
    warnings = models.JSONField(default=list, blank=True)
    download_url = models.TextField(blank=True, default="")  # of the folder; + "/" + file path
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source"]
        indexes = [models.Index(fields=["run", "state"])]

    def __str__(self) -> str:
        return f"{self.state}: {self.source}"
