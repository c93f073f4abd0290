"""Published data: a DOI over a set of datasets (SciCat's PublishedData)."""

from django.db import models

from .base import Queryable


class PublishedDataStatus(models.TextChoices):
    PRIVATE = "private"
    PUBLIC = "public"
    REGISTERED = "registered"
    AMENDED = "amended"


class PublishedData(Queryable):
    doi = models.CharField(max_length=255, primary_key=True)
    title = models.TextField()
    abstract = models.TextField(blank=True, default="")
    dataset_pids = models.JSONField(default=list, blank=True)
    number_of_files = models.BigIntegerField(default=0)
    size_of_archive = models.BigIntegerField(default=0)
    registered_time = models.DateTimeField(null=True, blank=True)
    # DataCite-like metadata: creators, publisher, publicationYear, resourceType, ...
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=PublishedDataStatus.choices, default=PublishedDataStatus.PRIVATE
    )
    # Set when a registered DOI is withdrawn (DataCite event `hide`; the DOI is never deleted):
    # its landing page becomes a tombstone (410) and OAI-PMH reports the record deleted.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True, default="")

    class Meta:
        verbose_name_plural = "published data"
        ordering = ["-created_at"]
        # OAI-PMH lists records by datestamp (updated_at), then DOI.
        indexes = [models.Index(fields=["updated_at", "doi"], name="publisheddata_oai_order")]

    def __str__(self) -> str:
        return self.doi
