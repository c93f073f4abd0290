"""Reads behind the dataset endpoints. Lists and counts start from `visible_to(user)`.

`filter.where` becomes a Q through `where_to_q` over the dataset field vocabulary, so unknown
fields, operators and wrongly typed values are a 400, never a 500. Without an order, records
come in insertion order (Mongo's natural order); every order ends with the primary key, so pages
never repeat or skip a record.
"""

from __future__ import annotations

import json

from django.db.models import QuerySet

from catalogue import selectors
from catalogue.access import Action, can, principal_for
from catalogue.api.fields import dataset_field
from catalogue.api.filters import Filter
from catalogue.api.where import FilterError, where_to_q
from catalogue.errors import NotFound
from catalogue.models import Attachment, Dataset

from .output import v3_rows

SORTABLE = frozenset({"scalar", "date", "number", "bool", "json"})


def dataset_by_pid(pid: str) -> Dataset:
    """The dataset with `pid` whoever asks (404 if none); for writes, whose service decides."""
    dataset = selectors.dataset_by_pid(pid)
    if dataset is None:
        raise NotFound(f"dataset: {pid} not found")
    return dataset


def ordered(queryset: QuerySet, order) -> QuerySet:
    """`order` = ((field name, descending), ...) in SciCat names."""
    terms = []
    for name, descending in order:
        ref = dataset_field(name)
        if ref.kind not in SORTABLE:
            raise FilterError(f"cannot sort by the array field {name}")
        terms.append(f"-{ref.lookup}" if descending else ref.lookup)
    return queryset.order_by(*terms, "pk")


def datasets_matching(user, flt: Filter) -> QuerySet:
    """The datasets `user` may read that match `flt.where`, in `flt.limits.order`."""
    condition = where_to_q(flt.where, dataset_field)
    visible = selectors.datasets_visible(user, owner_groups=pinned_owner_groups(flt.where))
    return ordered(visible.filter(condition), flt.limits.order)


def pinned_owner_groups(where) -> frozenset[str]:
    """The owner groups a `where` keeps the datasets to (an ownerGroup equality or `inq` at its
    top level or in a top-level `and`); empty when it does not."""
    found = None
    for groups in _owner_group_conditions(where):
        found = groups if found is None else found & groups
    return found or frozenset()


def _owner_group_conditions(where):
    if not isinstance(where, dict):
        return
    for key, value in where.items():
        if key in ("and", "$and") and isinstance(value, list):
            for item in value:
                yield from _owner_group_conditions(item)
            continue
        try:
            if not isinstance(key, str) or dataset_field(key).lookup != "owner_group":
                continue
        except FilterError:
            continue
        if isinstance(value, dict) and len(value) == 1:
            (op, value), *_ = value.items()
            if op in ("inq", "$in") and isinstance(value, list):
                if value and all(isinstance(group, str) for group in value):
                    yield frozenset(value)
                continue
            if op not in ("eq", "$eq"):
                continue
        if isinstance(value, str):
            yield frozenset([value])


def datasets_page(user, flt: Filter) -> list[Dataset]:
    limits = flt.limits
    return list(datasets_matching(user, flt)[limits.skip : limits.skip + limits.limit])


def datasets_page_values(user, flt: Filter) -> list[tuple]:
    """datasets_page as rows for output.datasets_v3 (JSON columns as text, not decoded)."""
    limits = flt.limits
    return v3_rows(datasets_matching(user, flt), limits.skip, limits.skip + limits.limit)


def datasets_count(user, flt: Filter) -> int:
    # The statement depends on nothing but the caller's Principal and the filter's where and
    # order (an invalid order is still a 400): remembered under those.
    where = json.dumps(flt.where, sort_keys=True, separators=(",", ":"))
    key = ("datasets_count", principal_for(user), where, flt.limits.order)
    return selectors.count_remembered(key, lambda: datasets_matching(user, flt))


def dataset_thumbnail(user, dataset: Dataset) -> str:
    """The first attachment's thumbnail ("" if none, or if attachments are not for `user`)."""
    if not can(user, Action.DOWNLOAD, dataset):
        return ""
    first = Attachment.objects.filter(dataset=dataset).order_by("created_at", "id").first()
    return first.thumbnail if first else ""
