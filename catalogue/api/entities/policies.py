"""SciCat v3 /Policies: admins and POLICY_GROUPS read, create and update; DELETE_GROUPS delete.

One policy per ownerGroup (the dataset services make a default one with a group's first
dataset). embargoPeriod (years) sets when new datasets of the group become public by themselves.
"""

from __future__ import annotations

import uuid

from rest_framework import status
from rest_framework.response import Response

from catalogue.access_entities import may_manage_policies, policies_visible_to
from catalogue.errors import InvalidInput, NotFound, PermissionDenied
from catalogue.models import Policy
from catalogue.services.entities import (
    policies_update_where,
    policy_create,
    policy_delete,
    policy_update,
)

from ..camel import camel_body_to_snake
from ..filters import parse_json_param
from ..routing import api_path
from .common import EntityView, Schema, body_of, entity_filter, listed, render, where_q

SCHEMA = Schema(
    Policy,
    list_fields=frozenset(
        {
            "access_groups",
            "manager",
            "archive_emails_to_be_notified",
            "retrieve_emails_to_be_notified",
        }
    ),
)


def _readable(user):
    """The policies `user` may read; 403 (upstream's endpoint guard) for everybody else."""
    if not may_manage_policies(user):
        raise PermissionDenied("Forbidden resource")
    return policies_visible_to(user)


def _policy(policies, pk) -> Policy:
    """The policy `pk` among `policies`; 404 also for ids that are not UUIDs."""
    try:
        policy = policies.filter(pk=uuid.UUID(str(pk))).first()
    except ValueError:
        policy = None
    if policy is None:
        raise NotFound(f"Policy: {pk} not found")
    return policy


class PolicyList(EntityView):
    def get(self, request):
        return Response(listed(request, _readable, SCHEMA))

    def post(self, request):
        policy = policy_create(user=request.user, data=body_of(request))
        return Response(render(policy), status=status.HTTP_201_CREATED)


class PolicyCount(EntityView):
    """{count}; the condition comes as `where` (upstream) or as `filter`'s where."""

    def get(self, request):
        where = parse_json_param(request.query_params.get("where"), "where")
        if where is None:
            where = entity_filter(request).where
        return Response({"count": _readable(request.user).filter(where_q(where, SCHEMA)).count()})


class PolicyUpdateWhere(EntityView):
    """Body {ownerGroupList: "g1,g2" (or a list), data: {...}}: missing policies are made first."""

    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        groups, data = body.get("ownerGroupList"), body.get("data")
        if isinstance(groups, str):
            groups = [group.replace('"', "") for group in groups.split(",")]
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise InvalidInput("ownerGroupList must be a comma-separated list of owner groups")
        if not isinstance(data, dict):
            raise InvalidInput("data must be an object of policy fields")
        policies_update_where(
            user=request.user, owner_groups=groups, changes=camel_body_to_snake(data)
        )
        return Response({"message": "successful policy update"})


class PolicyDetail(EntityView):
    def get(self, request, pk):
        return Response(render(_policy(_readable(request.user), pk)))

    def patch(self, request, pk):
        policy = _policy(_readable(request.user), pk)
        policy = policy_update(user=request.user, policy=policy, changes=body_of(request))
        return Response(render(policy))

    def delete(self, request, pk):
        # DELETE_GROUPS need not be policy managers, so any policy is looked up.
        policy = _policy(Policy.objects.all(), pk)
        last_state = render(policy)
        policy_delete(user=request.user, policy=policy)
        return Response(last_state)


routes = [
    api_path(r"policies/count", PolicyCount.as_view()),
    api_path(r"policies/updatewhere", PolicyUpdateWhere.as_view()),
    api_path(r"policies/(?P<pk>[^/]+)", PolicyDetail.as_view()),
    api_path(r"policies", PolicyList.as_view()),
]
