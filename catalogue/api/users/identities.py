"""GET /useridentities/findOne?filter={"where": {...}} (the filter may come as a header).

The filter is the full filter syntax or just its where clause. Conditions name `userId`,
`profile.id`, `profile.username`, `profile.email` or `profile.emails.value`. Non-admins find
only themselves. Nothing found is 404, as upstream answers today (older versions sent an empty
body).
"""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.filters import parse_json_param
from catalogue.errors import InvalidInput
from catalogue.services.users import user_identity_find

from .accounts import require_authenticated
from .shapes import identity_json


def identity_where(request) -> dict:
    # Upstream reads the header first; the frontend's LoopBack configuration sends it there.
    raw = request.headers.get("filter")
    if raw is None:
        raw = request.query_params.get("filter")
    data = parse_json_param(raw, "filter")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("filter must be a JSON object")
    return data.get("where", data)


class IdentityFindOneView(APIView):
    def get(self, request):
        require_authenticated(request)
        user = user_identity_find(viewer=request.user, where=identity_where(request))
        return Response(identity_json(user))
