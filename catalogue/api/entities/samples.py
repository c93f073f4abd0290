"""SciCat v3 /Samples: create, list, count, fullquery (with characteristics), metadataKeys,
findOne, one, its datasets.

Reads start from access_entities.samples_visible_to; writes go through the sample services.
`characteristics` conditions work like the datasets' `scientific` ones (scicat-api.md §2.7):
with a unit they compare the SI values the services store next to each quantity.
"""

from __future__ import annotations

from functools import partial, reduce
from operator import and_

from django.db.models import Q
from rest_framework import status
from rest_framework.response import Response

from catalogue.access_entities import samples_visible_to
from catalogue.models import Sample, TermKind
from catalogue.services.entities import sample_create, sample_delete, sample_update
from catalogue.units import is_quantity
from search.query.model import STRING_RELATIONS, QueryError
from search.query.values import make_condition

from ..routing import api_path
from ..where import FilterError
from .common import (
    EntityView,
    Schema,
    body_of,
    count_json,
    fields_param,
    found_one,
    fullquery_json,
    fullquery_q,
    limits_param,
    listed,
)
from .jsonq import condition_q
from .records import CanAccess, LinkedDatasets, RecordDetail, render_with_includes

SCHEMA = Schema(
    Sample,
    aliases={"_id": "sample_id"},
    list_fields=frozenset({"access_groups"}),
    text_fields=("sample_id", "description", "owner", "type", "proposal_id"),
)
MAX_SCANNED = 10_000  # samples read for /metadataKeys


def characteristics_q(conditions) -> Q:
    """[{lhs, relation, rhs, unit}] on sampleCharacteristics, all of them (AND)."""
    if conditions in (None, []):
        return Q()
    if not isinstance(conditions, list):
        raise FilterError("characteristics must be a list of conditions")
    parts = []
    for item in conditions:
        if not isinstance(item, dict) or not {"lhs", "relation", "rhs"} <= set(item):
            raise FilterError("each characteristics condition is {lhs, relation, rhs, unit}")
        relation = item["relation"]
        # A unit sent with a string relation is ignored, as upstream.
        unit = (
            "" if isinstance(relation, str) and relation in STRING_RELATIONS else item.get("unit")
        )
        try:
            condition = make_condition(item["lhs"], relation, item["rhs"], unit)
        except QueryError as exc:
            raise FilterError(exc.message) from exc
        parts.append(condition_q("sample_characteristics", condition))
    return reduce(and_, parts)


CONDITIONS = {"characteristics": characteristics_q}
_json = partial(render_with_includes, kind=TermKind.SAMPLE)


class SampleList(EntityView):
    def get(self, request):
        return Response(listed(request, samples_visible_to, SCHEMA, _json))

    def post(self, request):
        sample = sample_create(user=request.user, data=body_of(request))
        return Response(_json(sample), status=status.HTTP_201_CREATED)


class SampleCount(EntityView):
    def get(self, request):
        return Response(count_json(request, samples_visible_to, SCHEMA, CONDITIONS))


class SampleFullquery(EntityView):
    def get(self, request):
        return Response(fullquery_json(request, samples_visible_to, SCHEMA, _json, CONDITIONS))


class SampleMetadataKeys(EntityView):
    """The dotted keys of sampleCharacteristics (a quantity is one key, not value/unit)."""

    def get(self, request):
        fields = fields_param(request)
        samples = samples_visible_to(request.user).filter(fullquery_q(fields, SCHEMA, CONDITIONS))
        wanted = str(fields.get("metadataKey") or "").lower()
        keys = set()
        for characteristics in samples.values_list("sample_characteristics", flat=True)[
            :MAX_SCANNED
        ]:
            keys.update(_keys(characteristics, ""))
        found = sorted(key for key in keys if wanted in key.lower())
        limits = limits_param(request)
        return Response(found[limits.skip : limits.skip + limits.limit])


def _keys(node, prefix: str):
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict) and not is_quantity(value):
            yield from _keys(value, path + ".")


class SampleFindOne(EntityView):
    def get(self, request):
        # None when nothing matches: upstream answers 200 with an empty body.
        return Response(found_one(request, samples_visible_to, SCHEMA, _json))


class SampleDetail(RecordDetail):
    model, label = Sample, "Sample"

    def update(self, user, sample, changes):
        return sample_update(user=user, sample=sample, changes=changes)

    def remove(self, user, sample):
        sample_delete(user=user, sample=sample)


SID = r"(?P<sid>.+?)"
routes = [
    api_path(r"samples/count", SampleCount.as_view()),
    api_path(r"samples/fullquery", SampleFullquery.as_view()),
    api_path(r"samples/metadatakeys", SampleMetadataKeys.as_view()),
    api_path(r"samples/findone", SampleFindOne.as_view()),
    api_path(rf"samples/{SID}/authorization", CanAccess.as_view(readable=samples_visible_to)),
    api_path(rf"samples/{SID}/datasets", LinkedDatasets.as_view(kind=TermKind.SAMPLE)),
    api_path(rf"samples/{SID}", SampleDetail.as_view(readable=samples_visible_to)),
    api_path(r"samples", SampleList.as_view()),
]
