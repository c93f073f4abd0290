"""The OpenAPI 3 description of the SciCat v3 API, for /api/schema/ and the /explorer/ page.

The API's views are plain APIViews without serializers (they parse SciCat's DTOs by hand), so
drf-spectacular cannot guess their bodies. Instead of decorating ~80 handlers, one generator
(`SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]`) describes them from their paths:

* paths: only /api/v3/…, written as pyscicat writes them (`/api/v3/Datasets/{pid}/origdatablocks`)
  instead of the case-insensitive route regexes; they are served in any case;
* shapes: the resource is the last fixed path segment (Datasets → Dataset, …/origdatablocks →
  OrigDatablock); collections answer lists, items objects, `count` {count}, and so on. The
  component schemas (components.py) list the main SciCat v3 fields and allow more, as the API
  does; a record's fields may be null where the database allows it, and none is promised in a
  response, since a filter's `fields` may project any of them away;
* query parameters that carry JSON (filter, fields, limits, facets) are JSON content, so that
  clients and fuzzers send JSON; every operation lists the error statuses it can answer;
* the result is checked against the live API by bench/fuzz.py (schemathesis);
* auth: `Authorization: Bearer <token>` or `?access_token=<token>`; anonymous calls are allowed
  and see public data only, so every operation also lists the empty requirement.

Views that do declare their own schema (a serializer or @extend_schema) keep it.
"""

from __future__ import annotations

import copy

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .components import (
    ACTIONS,
    ANY_OBJ,
    API_PREFIX,
    CHANGE_BODIES,
    COLLECTIONS,
    CREATE_BODIES,
    ERRORS,
    FIND_ONE,
    FIXED_BODIES,
    FIXED_RESPONSES,
    JSON_PARAMETERS,
    MAY_BE_MISSING,
    PARAMETER_HELP,
    PATH_HELP,
    QUERY_PARAMETERS,
    RESOURCES,
    SCHEMAS,
    TAGS,
    THROTTLED,
    TYPES,
)


def canonical_path(path: str) -> str:
    """`/api/v3/{var}datasets/{pid}/isvalid/` → `/api/v3/Datasets/{pid}/isValid`."""
    path = path.replace("{var}", "").rstrip("/")
    if not path.startswith(API_PREFIX):
        return path
    head, *rest = path[len(API_PREFIX) :].split("/")
    head = COLLECTIONS.get(head.lower(), head)
    rest = [ACTIONS.get(part.lower(), part) for part in rest]
    return API_PREFIX + "/".join([head, *rest])


class SciCatEndpointEnumerator(EndpointEnumerator):
    """The /api/v3/ routes only, with readable paths (no `(?i)` flags, no optional slash)."""

    def _get_api_endpoints(self, patterns, prefix):
        endpoints = []
        for path, regex, method, callback in super()._get_api_endpoints(patterns, prefix):
            regex = regex.replace("(?i)", "")
            path = canonical_path(self.get_path_from_regex(regex))
            if path.startswith(API_PREFIX):
                endpoints.append((path, regex, method, callback))
        return endpoints


class SciCatSchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = SciCatEndpointEnumerator

    def create_view(self, callback, method, request=None):
        view = super().create_view(callback, method, request)
        if type(view.schema) is AutoSchema and not getattr(view, "serializer_class", None):
            self._set_schema_to_view(view, SciCatAutoSchema())
        return view


class SciCatAutoSchema(AutoSchema):
    """Describes a serializer-less SciCat view from its (canonical) path and method."""

    @property
    def _parts(self) -> list[str]:
        return self.path[len(API_PREFIX) :].split("/")

    @property
    def _fixed(self) -> list[str]:
        return [part for part in self._parts if not part.startswith("{")]

    @property
    def _on_item(self) -> bool:
        return self._parts[-1].startswith("{")

    def _ref(self, name: str) -> dict:
        # A copy: drf-spectacular's enum hook rewrites component schemas in place.
        schema = copy.deepcopy(SCHEMAS[name])
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=f"scicat:{name}", schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _resource(self) -> str | None:
        for part in reversed(self._fixed):
            if part in RESOURCES:
                return RESOURCES[part]
        return None

    def _fixed_name(self, table: dict) -> str | None:
        fixed = self._fixed
        for key in ("/".join(fixed[-2:]), fixed[-1] if fixed else ""):
            if key in table:
                return table[key]
        return None

    def get_operation_id(self) -> str:
        words = [f"by_{p[1:-1]}" if p.startswith("{") else p for p in self._parts]
        return "_".join([*words, self.method.lower()])

    def get_tags(self) -> list[str]:
        head = self._parts[0]
        return [TAGS.get(head, head.lower())]

    def get_summary(self) -> str | None:
        resource = self._resource()
        last = self._parts[-1]
        if resource is None or (last not in RESOURCES and not self._on_item):
            return None
        verbs = {"GET": "Get", "POST": "Create", "PATCH": "Update", "PUT": "Replace"}
        verb = verbs.get(self.method, "Delete")
        if self.method == "GET" and not self._on_item:
            return f"List {resource} records"
        return f"{verb} {'one ' if self._on_item else ''}{resource}"

    def get_request_serializer(self):
        if self.method not in ("POST", "PATCH", "PUT"):
            return None
        last, resource = self._parts[-1], self._resource()
        name = self._fixed_name(FIXED_BODIES)
        if name is None and resource and (last in RESOURCES or last == "isValid"):
            name = CREATE_BODIES.get(resource, resource)
        elif name is None and resource and self._on_item:
            name = CHANGE_BODIES.get(resource, resource)
        elif name is None and last == "jwt":
            name = "TokenOptions"
        return {"application/json": self._ref(name) if name else dict(ANY_OBJ)}

    def _success(self) -> dict:
        name = self._fixed_name(FIXED_RESPONSES)
        if name:
            return self._ref(name)
        last, resource = self._parts[-1], self._resource()
        if last == "metadataKeys":
            return TYPES["strs"]
        if resource is None:
            return dict(ANY_OBJ)
        one = self._ref(resource)
        if last in RESOURCES:  # a collection
            if self.method == "DELETE":
                return self._ref("Count")
            return {"type": "array", "items": one} if self.method == "GET" else one
        if self._fixed[-2:] == ["fullquery", "files"]:
            return {"type": "array", "items": self._ref("OrigDatablockFile")}
        if last == "fullquery":
            return {"type": "array", "items": one}
        return one if self._on_item or last == "findOne" else dict(ANY_OBJ)

    def get_response_serializers(self):
        created = self.method == "POST" and self._parts[-1] not in ("isValid", "logout")
        codes = []
        if self.method in ("POST", "PATCH", "PUT") or self._query_names():
            codes.append("400")
        codes += ["401", "403"]  # 401: a token that is not (or no longer) valid; 403: not allowed
        writes = self.method in ("POST", "PATCH", "PUT") and self._resource()
        if "{" in self.path or self._fixed_name(MAY_BE_MISSING) or writes:
            codes.append("404")  # a write's body may name a record that does not exist
        if self.method in ("POST", "PUT") and created:
            codes.append("409")
        if self.method in ("POST", "PATCH", "PUT"):
            codes.append("413")
        if self._fixed_name(THROTTLED):
            codes.append("429")
        too_long = OpenApiResponse(None, ERRORS["414"])
        error = self._ref("Error")
        if self._parts[-1] == "findOne":
            # Nothing found: 200 with an empty body and no Content-Type, as SciCat answers.
            success = OpenApiResponse(None, FIND_ONE.format(self._resource() or "record"))
        else:
            success = OpenApiResponse(self._success(), "Created" if created else "OK")
        responses = {"201" if created else "200": success}
        responses.update({code: OpenApiResponse(error, ERRORS[code]) for code in codes})
        responses["414"] = too_long
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in JSON_PARAMETERS:
                # A JSON value, so that clients (and fuzzers) send JSON, not any string.
                schema = JSON_PARAMETERS[parameter["name"]]
                del parameter["schema"]
                parameter["content"] = {"application/json": {"schema": copy.deepcopy(schema)}}
        return operation

    def _query_names(self) -> tuple[str, ...]:
        last = self._parts[-1]
        if last in QUERY_PARAMETERS:
            return QUERY_PARAMETERS[last]
        listing = last in RESOURCES or last in ("count", "findOne")
        one_dataset = self._parts[0] == "Datasets" and len(self._parts) == 2 and self._on_item
        return ("filter",) if self.method == "GET" and (listing or one_dataset) else ()

    def get_override_parameters(self):
        return [
            OpenApiParameter(name, str, OpenApiParameter.QUERY, description=PARAMETER_HELP[name])
            for name in self._query_names()
        ]

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            parameter["schema"] = dict(TYPES["str"])
            parameter["description"] = PATH_HELP.get(parameter["name"], "the record's id")
        return parameters


# --- authentication ------------------------------------------------------------------------------


class TokenScheme(OpenApiAuthenticationExtension):
    """A fedcat API token (from POST /api/v3/auth/login, `id`) in either place pyscicat uses."""

    target_class = "catalogue.api.auth.TokenAuthentication"
    name = ["BearerToken", "AccessTokenQuery"]
    priority = 1

    def get_security_requirement(self, auto_schema):
        return [{"BearerToken": []}, {"AccessTokenQuery": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <token>"},
            {"type": "apiKey", "in": "query", "name": "access_token"},
        ]


class PortalSessionScheme(OpenApiAuthenticationExtension):
    """The portal's session cookie also signs the API in (the explorer's "Try it out")."""

    target_class = "catalogue.api.auth.QuietSessionAuthentication"
    name = "PortalSession"
    match_subclasses = True

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
