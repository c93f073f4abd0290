"""Datasets in the admin: every write goes through catalogue.services, reads through the rules."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.contrib.admin.views.main import ChangeList
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html_join

from catalogue.access import Action, can
from catalogue.errors import CatalogueError
from catalogue.models import Dataset, DatasetTerm
from catalogue.services import dataset_create, dataset_delete, dataset_update

from .base import (
    AUDIT_FIELDS,
    BigTableMixin,
    CatalogueAdmin,
    ReadOnlyAdmin,
    distinct_filter,
    holds_global_delete,
    readable_children,
)

# Large columns the changelist never shows: deferred so a page of 100 rows stays small.
HEAVY_FIELDS = (
    "description",
    "scientific_metadata",
    "datasetlifecycle",
    "job_parameters",
    "job_log_data",
    "relationships",
    "unit_issues",
)
SYSTEM_READONLY = ("size", "number_of_files", "scientific_metadata_valid", "version", "index_terms")
FIELD_GROUPS = [
    (None, ("pid", "dataset_name", "type", "description", "owner", "owner_email",
            "orcid_of_owner", "contact_email", "principal_investigators")),
    ("Access", ("owner_group", "access_groups", "instrument_group", "shared_with",
                "is_published", "embargo_end")),
    ("Data", ("source_folder", "source_folder_host", "size", "packed_size", "number_of_files",
              "number_of_files_archived", "data_format", "creation_time", "start_time",
              "end_time", "creation_location")),
    ("Links", ("proposal_ids", "sample_ids", "instrument_ids", "input_datasets",
               "used_software", "techniques", "relationships", "keywords")),
    ("Scientific metadata", ("scientific_metadata", "scientific_metadata_schema",
                             "scientific_metadata_valid", "unit_issues")),
]  # fmt: skip


def _fieldsets():
    """FIELD_GROUPS plus every other field, so a field added to the model is never hidden."""
    grouped = {name for _, names in FIELD_GROUPS for name in names}
    skipped = {*grouped, *AUDIT_FIELDS, "id"}
    rest = tuple(f.name for f in Dataset._meta.concrete_fields if f.name not in skipped)
    system = (*AUDIT_FIELDS, "index_terms")
    return [
        *((title, {"fields": names}) for title, names in FIELD_GROUPS),
        ("Other", {"fields": rest, "classes": ["collapse"]}),
        ("System", {"fields": system, "classes": ["collapse"]}),
    ]


class DatasetAdminForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = "__all__"  # noqa: DJ007 - the admin passes the fields of its fieldsets

    def clean_type(self):
        # Checked here as well as in the service so a typo re-shows the form instead of an error.
        value = self.cleaned_data["type"]
        if value not in settings.DATASET_TYPES:
            raise forms.ValidationError(f"Choose one of: {', '.join(settings.DATASET_TYPES)}.")
        return value


class DatasetChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*HEAVY_FIELDS)


def _adopt(target: Dataset, source: Dataset) -> None:
    """Copies the service's result onto the admin's instance, which Django goes on to use."""
    for field in Dataset._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


@admin.register(Dataset)
class DatasetAdmin(BigTableMixin, CatalogueAdmin):
    form = DatasetAdminForm
    list_display = (
        "pid",
        "dataset_name",
        "type",
        "owner_group",
        "is_published",
        "embargo_end",
        "creation_time",
        "size_display",
        "number_of_files",
    )
    # No date_hierarchy: its year list is a DISTINCT over the whole table (0.5 s for a million
    # rows, 2 s with a search); the date filter below needs no query at all.
    list_filter = (
        distinct_filter("type"),
        "is_published",
        distinct_filter("owner_group"),
        ("creation_time", admin.DateFieldListFilter),
    )
    search_fields = ("pid", "dataset_name", "owner", "description")
    readonly_fields = SYSTEM_READONLY
    fieldsets = _fieldsets()
    actions = ["publish_selected", "unpublish_selected"]

    def get_queryset(self, request):
        # The admin obeys the access rules too: staff who are not admins see what they may read.
        return super().get_queryset(request).visible_to(request.user)

    def get_changelist(self, request, **kwargs):
        return DatasetChangeList

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "pid" in form.base_fields:
            form.base_fields["pid"].required = False
            form.base_fields["pid"].help_text = "Leave empty to have a pid made."
        return form

    @admin.display(description="size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description="index terms")
    def index_terms(self, obj):
        if obj is None or obj._state.adding:
            return "-"
        terms = obj.terms.order_by("kind", "value").values_list("kind", "value")
        return format_html_join(", ", "{}={}", terms) or "-"

    # --- Permissions from catalogue.access ------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can(request.user, Action.UPDATE, obj))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "pid"] if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None:
            return holds_global_delete(request.user)
        return can(request.user, Action.DELETE, obj)

    def deletion_forbidden(self, request, queryset) -> bool:
        permitted = queryset.permitted(request.user, Action.DELETE)
        return permitted.count() != queryset.count()

    # --- Writes through the services ------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            data = {
                name: value
                for name, value in form.cleaned_data.items()
                if value not in (None, "", [], {})  # empty: the service's default applies
            }
            _adopt(obj, dataset_create(user=request.user, data=data))
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            _adopt(obj, dataset_update(user=request.user, dataset=obj, changes=changes))

    def delete_model(self, request, obj):
        dataset_delete(user=request.user, dataset=obj)

    def delete_queryset(self, request, queryset):
        refused = 0
        for dataset in queryset.defer(None).iterator():
            try:
                dataset_delete(user=request.user, dataset=dataset)
            except CatalogueError:
                refused += 1
        if refused:
            self.message_user(request, f"{refused} datasets were not deleted.", messages.ERROR)

    # --- Actions --------------------------------------------------------------------------------

    def _set_published(self, request, queryset, value: bool) -> None:
        done, errors = 0, []
        for dataset in queryset.exclude(is_published=value).defer(None).iterator():
            try:
                dataset_update(user=request.user, dataset=dataset, changes={"is_published": value})
                done += 1
            except CatalogueError as exc:
                errors.append(f"{dataset.pid}: {exc.message}")
        verb = "Published" if value else "Unpublished"
        noun = model_ngettext(self.opts, done)
        self.message_user(request, f"{verb} {done} {noun}.", messages.SUCCESS)
        for error in errors[:20]:
            self.message_user(request, error, messages.ERROR)
        if len(errors) > 20:
            self.message_user(request, f"... and {len(errors) - 20} more.", messages.ERROR)

    @admin.action(description="Publish selected datasets")
    def publish_selected(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish selected datasets")
    def unpublish_selected(self, request, queryset):
        self._set_published(request, queryset, False)


@admin.register(DatasetTerm)
class DatasetTermAdmin(BigTableMixin, ReadOnlyAdmin):
    """The array index the services keep; shown to explain search and access results."""

    list_display = ("dataset", "kind", "value")
    list_filter = ("kind",)
    search_fields = ("=value", "=dataset__pid")
    list_select_related = ("dataset",)
    raw_id_fields = ("dataset",)

    def get_queryset(self, request):
        return readable_children(super().get_queryset(request), request.user)
