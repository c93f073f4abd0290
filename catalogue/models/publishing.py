"""Published data: a DOI over a set of datasets (SciCat's PublishedData), and its DOI lifecycle.

Two vocabularies live side by side. `status` is SciCat's (private, public, registered,
amended): the API speaks it and landing pages, OAI-PMH and the access rules read it. `state` is
the DOI's life at the registration agency (docs/publishing.md, "DOI lifecycle"):

    draft -> reserved -> registered -> findable      (hidden after a withdrawal; failed on a 4xx)

A record is `draft` until it is submitted; submitting (`published_data_register`) makes it
SciCat-`registered` and the DOI `reserved` in the same transaction, and a Celery task then
registers it at DataCite and makes it findable. `sync_requested_at` is set whenever DataCite
must hear about the record (submission, metadata change, withdrawal, restore, retry) and cleared
once it has, or once DataCite refused it (`failed`, with its error text in `doi_error`).
"""

from django.db import models

from .base import Queryable


class PublishedDataStatus(models.TextChoices):
    PRIVATE = "private"
    PUBLIC = "public"
    REGISTERED = "registered"
    AMENDED = "amended"


class DoiState(models.TextChoices):
    DRAFT = "draft"  # being written; the DOI is only a name nobody has been given yet
    RESERVED = "reserved"  # submitted: the DOI is promised, registration queued or under way
    REGISTERED = "registered"  # in the Handle system (resolves), not yet in DataCite's search
    FINDABLE = "findable"  # registered and public at DataCite
    HIDDEN = "hidden"  # withdrawn: DataCite state "registered", landing page a tombstone
    FAILED = "failed"  # DataCite refused the last request (4xx); fix and submit again


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

    # --- DOI lifecycle (catalogue/services/published/lifecycle.py) ---------------------------
    state = models.CharField(
        max_length=12, choices=DoiState.choices, default=DoiState.DRAFT, db_index=True
    )
    # DataCite's own state as last reported: "", draft, registered or findable.
    remote_state = models.CharField(max_length=12, blank=True, default="")
    # DataCite's refusal, as text for people and as its errors[] ({status, source, title}).
    doi_error = models.TextField(blank=True, default="")
    doi_errors = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # calls to DataCite, all time
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)  # last call DataCite accepted
    # Set while DataCite must still hear about this record; the sweep re-sends stale ones.
    sync_requested_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A task holding the record for a call (a lease: a killed worker's claim runs out).
    sync_claim = models.CharField(max_length=32, blank=True, default="")
    sync_claimed_at = models.DateTimeField(null=True, blank=True)
    # Hash of the last payload DataCite accepted, so an unchanged record is not sent again.
    synced_sha256 = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name_plural = "published data"
        ordering = ["-created_at"]
        # OAI-PMH lists records by datestamp (updated_at), then DOI.
        indexes = [models.Index(fields=["updated_at", "doi"], name="publisheddata_oai_order")]

    def __str__(self) -> str:
        return self.doi
