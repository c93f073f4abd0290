"""The access audit: every change of who may see a dataset, by whom, with the values."""

from django.db import models


class AccessEventKind(models.TextChoices):
    OWNER_GROUP = "owner_group"
    ACCESS_GROUPS = "access_groups"
    SHARED_WITH = "shared_with"
    EMBARGO = "embargo"  # the dataset's embargo end
    PUBLICATION = "publication"  # isPublished
    ACCESS_REQUEST = "access_request"  # requested, granted, refused, withdrawn, ended
    POLICY = "policy"  # a group's or proposal's embargo period


class AccessEvent(models.Model):
    """One change of access. Downloads are in portal.DownloadLog; both are in the admin.

    `subject` is the dataset pid, or `policy:<group>` / `proposal:<id>` for policy changes.
    `before` and `after` hold the values of the field concerned; `note` says why, when the
    change came with a reason (an extension, a release, a request).
    """

    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=255)
    kind = models.CharField(max_length=32, choices=AccessEventKind.choices)
    action = models.CharField(max_length=32, default="changed")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["subject", "-timestamp"], name="accessevent_subject"),
            models.Index(fields=["kind", "-timestamp"], name="accessevent_kind"),
            models.Index(fields=["actor", "-timestamp"], name="accessevent_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.action} {self.subject} by {self.actor}"
