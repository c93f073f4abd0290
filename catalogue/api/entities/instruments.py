"""SciCat v3 /Instruments: readable by everybody, written by admins, deleted by DELETE_GROUPS.

pyscicat quirks (scicat-api.md §5): `instruments_create` sends `pid` and no `uniqueName` (both
accepted by the service), and `instruments_get_one(name=...)` sends a bare JSON query string
without `filter=` (filter_from_request reads it).
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from catalogue.models import Instrument
from catalogue.services.entities import instrument_create, instrument_delete, instrument_update

from ..routing import api_path
from .common import EntityView, Schema, body_of, count_where, found_one, listed, where_q
from .common import render as _json
from .records import RecordDetail

SCHEMA = Schema(Instrument, aliases={"_id": "pid"}, text_fields=("pid", "unique_name", "name"))


def _readable(user):
    return Instrument.objects.all()  # everybody reads instruments


class InstrumentList(EntityView):
    def get(self, request):
        return Response(listed(request, _readable, SCHEMA))

    def post(self, request):
        instrument = instrument_create(user=request.user, data=body_of(request))
        return Response(_json(instrument), status=status.HTTP_201_CREATED)


class InstrumentCount(EntityView):
    def get(self, request):
        query = where_q(count_where(request), SCHEMA)
        return Response({"count": Instrument.objects.filter(query).count()})


class InstrumentFindOne(EntityView):
    def get(self, request):
        return Response(found_one(request, _readable, SCHEMA))


class InstrumentDetail(RecordDetail):
    model, label = Instrument, "Instrument"  # as_view() without readable: everybody reads

    def update(self, user, instrument, changes):
        return instrument_update(user=user, instrument=instrument, changes=changes)

    def remove(self, user, instrument):
        instrument_delete(user=user, instrument=instrument)


routes = [
    api_path(r"instruments/count", InstrumentCount.as_view()),
    api_path(r"instruments/findone", InstrumentFindOne.as_view()),
    api_path(r"instruments/(?P<pid>.+?)", InstrumentDetail.as_view()),
    api_path(r"instruments", InstrumentList.as_view()),
]
