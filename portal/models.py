"""The portal's own records: who accepted which dataset's licence, every download, and the
CRC-32s of files already zipped."""

from django.conf import settings
from django.db import models


class DownloadKind(models.TextChoices):
    FILE = "file"
    ZIP = "zip"


class DownloadLog(models.Model):
    """One download request (a file, a byte range of one, or a zip), written when it starts.

    `size` is what the response was to send; `bytes_sent` is filled in when the stream ends
    (None while it runs, and when a front server sends the file through X-Accel-Redirect).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    dataset_pid = models.CharField(max_length=255, db_index=True)
    kind = models.CharField(max_length=8, choices=DownloadKind.choices)
    file_id = models.BigIntegerField(null=True, blank=True)
    file_path = models.TextField(blank=True, default="")  # the file's path; "" for a zip
    number_of_files = models.PositiveIntegerField(default=1)
    byte_range = models.CharField(max_length=64, blank=True, default="")  # "0-99" when partial
    size = models.BigIntegerField(default=0)
    bytes_sent = models.BigIntegerField(null=True, blank=True)
    completed = models.BooleanField(default=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.dataset_pid} {self.kind} {self.file_path}".strip()


class LicenceAcceptance(models.Model):
    """A user (or, for anonymous visitors, a browser session) accepted a dataset's licence.

    Acceptance is for the licence and usage conditions the dataset had then: if either changes,
    it is asked again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=64, blank=True, default="")
    dataset_pid = models.CharField(max_length=255)
    licence = models.CharField(max_length=255, blank=True, default="")
    # The dataset's usage conditions accepted with the licence (its policy's, or its own).
    conditions = models.TextField(blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        indexes = [models.Index(fields=["dataset_pid", "user"])]

    def __str__(self) -> str:
        return f"{self.dataset_pid} {self.licence}"


class FileCrc(models.Model):
    """A file's CRC-32, recorded when a zip download first read the file, so that the next zip
    sends the file with sendfile without reading it (portal/downloads/crcs.py).

    It stands only while the file's size, mtime and ctime are still those recorded: any write
    changes the ctime, and the ctime cannot be set back.
    """

    path_key = models.CharField(max_length=64, unique=True)  # sha256 of `path`: paths run long
    path = models.TextField()  # the real (resolved) path
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField()
    ctime_ns = models.BigIntegerField()
    crc32 = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.path} {self.crc32:08x}"
