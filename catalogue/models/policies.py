"""Data policies: per owner group (SciCat's Policy), per dataset, and the embargo notices sent."""

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
    # Conditions of use shown with the licence before a first download (fedcat's own field).
    usage_conditions = models.TextField(blank=True, default="")

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["owner_group"], name="one_policy_per_owner_group")
        ]

    def __str__(self) -> str:
        return f"policy of {self.owner_group}"


class DatasetPolicy(models.Model):
    """What one dataset does differently from its group's policy (a row only when it does).

    `embargo_fixed`: the embargo end was decided for this dataset (an admin extended it, an
    owner released the data early, or it was set by hand), so policy and proposal changes leave
    it alone. `usage_conditions` replace the group's for this dataset when not blank.
    """

    dataset = models.OneToOneField(
        "catalogue.Dataset", on_delete=models.CASCADE, related_name="policy_override"
    )
    embargo_fixed = models.BooleanField(default=False)
    usage_conditions = models.TextField(blank=True, default="")
    updated_by = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dataset policy"
        verbose_name_plural = "dataset policies"

    def __str__(self) -> str:
        return f"policy of dataset {self.dataset_id}"


class EmbargoNotice(models.Model):
    """An e-mail telling a dataset's owners when its embargo ends: one per dataset and end date,
    so an extended embargo is announced again and a repeated job run sends nothing twice."""

    dataset = models.ForeignKey(
        "catalogue.Dataset", on_delete=models.CASCADE, related_name="embargo_notices"
    )
    embargo_end = models.DateTimeField()
    recipients = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "embargo_end"], name="one_notice_per_embargo_end"
            )
        ]

    def __str__(self) -> str:
        return f"notice for {self.dataset_id} ending {self.embargo_end:%Y-%m-%d}"
