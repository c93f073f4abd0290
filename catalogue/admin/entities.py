"""Proposals, samples, instruments, techniques, attachments and policies (published data:
publishing.py)."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html

from catalogue.models import (
    Attachment,
    Instrument,
    Policy,
    Proposal,
    Sample,
    Technique,
)

from .base import CatalogueAdmin


@admin.register(Proposal)
class ProposalAdmin(CatalogueAdmin):
    delete_needs_deleter = True
    list_display = (
        "proposal_id",
        "short_title",
        "pi_email",
        "owner_group",
        "is_published",
        "start_time",
        "number_of_datasets",
    )
    list_filter = ("is_published", "type")
    search_fields = ("proposal_id", "title", "pi_email", "pi_lastname", "owner_group")
    # Kept by the dataset services as datasets are added and removed.
    readonly_fields = ("number_of_datasets",)

    @admin.display(description="title", ordering="title")
    def short_title(self, obj):
        return truncatechars(obj.title, 80)


@admin.register(Sample)
class SampleAdmin(CatalogueAdmin):
    delete_needs_deleter = True
    list_display = (
        "sample_id",
        "short_description",
        "owner",
        "owner_group",
        "proposal_id",
        "is_published",
    )
    list_filter = ("is_published",)
    search_fields = ("sample_id", "description", "=proposal_id", "owner_group")

    @admin.display(description="description", ordering="description")
    def short_description(self, obj):
        return truncatechars(obj.description, 80)


@admin.register(Instrument)
class InstrumentAdmin(CatalogueAdmin):
    delete_needs_deleter = True
    list_display = ("unique_name", "name", "facility", "pid")
    list_filter = ("facility",)
    search_fields = ("pid", "unique_name", "name")


@admin.register(Technique)
class TechniqueAdmin(CatalogueAdmin):
    list_display = ("name", "pid")
    search_fields = ("name", "pid")


def thumbnail_img(uri: str, max_height: int):
    """An <img> of a data URI; other schemes (javascript:, remote URLs) are never rendered."""
    if not uri.startswith("data:image/"):
        return "-"
    return format_html(
        '<img src="{}" alt="" style="max-height:{}px;max-width:{}px">',
        uri,
        max_height,
        max_height * 2,
    )


@admin.register(Attachment)
class AttachmentAdmin(CatalogueAdmin):
    list_display = ("preview", "caption", "dataset", "proposal", "sample", "owner_group")
    list_select_related = ("dataset", "proposal", "sample")
    list_filter = ("is_published",)
    search_fields = ("caption", "=dataset__pid", "=proposal__proposal_id", "=sample__sample_id")
    raw_id_fields = ("dataset", "proposal", "sample")
    readonly_fields = ("preview_large",)
    date_hierarchy = "created_at"

    @admin.display(description="preview")
    def preview(self, obj):
        return thumbnail_img(obj.thumbnail, 48)

    @admin.display(description="preview")
    def preview_large(self, obj):
        return thumbnail_img(obj.thumbnail or "", 240)


@admin.register(Policy)
class PolicyAdmin(CatalogueAdmin):
    delete_needs_deleter = True
    list_display = (
        "owner_group",
        "embargo_period",
        "tape_redundancy",
        "auto_archive",
        "auto_archive_delay",
    )
    list_filter = ("tape_redundancy", "auto_archive")
    search_fields = ("owner_group",)
