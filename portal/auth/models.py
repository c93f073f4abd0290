"""Who a user is at the identity provider, and which of their groups the provider gave."""

from django.conf import settings
from django.db import models


class OidcIdentity(models.Model):
    """Links a user to the provider's subject (`sub`), which never changes for a person.

    Users are found by subject, never by e-mail: an e-mail claim cannot take over an account.
    `groups` are the groups the provider granted at the last sign-in, so that the next one can
    remove those it no longer grants without touching groups an administrator gave by hand.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity"
    )
    subject = models.CharField(max_length=255, unique=True)
    issuer = models.CharField(max_length=255, blank=True, default="")
    groups = models.JSONField(default=list, blank=True)
    claims = models.JSONField(default=dict, blank=True)  # the last userinfo answer
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OIDC identity"
        verbose_name_plural = "OIDC identities"

    def __str__(self) -> str:
        return f"{self.subject} ({self.user})"
