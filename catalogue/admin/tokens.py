"""API tokens in the admin: who holds which, until when, and a revoke action.

Only a token's first characters and its hash are stored, so the admin can neither show nor
recover a token; it cannot issue one either (POST /api/v3/users/{id}/jwt does, for admins).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone

from catalogue.models import ApiToken
from catalogue.services.tokens import tokens_revoke

from .base import ReadOnlyAdmin


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("expired", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(expires_at__lte=now)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at", "active")
    list_filter = (StateFilter,)
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    exclude = ("key_hash",)
    readonly_fields = ("user", "prefix", "name", "created_at", "expires_at", "last_used_at")
    actions = ["revoke"]

    @admin.display(boolean=True)
    def active(self, obj) -> bool:
        return obj.expires_at > timezone.now()

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("catalogue.delete_apitoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = tokens_revoke(ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
