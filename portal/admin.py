"""The portal's records in the admin, read-only: they are evidence (who downloaded what, who
accepted which licence) and only the site writes them."""

from django.contrib import admin

from catalogue.admin.audit import CsvExportMixin
from catalogue.admin.base import ReadOnlyAdmin

from .models import DownloadLog, LicenceAcceptance


@admin.register(DownloadLog)
class DownloadLogAdmin(CsvExportMixin, ReadOnlyAdmin):
    # The download audit (docs/policies.md): admins only, exported as CSV with its filters.
    csv_fields = (
        ("created_at", "created_at"), ("dataset", "dataset_pid"), ("user", "user__username"),
        ("kind", "kind"), ("file", "file_path"), ("files", "number_of_files"),
        ("range", "byte_range"), ("size", "size"), ("bytes_sent", "bytes_sent"),
        ("completed", "completed"), ("ip", "ip"),
    )  # fmt: skip
    list_display = (
        "created_at",
        "dataset_pid",
        "kind",
        "file_path",
        "user",
        "size",
        "bytes_sent",
        "completed",
        "ip",
    )
    list_filter = ("kind", "completed")
    list_select_related = ("user",)
    search_fields = ("dataset_pid", "file_path", "user__username", "ip")
    date_hierarchy = "created_at"


@admin.register(LicenceAcceptance)
class LicenceAcceptanceAdmin(CsvExportMixin, ReadOnlyAdmin):
    csv_fields = (
        ("accepted_at", "accepted_at"), ("dataset", "dataset_pid"), ("user", "user__username"),
        ("session", "session_key"), ("licence", "licence"), ("conditions", "conditions"),
        ("ip", "ip"),
    )  # fmt: skip
    list_display = ("accepted_at", "dataset_pid", "licence", "user", "session_key", "ip")
    list_select_related = ("user",)
    search_fields = ("dataset_pid", "licence", "user__username", "ip")
    date_hierarchy = "accepted_at"
