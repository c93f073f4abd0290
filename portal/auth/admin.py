from django.contrib import admin

from catalogue.admin.base import ReadOnlyAdmin

from .models import OidcIdentity


@admin.register(OidcIdentity)
class OidcIdentityAdmin(ReadOnlyAdmin):
    """Links written at sign-in; deleting the user deletes the link."""

    list_display = ("subject", "user", "issuer", "last_seen_at")
    list_select_related = ("user",)
    search_fields = ("subject", "user__username", "user__email")
    readonly_fields = (
        "user",
        "subject",
        "issuer",
        "groups",
        "claims",
        "created_at",
        "last_seen_at",
    )
