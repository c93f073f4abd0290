"""SciCat v3 /Proposals: create, validate, list, count, fullquery, fullfacet, one, its datasets.

Reads start from access_entities.proposals_visible_to; writes go through the proposal services
(admins and PROPOSAL_GROUPS create and update, DELETE_GROUPS delete).
"""

from __future__ import annotations

from functools import partial

from rest_framework import status
from rest_framework.response import Response

from catalogue.access_entities import proposals_visible_to
from catalogue.errors import InvalidInput
from catalogue.models import Proposal, TermKind
from catalogue.services.entities import (
    proposal_create,
    proposal_delete,
    proposal_update,
    proposal_validate,
)

from ..filters import parse_json_param
from ..routing import api_path
from .common import (
    EntityView,
    Schema,
    body_of,
    count_json,
    fullfacet,
    fullquery_json,
    fullquery_matching,
    listed,
)
from .records import CanAccess, LinkedDatasets, RecordDetail, render_with_includes

SCHEMA = Schema(
    Proposal,
    aliases={"_id": "proposal_id"},
    list_fields=frozenset({"access_groups", "instrument_ids"}),
    text_fields=(
        "proposal_id",
        "title",
        "abstract",
        "email",
        "pi_email",
        "pi_firstname",
        "pi_lastname",
        "firstname",
        "lastname",
    ),
)

_json = partial(render_with_includes, kind=TermKind.PROPOSAL)


class ProposalList(EntityView):
    def get(self, request):
        return Response(listed(request, proposals_visible_to, SCHEMA, _json))

    def post(self, request):
        proposal = proposal_create(user=request.user, data=body_of(request))
        return Response(_json(proposal), status=status.HTTP_201_CREATED)


class ProposalIsValid(EntityView):
    def post(self, request):
        try:
            proposal_validate(user=request.user, data=body_of(request))
        except InvalidInput:
            return Response({"valid": False})
        return Response({"valid": True})


class ProposalCount(EntityView):
    def get(self, request):
        return Response(count_json(request, proposals_visible_to, SCHEMA))


class ProposalFullquery(EntityView):
    def get(self, request):
        return Response(fullquery_json(request, proposals_visible_to, SCHEMA, _json))


class ProposalFullfacet(EntityView):
    def get(self, request):
        proposals = fullquery_matching(request, proposals_visible_to, SCHEMA)
        facets = parse_json_param(request.query_params.get("facets"), "facets") or []
        return Response(fullfacet(proposals, facets, SCHEMA))


class ProposalDetail(RecordDetail):
    model, label = Proposal, "Proposal"

    def update(self, user, proposal, changes):
        return proposal_update(user=user, proposal=proposal, changes=changes)

    def remove(self, user, proposal):
        proposal_delete(user=user, proposal=proposal)


PID = r"(?P<pid>.+?)"
routes = [
    api_path(r"proposals/isvalid", ProposalIsValid.as_view()),
    api_path(r"proposals/count", ProposalCount.as_view()),
    api_path(r"proposals/fullquery", ProposalFullquery.as_view()),
    api_path(r"proposals/fullfacet", ProposalFullfacet.as_view()),
    api_path(rf"proposals/{PID}/authorization", CanAccess.as_view(readable=proposals_visible_to)),
    api_path(rf"proposals/{PID}/datasets", LinkedDatasets.as_view(kind=TermKind.PROPOSAL)),
    api_path(rf"proposals/{PID}", ProposalDetail.as_view(readable=proposals_visible_to)),
    api_path(r"proposals", ProposalList.as_view()),
]
