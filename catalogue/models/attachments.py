"""Attachments: preview images and other small files shown with a dataset, proposal or sample."""

import uuid

from django.db import models

from .base import Ownable
from .datasets import Dataset
from .entities import Proposal, Sample


class Attachment(Ownable):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A data URI (SciCat's format), e.g. "data:image/png;base64,...".
    thumbnail = models.TextField(blank=True, default="")
    caption = models.TextField(blank=True, default="")
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    sample = models.ForeignKey(
        Sample, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.caption or str(self.id)
