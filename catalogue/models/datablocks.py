"""File lists: OrigDatablocks (files as found) and Datablocks (archive packages).

Files are rows, not a JSON array, so a dataset with 200,000 files is inserted in batches and
read page by page (keyset on id) without ever holding the whole list in memory.
"""

import uuid

from django.db import models

from .base import Ownable
from .datasets import Dataset


class OrigDatablock(Ownable):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="origdatablocks")
    size = models.BigIntegerField(default=0)
    chk_alg = models.CharField(max_length=64, blank=True, default="")
    number_of_files = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return str(self.id)


class Datablock(Ownable):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="datablocks")
    archive_id = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField(default=0)
    packed_size = models.BigIntegerField(default=0)
    chk_alg = models.CharField(max_length=64, blank=True, default="")
    version = models.CharField(max_length=64)
    number_of_files = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.archive_id


class DataFile(models.Model):
    """One entry of a block's dataFileList. `path` is relative to the dataset's sourceFolder."""

    id = models.BigAutoField(primary_key=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="files")
    origdatablock = models.ForeignKey(
        OrigDatablock, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    datablock = models.ForeignKey(
        Datablock, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    path = models.TextField()
    size = models.BigIntegerField(default=0)
    time = models.DateTimeField(null=True, blank=True)
    chk = models.CharField(max_length=255, blank=True, default="")
    uid = models.CharField(max_length=64, blank=True, default="")
    gid = models.CharField(max_length=64, blank=True, default="")
    perm = models.CharField(max_length=32, blank=True, default="")
    type = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(origdatablock__isnull=False, datablock__isnull=True)
                | models.Q(origdatablock__isnull=True, datablock__isnull=False),
                name="datafile_in_exactly_one_block",
            )
        ]
        indexes = [
            models.Index(fields=["dataset", "id"]),
            models.Index(fields=["origdatablock", "id"]),
        ]

    def __str__(self) -> str:
        return self.path
