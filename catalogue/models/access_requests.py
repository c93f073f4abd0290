"""Requests for access to a closed dataset, and the grants they become."""

from django.conf import settings
from django.db import models


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending"
    GRANTED = "granted"  # the requester's e-mail is in the dataset's sharedWith
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # by the requester, before a decision
    ENDED = "ended"  # a grant that expired or was ended by an owner


class AccessRequest(models.Model):
    """A signed-in user asks a dataset's owners for its files.

    A grant adds `email` (the requester's address when they asked) to the dataset's sharedWith
    through the dataset service; `expires_at` ends it by itself (the beat job removes the address
    again). `added_email` says whether the grant put the address there: an address that was
    already shared stays when the grant ends.
    """

    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.CASCADE, related_name="access_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    email = models.CharField(max_length=255)
    message = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=255, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    added_email = models.BooleanField(default=False)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="accessrequest_expiry"),
            models.Index(fields=["dataset", "status"], name="accessrequest_dataset"),
        ]
        constraints = [
            # One open request per user and dataset; decided ones stay as the record.
            models.UniqueConstraint(
                fields=["dataset", "requester"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.dataset_id} ({self.status})"
