"""Harvest runs and records in the admin: for reading only (harvests write them, nobody else)."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html

from catalogue.models import HarvestRecord, HarvestRun

from .base import BigTableMixin, ReadOnlyAdmin, admin_link


@admin.register(HarvestRun)
class HarvestRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "status",
        "short_paths",
        "files",
        "new",
        "updated",
        "unchanged",
        "failed",
        "removed",
        "duration",
    )
    list_filter = ("status",)
    fields = (
        "status",
        "outcome",
        "paths",
        "options",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "host",
        "pid",
        "timings",
        "records_link",
    )
    readonly_fields = fields

    @admin.display(description="paths")
    def short_paths(self, obj):
        return truncatechars(", ".join(obj.paths), 80)

    @admin.display(description="seconds")
    def duration(self, obj):
        return None if obj.seconds is None else round(obj.seconds, 1)

    @admin.display(description="summary")
    def outcome(self, obj):
        from catalogue.harvest.run import summary  # lazy: h5py and numpy are heavy imports

        return summary(obj)

    @admin.display(description="records")
    def records_link(self, obj):
        url = reverse("admin:catalogue_harvestrecord_changelist") + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">the sources whose state this run set</a>', url)


@admin.register(HarvestRecord)
class HarvestRecordAdmin(BigTableMixin, ReadOnlyAdmin):
    list_display = ("source", "kind", "state", "short_reason", "dataset_link", "run", "updated_at")
    list_filter = ("state", "kind")
    list_select_related = ("dataset",)
    search_fields = ("=key", "source")
    search_help_text = "A path (or part of one)."
    ordering = ("-id",)
    fields = (
        "source",
        "kind",
        "state",
        "reason",
        "dataset_link",
        "run",
        "folder",
        "download_url",
        "warnings",
        "fingerprints",
        "placement",
        "key",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="reason")
    def short_reason(self, obj):
        return truncatechars(obj.reason, 80)

    @admin.display(description="dataset")
    def dataset_link(self, obj):
        return admin_link(obj.dataset) if obj.dataset_id else "-"
