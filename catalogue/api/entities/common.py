"""What the entity endpoints share: bodies, rendering, `filter`/`where`, fullquery and fullfacet.

`Schema` describes one collection for SciCat's query vocabulary: the model, its v3 aliases,
which columns are JSON lists (matched element-wise through access_entities.json_list_has_any,
since the dataset term index covers datasets only) and which columns `text` searches.
`where_q` handles those list columns and `and`/`or` itself and hands every other condition to
the shared LoopBack translator (catalogue/api/where.py), so operators and errors are the same
as on /Datasets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial, reduce
from operator import and_, or_

from django.db.models import Count, FloatField, Q, QuerySet
from rest_framework.views import APIView

from catalogue.access_entities import json_list_has_any
from catalogue.errors import InvalidInput

from ..camel import camel_body_to_snake, iso, model_to_camel, snake_to_camel
from ..fields import model_field_resolver
from ..filters import (
    Filter,
    Limits,
    filter_from_request,
    parse_filter,
    parse_json_param,
    parse_limits,
)
from ..parsers import JSON_BODIES
from ..where import FieldRef, FilterError, camel_to_snake, where_to_q

LIST_OPERATORS = {"$in": "inq", "$nin": "nin", "$ne": "neq", "$eq": "eq", "$exists": "exists"}
# Server-kept fields: a client that sends back what it read gets them ignored, not a 400.
READ_ONLY = frozenset({"_id", "id", "createdAt", "updatedAt", "createdBy", "updatedBy", "__v"})
# user -> the records of a collection they may read (e.g. access_entities.proposals_visible_to).
Readable = Callable[..., QuerySet]


class EntityView(APIView):
    """Base of the entity endpoints: JSON bodies, also as application/merge-patch+json."""

    parser_classes = JSON_BODIES


def body_of(request, *, read_only=READ_ONLY) -> dict:
    """The JSON object body as snake_case field names, without server-kept fields."""
    data = request.data
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return camel_body_to_snake({k: v for k, v in data.items() if k not in read_only})


def render(instance, *, exclude=()) -> dict:
    """A record as SciCat JSON, with Mongo's `_id` (the primary key) first."""
    data = {"_id": str(instance.pk), **model_to_camel(instance, exclude={"unit_issues", *exclude})}
    # model_to_camel takes anything with .hex() for a UUID, floats included: keep them numbers.
    for model_field in instance._meta.concrete_fields:
        if isinstance(model_field, FloatField) and snake_to_camel(model_field.name) in data:
            data[snake_to_camel(model_field.name)] = getattr(instance, model_field.attname)
    return data


def project(data: dict, fields: tuple[str, ...]) -> dict:
    """Only the requested `fields` of a rendered record (filter.fields)."""
    return {key: value for key, value in data.items() if key in fields} if fields else data


@dataclass(frozen=True)
class Schema:
    model: type
    aliases: dict = field(default_factory=dict)
    list_fields: frozenset = frozenset()
    text_fields: tuple = ()
    # Conditions answered by a function of the value instead of a column (e.g. a status map).
    special: dict = field(default_factory=dict)
    resolver: Callable | None = None

    def resolve(self, name: str) -> FieldRef:
        if self.resolver is not None:
            return self.resolver(name)
        return model_field_resolver(self.model, self.aliases)(name)

    def list_column(self, name: str) -> str | None:
        column = self.aliases.get(name) or camel_to_snake(name)
        return column if column in self.list_fields else None


# --- where ---------------------------------------------------------------------------------------


def where_q(where, schema: Schema) -> Q:
    """`where` over the schema: its special and list columns here, the rest by where_to_q."""
    return where_to_q(where, schema.resolve, partial(_schema_condition, schema))


def _schema_condition(schema: Schema, key: str, value) -> Q | None:
    if key in schema.special:
        return schema.special[key](value)
    if (column := schema.list_column(key)) is not None:
        return _list_q(column, key, value)
    return None


def _strings(values, name: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise FilterError(f"{name} needs a list of strings")
    return values


def _list_q(column: str, name: str, condition) -> Q:
    """Conditions on a JSON list: a value matches when it is one of the elements."""
    if isinstance(condition, str):
        return json_list_has_any(column, [condition])
    if isinstance(condition, list):  # Mongo: equality with the whole array
        return Q(**{column: condition})
    if not isinstance(condition, dict) or not condition:
        raise FilterError(f"unsupported condition on {name}")
    parts = []
    for raw_op, operand in condition.items():
        op = LIST_OPERATORS.get(raw_op, raw_op)
        if op in ("inq", "nin"):
            matched = json_list_has_any(column, _strings(operand, f"{op} on {name}"))
            parts.append(matched if op == "inq" else ~matched)
        elif op in ("eq", "neq"):
            matched = json_list_has_any(column, _strings([operand], f"{op} on {name}"))
            parts.append(matched if op == "eq" else ~matched)
        elif op == "exists" and isinstance(operand, bool):
            parts.append(Q() if operand else Q(pk__in=[]))
        else:
            raise FilterError(f"{raw_op} is not supported on the array field {name}")
    return reduce(and_, parts)


# --- lists ---------------------------------------------------------------------------------------


def ordered(queryset: QuerySet, limits: Limits, schema: Schema) -> QuerySet:
    """Sorted by limits.order (then the primary key, for stable pages) and paged."""
    keys = []
    for name, descending in limits.order:
        ref = schema.resolve(name)
        keys.append(f"-{ref.lookup}" if descending else ref.lookup)
    if keys:
        queryset = queryset.order_by(*keys, "pk")
    return queryset[limits.skip : limits.skip + limits.limit]


def filtered(queryset: QuerySet, flt: Filter, schema: Schema) -> QuerySet:
    return ordered(queryset.filter(where_q(flt.where, schema)), flt.limits, schema)


def limits_param(request) -> Limits:
    return parse_limits(parse_json_param(request.query_params.get("limits"), "limits"))


def fields_param(request) -> dict:
    fields = parse_json_param(request.query_params.get("fields"), "fields") or {}
    if not isinstance(fields, dict):
        raise FilterError("fields must be a JSON object")
    return fields


def _plain(record, user, include) -> dict:
    return render(record)


def listed(request, readable: Readable, schema: Schema, to_json=_plain, *, first=False) -> list:
    """A GET of a collection: `filter` (where, order, paging) over what the user may read, each
    record as `to_json(record, user, include)` cut to filter.fields; only the first with `first`.
    """
    flt = entity_filter(request)
    records = filtered(readable(request.user), flt, schema)
    if first:
        records = records[:1]
    return [project(to_json(record, request.user, flt.include), flt.fields) for record in records]


def found_one(request, readable: Readable, schema: Schema, to_json=_plain) -> dict | None:
    """findOne: the first record `filter` matches, rendered as by `listed`; None if none."""
    found = listed(request, readable, schema, to_json, first=True)
    return found[0] if found else None


# --- fullquery and fullfacet --------------------------------------------------------------------

IGNORED_FIELDS = frozenset({"userGroups", "metadataKey"})  # access comes from the server


def fullquery_q(fields: dict, schema: Schema, conditions=None) -> Q:
    """SciCat's fullquery `fields`: text, mode (a where), per-field values, ranges, conditions.

    `conditions` maps extra keys (a sample's `characteristics`) to functions returning a Q.
    """
    conditions = conditions or {}
    parts = []
    for key, value in fields.items():
        if key in IGNORED_FIELDS:
            continue
        if key == "text":
            parts.append(text_q(value, schema))
        elif key == "mode":
            parts.append(where_q(value, schema))
        elif key in conditions:
            parts.append(conditions[key](value))
        elif isinstance(value, dict) and ({"begin", "end"} & set(value)):
            bounds = {"gte": value.get("begin"), "lte": value.get("end")}
            parts.append(where_q({key: {k: v for k, v in bounds.items() if v}}, schema))
        elif isinstance(value, dict) and ({"min", "max"} & set(value)):
            bounds = {"gte": value.get("min"), "lte": value.get("max")}
            parts.append(where_q({key: {k: v for k, v in bounds.items() if v is not None}}, schema))
        elif isinstance(value, list):
            parts.append(where_q({key: {"inq": value}}, schema) if value else Q())
        else:
            parts.append(where_q({key: value}, schema))
    return reduce(and_, [p for p in parts if p], Q())


def fullquery_matching(request, readable: Readable, schema: Schema, conditions=None) -> QuerySet:
    """What the user may read, narrowed by the `fields` query parameter (see fullquery_q)."""
    query = fullquery_q(fields_param(request), schema, conditions)
    return readable(request.user).filter(query)


def count_json(request, readable: Readable, schema: Schema, conditions=None) -> dict:
    """/count: {count} of the readable records matching the where (count_where) and `fields`."""
    where = where_q(count_where(request), schema)
    matching = fullquery_matching(request, readable, schema, conditions)
    return {"count": matching.filter(where).count()}


def fullquery_json(
    request, readable: Readable, schema: Schema, to_json=_plain, conditions=None
) -> list[dict]:
    """/fullquery: the readable records matching `fields`, sorted and paged by `limits`."""
    matching = fullquery_matching(request, readable, schema, conditions)
    page = ordered(matching, limits_param(request), schema)
    return [to_json(record, request.user, ()) for record in page]


def text_q(text, schema: Schema) -> Q:
    """Any of the words, case-insensitively, in any of the text fields (SciCat's $text is an
    OR of stemmed whole words; this is an OR of substrings)."""
    if text in (None, ""):
        return Q()
    if not isinstance(text, str):
        raise FilterError("text must be a string")
    words = text.split()[:20]
    return reduce(
        or_,
        (Q(**{f"{name}__icontains": word}) for word in words for name in schema.text_fields),
        Q(pk__in=[]),
    )


def fullfacet(queryset: QuerySet, facets, schema: Schema) -> list[dict]:
    """[{facet: [{_id, count}] (by _id, descending), ..., all: [{totalSets}]}], as upstream."""
    if not isinstance(facets, list) or not all(isinstance(name, str) for name in facets):
        raise FilterError('facets must be a JSON list of field names, e.g. ["ownerGroup"]')
    result = {name: _facet(queryset, name, schema) for name in facets}
    total = queryset.count()
    result["all"] = [{"totalSets": total}] if total else []
    return [result]


def _facet(queryset: QuerySet, name: str, schema: Schema) -> list[dict]:
    column = schema.list_column(name)
    if column is not None:  # arrays are unwound: one count per element
        counts = Counter(
            value
            for values in queryset.values_list(column, flat=True).iterator()
            for value in set(values or [])
            if isinstance(value, str | int | float)
        )
    else:
        ref = schema.resolve(name)
        values = queryset.values_list(ref.lookup, flat=True)
        if ref.kind == "date":  # grouped by day, _id {year, month, day}, as upstream
            days = Counter(iso(moment)[:10] for moment in values.iterator() if moment)
            return [{"_id": _day(day), "count": n} for day, n in sorted(days.items(), reverse=True)]
        if ref.kind == "json":
            counts = Counter(v for v in values.iterator() if v is None or _scalar(v))
        else:
            rows = queryset.order_by().values(ref.lookup).annotate(count=Count("pk"))
            counts = Counter({row[ref.lookup]: row["count"] for row in rows})
    ranked = sorted(counts.items(), key=lambda item: _rank(item[0]), reverse=True)
    return [{"_id": key, "count": count} for key, count in ranked]


def _scalar(value) -> bool:
    return isinstance(value, str | int | float)


def _day(day: str) -> dict:
    year, month, date = (int(part) for part in day.split("-"))
    return {"year": year, "month": month, "day": date}


def _rank(key) -> tuple:
    """Mongo's order of mixed values: null < numbers < strings."""
    if key is None:
        return (0, 0.0, "")
    if isinstance(key, int | float):
        return (1, float(key), "")
    return (2, 0.0, str(key))


def entity_filter(request) -> Filter:
    """`filter` as on /Datasets; some upstream versions read `filters` here, so it works too."""
    raw = request.query_params.get("filters")
    if raw is not None and "filter" not in request.query_params:
        return parse_filter(parse_json_param(raw, "filters"))
    return filter_from_request(request)


FILTER_KEYS = frozenset({"where", "fields", "include", "limits", "limit", "skip", "order"})


def count_where(request) -> dict:
    """The where of a /count: `filter`'s where, or `filter` itself when it is a bare where
    (upstream's /Proposals/count reads it so; ignoring it would count everything)."""
    raw = request.query_params.get("filter")
    data = parse_json_param(raw, "filter") if raw is not None else None
    if isinstance(data, dict) and data and not FILTER_KEYS & set(data):
        return data
    return entity_filter(request).where
