"""What every catalogue admin shares: counting big tables cheaply, audit fields, history, deletion.

The admin is one more adapter over the catalogue: datasets are written through the services
(catalogue/admin/datasets.py); the other records have no service yet, so the base class here
keeps their audit fields and history the way the services do.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from catalogue.access import PERMISSIONS, Action, dataset_filter, principal_for
from catalogue.errors import CatalogueError
from catalogue.models import Queryable
from catalogue.services import history_record
from catalogue.services.common import actor_name, snapshot

AUDIT_FIELDS = ("created_by", "updated_by", "created_at", "updated_at")
# Rows named on a delete confirmation page; the rest are counted, never listed.
DELETE_SHOWN = 20


class LargeTablePaginator(Paginator):
    """Counts exactly up to `exact_limit` rows and asks PostgreSQL's planner beyond that.

    Django's changelist counts the filtered queryset for its paginator even with
    show_full_result_count = False, so an unfiltered page of a million-row table would still run
    COUNT(*) over all of it: the slowest query of the page, and one that grows with the table.
    """

    exact_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        bounded = queryset[: self.exact_limit + 1].count()
        if bounded <= self.exact_limit:
            return bounded
        estimate = planner_estimate(queryset)
        if estimate is None:
            # SQLite has no planner estimate; it counts a million indexed rows in milliseconds.
            return queryset.count()
        return max(estimate, bounded)


def planner_estimate(queryset) -> int | None:
    """PostgreSQL's estimate of the rows `queryset` returns; None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.explain(format="json"))
    if isinstance(plan, list):
        plan = plan[0]
    return int(plan["Plan"]["Plan Rows"])


class BigTableMixin:
    """For tables of a million rows: no full count, no facet counts, the cheap paginator."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


def distinct_values(queryset, field: str) -> list:
    """The distinct values of an indexed column, for a list filter's choices.

    PostgreSQL (before 18) reads the whole index for SELECT DISTINCT: 150 ms for the owner groups
    of a million datasets. The recursive query jumps from one value to the next instead (a loose
    index scan): 2,000 groups in 40 ms. Filtered querysets (staff who see only some datasets)
    are left to the planner.
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or queryset.query.where:
        return list(queryset.order_by(field).values_list(field, flat=True).distinct())
    quote = connection.ops.quote_name
    table = quote(queryset.model._meta.db_table)
    column = quote(queryset.model._meta.get_field(field).column)
    sql = (
        f"WITH RECURSIVE t(v) AS (SELECT MIN({column}) FROM {table} UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > t.v) FROM t "
        "WHERE t.v IS NOT NULL) SELECT v FROM t WHERE v IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def distinct_filter(field: str) -> type[admin.SimpleListFilter]:
    """A list filter offering the values of an indexed column, found with distinct_values."""

    class DistinctValuesFilter(admin.SimpleListFilter):
        title = field.replace("_", " ")
        parameter_name = field

        def lookups(self, request, model_admin):
            values = distinct_values(model_admin.get_queryset(request), field)
            return [(value, value) for value in values]

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    return DistinctValuesFilter


def readable_children(queryset, user):
    """`queryset` (rows with a `dataset` foreign key) cut to the datasets `user` may read.

    Users who may read every dataset get the queryset untouched: an IN over a million datasets
    would cost every page.
    """
    from catalogue.models import Dataset

    readable = dataset_filter(user, Action.READ)
    if readable == Q():
        return queryset
    return queryset.filter(dataset__in=Dataset.objects.filter(readable).values("pk"))


def holds_global_delete(user) -> bool:
    """Whether a relation every dataset shares (DELETE_GROUPS) grants Action.DELETE to `user`.

    SciCat lets only DELETE_GROUPS delete proposals, samples, instruments, policies, published
    data and blocks; admins may not. The dataset table in catalogue.access says the same.
    """
    return bool(principal_for(user).global_relations() & PERMISSIONS[Action.DELETE])


def admin_link(obj, text=None) -> str:
    """A link to `obj`'s admin change page."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


class CatalogueAdmin(admin.ModelAdmin):
    """Base of the catalogue admins: system fields read-only, history kept, service errors shown.

    `delete_needs_deleter`: SciCat lets only DELETE_GROUPS delete this kind of record.
    """

    delete_needs_deleter = False

    def get_readonly_fields(self, request, obj=None):
        names = {f.name for f in self.model._meta.concrete_fields}
        fields = [*self.readonly_fields]
        fields += [name for name in (*AUDIT_FIELDS, "unit_issues") if name in names]
        pk = self.model._meta.pk
        if obj is not None and pk.editable:
            fields.append(pk.name)  # a changed natural key would save a second record
        return list(dict.fromkeys(fields))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if self.delete_needs_deleter:
            return allowed and holds_global_delete(request.user)
        return allowed

    # --- Writes through the ORM (no service exists for these records yet) ----------------------

    def save_model(self, request, obj, form, change):
        if not issubclass(self.model, Queryable):  # no audit fields, no history (Technique)
            obj.save()
            return
        actor = actor_name(request.user)
        obj.updated_by = actor
        if not change:
            obj.created_by = actor
            obj.save()
            history_record(user=request.user, instance=obj, operation="create", after=snapshot(obj))
            return
        names = [self.model._meta.get_field(name).attname for name in form.changed_data]
        before = snapshot(self.model._default_manager.get(pk=obj.pk), names) if names else {}
        obj.save()
        if names:
            after = snapshot(obj, names)
            history_record(
                user=request.user, instance=obj, operation="update", before=before, after=after
            )

    def delete_model(self, request, obj):
        if issubclass(self.model, Queryable):
            history_record(
                user=request.user, instance=obj, operation="delete", before=snapshot(obj)
            )
        obj.delete()

    def delete_queryset(self, request, queryset):
        for obj in queryset.iterator():
            self.delete_model(request, obj)

    # --- Deletion pages that count instead of listing every related row -------------------------

    def get_deleted_objects(self, objs, request):
        """Django's version lists every cascaded row (a dataset may hold 200,000 files) and asks
        each related admin for permission; the read-only file admin would refuse. Here the
        records themselves are named (at most DELETE_SHOWN) and the cascades counted."""
        queryset = self._as_queryset(objs)
        total = queryset.count()
        shown = [admin_link(obj) for obj in queryset[:DELETE_SHOWN]]
        if total > DELETE_SHOWN:
            shown.append(f"... and {total - DELETE_SHOWN} more")
        model_count = {self.model._meta.verbose_name_plural: total}
        for relation in self.model._meta.related_objects:
            if relation.one_to_many and relation.on_delete is models.CASCADE:
                related = relation.related_model._default_manager.filter(
                    **{f"{relation.field.name}__in": queryset.values("pk")}
                )
                if count := related.count():
                    model_count[relation.related_model._meta.verbose_name_plural] = count
        perms_needed = set()
        if self.deletion_forbidden(request, queryset):
            perms_needed.add(self.model._meta.verbose_name)
        return shown, model_count, perms_needed, []

    def deletion_forbidden(self, request, queryset) -> bool:
        """Whether `request.user` may not delete one of `queryset`."""
        return any(not self.has_delete_permission(request, obj) for obj in queryset.iterator())

    def _as_queryset(self, objs):
        if hasattr(objs, "values"):
            return objs.model._default_manager.filter(pk__in=objs.values("pk"))
        return self.model._default_manager.filter(pk__in=[obj.pk for obj in objs])

    # --- Service errors become messages, not 500s ----------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CatalogueError as exc:  # the atomic block around the view has rolled back
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except CatalogueError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(CatalogueAdmin):
    """Records written only by the catalogue itself: viewable, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
