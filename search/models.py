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


class PartnerKind(models.TextChoices):
    PANOSC = "panosc", "PaNOSC Common Search API provider"
    FEDCAT = "fedcat", "fedcat site"


class Partner(models.Model):
    """A catalogue searched together with this one (docs/federation.md). Partners also come from
    the FEDERATION_PARTNERS setting; search.federation.partners joins both lists."""

    name = models.SlugField(
        max_length=50, unique=True, help_text="Short label: in statuses, metrics and headers."
    )
    title = models.CharField(max_length=200, blank=True, help_text="Shown next to its results.")
    kind = models.CharField(max_length=16, choices=PartnerKind.choices)
    base_url = models.URLField(
        max_length=500,
        help_text="PaNOSC: the API root (…/api or …/panosc-api). fedcat: the site's root URL.",
    )
    timeout_seconds = models.FloatField(
        default=3.0, help_text="How long one search may wait for this partner."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from search.federation.partners import check_partner_fields

        problems = check_partner_fields(
            name=self.name, url=self.base_url, timeout=self.timeout_seconds
        )
        if problems:
            raise ValidationError(problems)
