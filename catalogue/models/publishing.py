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

    class Meta:
        verbose_name_plural = "published data"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.doi
