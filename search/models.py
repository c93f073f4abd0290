"""The index outbox: changes the search index must still learn about.

A row is written in the same transaction as the dataset change (search.outbox.record), so the
index can never miss a committed change: if indexing fails, the row stays and is retried.
Applying a row reads the dataset's *current* state (index it if it exists, drop it if not), so
rows can be applied twice, late or out of order. Applied rows are kept for a day: a rebuild
re-applies the ones written while it ran (search.indexing.index_rebuild).
"""

from django.db import models
from django.db.models import Q


class IndexOperation(models.TextChoices):
    UPSERT = "upsert"
    DELETE = "delete"


class IndexOutbox(models.Model):
    dataset_pid = models.CharField(max_length=255)
    operation = models.CharField(max_length=16, choices=IndexOperation.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(applied_at__isnull=True), name="search_outbox_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.dataset_pid}"
