"""SciCat v3 /Samples: create, list, count, fullquery (with characteristics), metadataKeys,
findOne, one, its datasets.

Reads start from access_entities.samples_visible_to; writes go through the sample services.
`characteristics` conditions work like the datasets' `scientific` ones (scicat-api.md §2.7):
with a unit they compare the SI values the services store next to each quantity.
"""

from __future__ import annotations

from functools import reduce
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
    count_where,
    datasets_linked,
    entity_filter,
    fields_param,
    filtered,
    fullquery_q,
    get_or_404,
    get_visible,
    limits_param,
    ordered,
    project,
    render,
    where_q,
    with_includes,
)
from .jsonq import condition_q

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


def _matching(request):
    fields = fields_param(request)
    return samples_visible_to(request.user).filter(
        fullquery_q(fields, SCHEMA, {"characteristics": characteristics_q})
    ), fields


def _json(sample: Sample, request=None, include=()) -> dict:
    data = render(sample)
    if include:
        with_includes(data, sample, include, request.user, kind=TermKind.SAMPLE)
    return data


class SampleList(EntityView):
    def get(self, request):
        flt = entity_filter(request)
        samples = filtered(samples_visible_to(request.user), flt, SCHEMA)
        return Response([project(_json(s, request, flt.include), flt.fields) for s in samples])

    def post(self, request):
        sample = sample_create(user=request.user, data=body_of(request))
        return Response(_json(sample), status=status.HTTP_201_CREATED)


class SampleCount(EntityView):
    def get(self, request):
        samples, _ = _matching(request)
        samples = samples.filter(where_q(count_where(request), SCHEMA))
        return Response({"count": samples.count()})


class SampleFullquery(EntityView):
    def get(self, request):
        samples, _ = _matching(request)
        return Response([_json(s) for s in ordered(samples, limits_param(request), SCHEMA)])


class SampleMetadataKeys(EntityView):
    """The dotted keys of sampleCharacteristics (a quantity is one key, not value/unit)."""

    def get(self, request):
        samples, fields = _matching(request)
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
        flt = entity_filter(request)
        found = list(filtered(samples_visible_to(request.user), flt, SCHEMA)[:1])
        if not found:
            return Response(None)  # upstream: 200 with an empty body
        sample = found[0]
        return Response(project(_json(sample, request, flt.include), flt.fields))


class SampleDetail(EntityView):
    def get(self, request, sid):
        return Response(_json(get_visible(Sample, samples_visible_to, sid, request.user, "Sample")))

    def patch(self, request, sid):
        sample = get_or_404(Sample, sid, "Sample")
        sample = sample_update(user=request.user, sample=sample, changes=body_of(request))
        return Response(_json(sample))

    def delete(self, request, sid):
        sample = get_or_404(Sample, sid, "Sample")
        last_state = _json(sample)
        sample_delete(user=request.user, sample=sample)
        return Response(last_state)


class SampleAuthorization(EntityView):
    """{canAccess}: whether the user may read the sample (false when it does not exist)."""

    def get(self, request, sid):
        return Response({"canAccess": samples_visible_to(request.user).filter(pk=sid).exists()})


class SampleDatasets(EntityView):
    def get(self, request, sid):
        limits = entity_filter(request).limits
        return Response(datasets_linked(request.user, TermKind.SAMPLE, sid, limits))


SID = r"(?P<sid>.+?)"
routes = [
    api_path(r"samples/count", SampleCount.as_view()),
    api_path(r"samples/fullquery", SampleFullquery.as_view()),
    api_path(r"samples/metadatakeys", SampleMetadataKeys.as_view()),
    api_path(r"samples/findone", SampleFindOne.as_view()),
    api_path(rf"samples/{SID}/authorization", SampleAuthorization.as_view()),
    api_path(rf"samples/{SID}/datasets", SampleDatasets.as_view()),
    api_path(rf"samples/{SID}", SampleDetail.as_view()),
    api_path(r"samples", SampleList.as_view()),
]
