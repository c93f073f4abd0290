"""Per owner group policies (SciCat's Policy), including the embargo period."""

import uuid

from django.db import models

from .base import Ownable


class Policy(Ownable):
    """One per owner group; created with that group's first dataset."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    manager = models.JSONField(default=list, blank=True)
    tape_redundancy = models.CharField(max_length=32, default="low")
    auto_archive = models.BooleanField(default=True)
    auto_archive_delay = models.IntegerField(default=7)
    archive_email_notification = models.BooleanField(default=False)
    archive_emails_to_be_notified = models.JSONField(default=list, blank=True)
    retrieve_email_notification = models.BooleanField(default=False)
    retrieve_emails_to_be_notified = models.JSONField(default=list, blank=True)
    # Years after the end of the experiment until the data become public; None: never by itself.
    embargo_period = models.FloatField(null=True, blank=True, default=3.0)

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["owner_group"], name="one_policy_per_owner_group")
        ]

    def __str__(self) -> str:
        return f"policy of {self.owner_group}"
