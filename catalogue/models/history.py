"""The change history: who changed what, with the values before and after."""

from django.db import models


class HistoryOperation(models.TextChoices):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class HistoryEntry(models.Model):
    """A generic record like SciCat's History collection: {subsystem, documentId, before, after}.

    `before`/`after` hold only the fields that changed (all fields for create and delete).
    """

    subsystem = models.CharField(max_length=64)
    document_id = models.CharField(max_length=255)
    operation = models.CharField(max_length=16, choices=HistoryOperation.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    user = models.CharField(max_length=255, blank=True, default="")
    timestamp = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "history entries"
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["subsystem", "document_id", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.operation} {self.subsystem}/{self.document_id} by {self.user}"
