"""File lists in the admin. A block may list 200,000 files: pages show a preview, never the list."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from catalogue.access import Action, can
from catalogue.models import Datablock, DataFile, OrigDatablock

from .base import (
    BigTableMixin,
    CatalogueAdmin,
    ReadOnlyAdmin,
    holds_global_delete,
    readable_children,
)

FILES_SHOWN = 100


def _when(moment) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else ""


class BlockAdmin(BigTableMixin, CatalogueAdmin):
    """Shared by both kinds of block; `file_field` is DataFile's foreign key to this kind."""

    file_field = ""
    list_select_related = ("dataset",)
    raw_id_fields = ("dataset",)
    readonly_fields = ("size", "number_of_files", "files_preview")

    @admin.display(description="size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description="files")
    def files_preview(self, obj):
        """The first FILES_SHOWN files, read-only, and a link to all of them in the file list."""
        if obj is None or obj._state.adding:
            return "-"
        files = obj.files.order_by("id").values_list("path", "size", "time", "chk")
        shown = list(files[:FILES_SHOWN])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((path, filesizeformat(size), _when(time), chk) for path, size, time, chk in shown),
        )
        url = reverse("admin:catalogue_datafile_changelist")
        return format_html(
            '<p>{} of {} files shown. <a href="{}?{}__exact={}">All files of this block</a></p>'
            "<table><thead><tr><th>path</th><th>size</th><th>time</th><th>checksum</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            len(shown),
            obj.number_of_files,
            url,
            self.file_field,
            obj.pk,
            rows,
        )

    def get_queryset(self, request):
        return readable_children(super().get_queryset(request), request.user)

    def has_change_permission(self, request, obj=None):
        # SciCat: blocks are updated by those who may update their dataset.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can(request.user, Action.UPDATE, obj.dataset))

    def has_delete_permission(self, request, obj=None):
        # SciCat: only DELETE_GROUPS delete blocks, as for the dataset they belong to.
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None:
            return holds_global_delete(request.user)
        return can(request.user, Action.DELETE, obj.dataset)


@admin.register(OrigDatablock)
class OrigDatablockAdmin(BlockAdmin):
    file_field = "origdatablock"
    list_display = ("id", "dataset", "size_display", "number_of_files", "chk_alg", "created_at")
    search_fields = ("=dataset__pid",)


@admin.register(Datablock)
class DatablockAdmin(BlockAdmin):
    file_field = "datablock"
    list_display = (
        "archive_id",
        "dataset",
        "size_display",
        "packed_size",
        "number_of_files",
        "version",
        "created_at",
    )
    search_fields = ("archive_id", "=dataset__pid")


@admin.register(DataFile)
class DataFileAdmin(BigTableMixin, ReadOnlyAdmin):
    """Read-only: files come from ingest with their block's totals; editing one row would make
    the block's size and count wrong. Filter by block with ?origdatablock__exact=<id>."""

    list_display = ("path", "size_display", "time", "dataset", "block")
    list_select_related = ("dataset",)
    search_fields = ("path", "=dataset__pid")
    raw_id_fields = ("dataset", "origdatablock", "datablock")

    def get_queryset(self, request):
        return readable_children(super().get_queryset(request), request.user)

    @admin.display(description="size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description="block")
    def block(self, obj):
        # Links by id, so no block row is loaded per file.
        if obj.origdatablock_id:
            name, pk, label = "origdatablock", obj.origdatablock_id, "orig"
        else:
            name, pk, label = "datablock", obj.datablock_id, "archive"
        url = reverse(f"admin:catalogue_{name}_change", args=[pk])
        return format_html('<a href="{}">{} {}</a>', url, label, str(pk)[:8])
