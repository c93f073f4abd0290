"""The access audit in the admin: access changes, access requests, embargo notices, and CSV.

Only admins (ADMIN_GROUPS or superusers) see these lists: they name people and what they did.
Each list exports what it shows, with its filters, as CSV: the "Export CSV" link (a staff-only
URL, `<list>/export.csv?<the list's filters>`) or the "Export selected as CSV" action.
Downloads and licence acceptances are in portal/admin.py, with the same export.
"""

from __future__ import annotations

import csv
import json

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import path
from django.utils import timezone

from catalogue.access import principal_for
from catalogue.models import AccessEvent, AccessRequest, DatasetPolicy, EmbargoNotice

from .base import BigTableMixin, ReadOnlyAdmin

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell; text a spreadsheet would run as a formula gets a leading quote (OWASP)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


def csv_response(rows, header: list[str], filename: str) -> StreamingHttpResponse:
    """Streams `rows` (iterables of values) as CSV: memory stays flat for a million rows."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class AdminsOnlyMixin:
    """Visible to admins only, whatever model permissions staff hold."""

    def has_module_permission(self, request):
        return principal_for(request.user).is_admin

    def has_view_permission(self, request, obj=None):
        return principal_for(request.user).is_admin


class CsvExportMixin(AdminsOnlyMixin):
    """An `export.csv` URL for the list as filtered, and an action for selected rows.

    `csv_fields`: (header, attribute path with "__" for relations) pairs."""

    csv_fields: tuple[tuple[str, str], ...] = ()
    change_list_template = "admin/policies/change_list_export.html"
    actions = ["export_selected_csv"]

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        export = self.admin_site.admin_view(self.export_view)
        return [path("export.csv", export, name=name), *super().get_urls()]

    def _rows(self, queryset):
        lookups = [lookup for _, lookup in self.csv_fields]
        return queryset.values_list(*lookups).iterator(chunk_size=2000)

    def _csv(self, queryset):
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        header = [name for name, _ in self.csv_fields]
        return csv_response(
            self._rows(queryset), header, f"{self.model._meta.model_name}-{stamp}.csv"
        )

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter in the query string.\n")
        return self._csv(changelist.get_queryset(request))

    @admin.action(description="Export selected as CSV")
    def export_selected_csv(self, request, queryset):
        return self._csv(queryset)


@admin.register(AccessEvent)
class AccessEventAdmin(CsvExportMixin, BigTableMixin, ReadOnlyAdmin):
    list_display = ("timestamp", "kind", "action", "subject", "actor", "short_before",
                    "short_after", "note")  # fmt: skip
    list_filter = ("kind", "action", ("timestamp", admin.DateFieldListFilter))
    search_fields = ("=subject", "=actor")
    search_help_text = "An exact dataset pid (or policy:<group>, proposal:<id>), or a user name."
    ordering = ("-id",)
    fields = ("timestamp", "kind", "action", "subject", "actor", "before", "after", "note")
    readonly_fields = fields
    csv_fields = (
        ("timestamp", "timestamp"), ("actor", "actor"), ("subject", "subject"), ("kind", "kind"),
        ("action", "action"), ("before", "before"), ("after", "after"), ("note", "note"),
    )  # fmt: skip

    @admin.display(description="before")
    def short_before(self, obj):
        return _cell(obj.before)[:80]

    @admin.display(description="after")
    def short_after(self, obj):
        return _cell(obj.after)[:80]


@admin.register(AccessRequest)
class AccessRequestAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = ("created_at", "dataset", "email", "status", "decided_by", "decided_at",
                    "expires_at", "ended_at")  # fmt: skip
    list_filter = ("status", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("dataset",)
    search_fields = ("=dataset__pid", "email")
    raw_id_fields = ("dataset", "requester")
    csv_fields = (
        ("created_at", "created_at"), ("dataset", "dataset__pid"),
        ("requester", "requester__username"), ("email", "email"), ("status", "status"),
        ("decided_by", "decided_by"), ("decided_at", "decided_at"),
        ("expires_at", "expires_at"), ("ended_at", "ended_at"),
        ("message", "message"), ("decision_note", "decision_note"),
    )  # fmt: skip


@admin.register(EmbargoNotice)
class EmbargoNoticeAdmin(AdminsOnlyMixin, ReadOnlyAdmin):
    list_display = ("sent_at", "dataset", "embargo_end", "recipients")
    list_select_related = ("dataset",)
    search_fields = ("=dataset__pid",)
    raw_id_fields = ("dataset",)


@admin.register(DatasetPolicy)
class DatasetPolicyAdmin(AdminsOnlyMixin, ReadOnlyAdmin):
    """Written from the dataset page (usage conditions) and by embargo decisions."""

    list_display = ("dataset", "embargo_fixed", "usage_conditions", "updated_by", "updated_at")
    list_filter = ("embargo_fixed",)
    list_select_related = ("dataset",)
    search_fields = ("=dataset__pid",)
    raw_id_fields = ("dataset",)
