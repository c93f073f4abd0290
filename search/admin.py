"""Admin for the search app: the federation partners (docs/federation.md)."""

from django.contrib import admin
from django.db import models

from .models import Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "kind", "base_url", "timeout_seconds", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "title", "base_url")
    readonly_fields = ("created_at", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
