"""Published data in the admin: SciCat status, the DOI's state at DataCite, its error, and a
"retry registration" action.

The lifecycle fields are written only by the DOI task and the services, so they are read-only
here. Changes to a record's title, abstract, datasets or metadata go through
`published_data_update`, which sends them on to DataCite when the DOI is registered.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat, truncatechars
from django.utils.html import format_html

from catalogue.errors import CatalogueError
from catalogue.models import PublishedData
from catalogue.models.publishing import DoiState
from catalogue.services.published import published_data_resubmit, published_data_update

from .base import CatalogueAdmin

STATE_COLOURS = {
    DoiState.DRAFT: "#57606a",
    DoiState.RESERVED: "#9a6700",
    DoiState.REGISTERED: "#0b5cad",
    DoiState.FINDABLE: "#1a7f37",
    DoiState.HIDDEN: "#6e40c9",
    DoiState.FAILED: "#a40e26",
}
LIFECYCLE_FIELDS = (
    "state",
    "remote_state",
    "doi_error",
    "doi_errors",
    "attempts",
    "last_attempt_at",
    "synced_at",
    "sync_requested_at",
    "sync_claim",
    "sync_claimed_at",
    "synced_sha256",
)
SERVICE_FIELDS = ("title", "abstract", "dataset_pids", "metadata")


@admin.register(PublishedData)
class PublishedDataAdmin(CatalogueAdmin):
    delete_needs_deleter = True
    list_display = (
        "doi",
        "short_title",
        "status",
        "doi_state",
        "short_error",
        "attempts",
        "last_attempt_at",
        "registered_time",
        "archive_size",
    )
    list_filter = ("state", "status")
    search_fields = ("doi", "title")
    date_hierarchy = "created_at"
    readonly_fields = LIFECYCLE_FIELDS
    actions = ["retry_registration"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "doi",
                    "title",
                    "abstract",
                    "dataset_pids",
                    "metadata",
                    "status",
                    "registered_time",
                    "number_of_files",
                    "size_of_archive",
                    "withdrawn_at",
                    "withdrawal_reason",
                )
            },
        ),
        ("DOI at DataCite", {"fields": LIFECYCLE_FIELDS}),
        ("Audit", {"fields": ("created_by", "updated_by", "created_at", "updated_at")}),
    )

    @admin.display(description="title", ordering="title")
    def short_title(self, obj):
        return truncatechars(obj.title, 80)

    @admin.display(description="size of archive", ordering="size_of_archive")
    def archive_size(self, obj):
        return filesizeformat(obj.size_of_archive)

    @admin.display(description="DOI state", ordering="state")
    def doi_state(self, obj):
        colour = STATE_COLOURS.get(obj.state, "#57606a")
        pending = " …" if obj.sync_requested_at and obj.state != DoiState.FAILED else ""
        return format_html(
            '<span style="color:#fff;background:{};padding:0 .4em;border-radius:3px">{}</span>{}',
            colour,
            obj.state,
            pending,
        )

    @admin.display(description="DataCite error")
    def short_error(self, obj):
        return truncatechars(obj.doi_error, 120) if obj.doi_error else ""

    @admin.action(description="Retry registration at DataCite")
    def retry_registration(self, request, queryset):
        sent, refused = 0, []
        for record in queryset.exclude(state=DoiState.DRAFT):
            try:
                published_data_resubmit(user=request.user, record=record)
                sent += 1
            except CatalogueError as exc:
                refused.append(f"{record.doi}: {exc}")
        skipped = queryset.filter(state=DoiState.DRAFT).count()
        if sent:
            self.message_user(request, f"Sent {sent} DOI(s) to DataCite again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} draft(s): submit them first.", messages.WARNING
            )
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def save_model(self, request, obj, form, change):
        changed = [name for name in form.changed_data if name in SERVICE_FIELDS]
        if change and changed:
            try:
                published_data_update(
                    user=request.user,
                    record=obj,
                    changes={name: getattr(obj, name) for name in changed},
                )
            except CatalogueError as exc:
                self.message_user(request, f"Not saved: {exc}", messages.ERROR)
                return
            if not [name for name in form.changed_data if name not in SERVICE_FIELDS]:
                return
        super().save_model(request, obj, form, change)
