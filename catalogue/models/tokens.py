"""API tokens: what SciCat clients send as `Authorization: Bearer` or `?access_token=`."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A token for the SciCat API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so people can tell their tokens apart in the admin.
    prefix = models.CharField(max_length=12)
    name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
