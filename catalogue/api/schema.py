"""The OpenAPI 3 description of the SciCat v3 API, for /api/schema/ and the /explorer/ page.

The API's views are plain APIViews without serializers (they parse SciCat's DTOs by hand), so
drf-spectacular cannot guess their bodies. Instead of decorating ~80 handlers, one generator
(`SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]`) describes them from their paths:

* paths: only /api/v3/…, written as pyscicat writes them (`/api/v3/Datasets/{pid}/origdatablocks`)
  instead of the case-insensitive route regexes; they are served in any case;
* shapes: the resource is the last fixed path segment (Datasets → Dataset, …/origdatablocks →
  OrigDatablock); collections answer lists, items objects, `count` {count}, and so on. The
  component schemas below list the main SciCat v3 fields and allow more, as the API does;
* auth: `Authorization: Bearer <token>` or `?access_token=<token>`; anonymous calls are allowed
  and see public data only, so every operation also lists the empty requirement.

Views that do declare their own schema (a serializer or @extend_schema) keep it.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

API_PREFIX = "/api/v3/"
# Spelling of path segments as pyscicat and SciCat's clients write them.
COLLECTIONS = {
    "datasets": "Datasets",
    "proposals": "Proposals",
    "samples": "Samples",
    "instruments": "Instruments",
    "policies": "Policies",
    "publisheddata": "PublishedData",
}
ACTIONS = {
    "isvalid": "isValid",
    "findone": "findOne",
    "metadatakeys": "metadataKeys",
    "appendtoarrayfield": "appendToArrayField",
    "updatewhere": "updateWhere",
}
TAGS = {"PublishedData": "published data", "useridentities": "users", "admin": "frontend"}


NAIVE = "ISO 8601; a naive time (also `YYYY-MM-DD HH:MM:SS`) is read in SERVER_TIME_ZONE"
TYPES = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "num": {"type": "number"},
    "bool": {"type": "boolean"},
    "time": {"type": "string", "format": "date-time"},
    "naive": {"type": "string", "description": NAIVE},
    "strs": {"type": "array", "items": {"type": "string"}},
    "obj": {"type": "object", "additionalProperties": True},
    "objs": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    "any": {},
}
ANY_OBJ, STR = TYPES["obj"], TYPES["str"]
OWNABLE = "ownerGroup accessGroups:strs instrumentGroup isPublished:bool"
QUERYABLE = "createdBy updatedBy createdAt:time updatedAt:time"


def _obj(fields: str, **special) -> dict:
    """An object schema from "name name*:type …" (`*` required, type from TYPES, default str);
    `special` gives whole property schemas. Unknown properties are allowed, as on the API."""
    properties, required = {}, []
    for field in fields.split():
        name, _, kind = field.partition(":")
        if name.endswith("*"):
            name = name[:-1]
            required.append(name)
        properties[name] = dict(TYPES[kind or "str"])
    for name, schema in special.items():
        properties[name] = {**properties.get(name, {}), **schema}
    schema = {"type": "object", "properties": properties, "additionalProperties": True}
    return {**schema, "required": required} if required else schema


def _note(text: str) -> dict:
    return {"description": text}


DATAFILE = _obj("path* size*:int time:naive chk uid gid perm type", path=_note("relative path"))
FILES = {"type": "array", "items": DATAFILE}
DATASET = (
    "pid type owner ownerEmail orcidOfOwner contactEmail sourceFolder sourceFolderHost "
    "creationTime:naive datasetName description keywords:strs license scientificMetadata:obj "
    "principalInvestigator creationLocation proposalId sampleId instrumentId startTime:naive "
    "endTime:naive dataFormat investigator inputDatasets:strs usedSoftware:strs "
    "jobParameters:obj jobLogData sharedWith:strs techniques:objs " + OWNABLE
)
DATASET_NOTES = {
    "type": _note("raw, derived or a configured custom type"),
    "principalInvestigator": _note("raw datasets"),
    "creationLocation": _note("raw datasets"),
    "investigator": _note("derived datasets"),
    "inputDatasets": _note("derived datasets"),
    "usedSoftware": _note("derived datasets"),
}
CREATE_REQUIRED = ("ownerGroup", "owner", "contactEmail", "sourceFolder", "creationTime", "type")
SCHEMAS = {
    "Error": _obj("statusCode*:int message*:any error", message={"oneOf": [STR, TYPES["strs"]]}),
    "Count": _obj("count*:int"),
    "Validity": _obj("valid*:bool error errors:objs"),
    "Credentials": _obj("username* password*"),
    "Login": _obj(
        "id* access_token* expires_in:int ttl:int created:time userId user:obj",
        id=_note("the token (pyscicat reads this key)"),
    ),
    "TokenOptions": _obj(
        "expiresIn:any",
        expiresIn={"oneOf": [TYPES["int"], STR], **_note('seconds, "30d", "1y", "never"')},
    ),
    "Jwt": _obj("jwt*"),
    "User": _obj("id username email emailVerified:bool realm authStrategy"),
    "Dataset": _obj(f"pid* _id size:int numberOfFiles:int {DATASET} {QUERYABLE}", **DATASET_NOTES),
    "DatasetCreate": {**_obj(DATASET, **DATASET_NOTES), "required": list(CREATE_REQUIRED)},
    "DatasetChanges": _obj(DATASET, **DATASET_NOTES),
    "DataFile": DATAFILE,
    "OrigDatablock": _obj(
        f"_id id* datasetId* size*:int chkAlg {OWNABLE} {QUERYABLE}", dataFileList=FILES
    ),
    "OrigDatablockCreate": _obj(
        "datasetId size*:int chkAlg:any",
        datasetId=_note("top-level /origdatablocks only"),
        chkAlg={"oneOf": [STR, TYPES["int"]], **_note("stored as a string")},
        dataFileList={**FILES, "minItems": 1},
    ),
    "Datablock": _obj(
        f"id* datasetId* archiveId* size:int packedSize:int chkAlg version {OWNABLE}",
        dataFileList=FILES,
    ),
    "Attachment": _obj(
        f"id thumbnail* caption datasetId {OWNABLE}",
        thumbnail=_note("a data: URI (pyscicat's encode_thumbnail)"),
        caption=_note("optional (pyscicat 0.4.8 may omit it)"),
    ),
    "Proposal": _obj(
        "proposalId* email* title* pi_email pi_firstname pi_lastname firstname lastname "
        "abstract startTime:naive endTime:naive MeasurementPeriodList:objs metadata:obj "
        f"parentProposalId type {OWNABLE}"
    ),
    "Sample": _obj(
        f"sampleId owner description type proposalId sampleCharacteristics:obj {OWNABLE}",
        sampleId=_note("generated when absent"),
    ),
    "Instrument": _obj(
        "pid uniqueName name* customMetadata:obj",
        pid=_note("generated when absent; accepted on create (pyscicat sends it)"),
        uniqueName=_note("defaults to name"),
    ),
    "Policy": _obj(
        f"manager:strs tapeRedundancy autoArchive:bool autoArchiveDelay:int embargoPeriod:num "
        f"{OWNABLE}"
    ),
    "PublishedData": _obj(
        "doi creator:strs publisher publicationYear:int title abstract dataDescription "
        "resourceType pidArray:strs authors:strs affiliation url numberOfFiles:int "
        "sizeOfArchive:int status registeredTime:time",
        status={"enum": ["pending_registration", "registered"]},
    ),
    "FullFacet": {
        "type": "array",
        "items": ANY_OBJ,
        **_note('one element: {"<facet>": [{"_id", "count"}], "all": [{"totalSets"}]}'),
    },
}
# The last fixed path segment → the schema of one record.
RESOURCES = {
    "Datasets": "Dataset",
    "datasets": "Dataset",
    "origdatablocks": "OrigDatablock",
    "datablocks": "Datablock",
    "attachments": "Attachment",
    "Proposals": "Proposal",
    "Samples": "Sample",
    "Instruments": "Instrument",
    "Policies": "Policy",
    "PublishedData": "PublishedData",
    "users": "User",
}
CREATE_BODIES = {"Dataset": "DatasetCreate", "OrigDatablock": "OrigDatablockCreate"}
CHANGE_BODIES = {"Dataset": "DatasetChanges"}
FIXED_BODIES = {"auth/login": "Credentials", "users/login": "Credentials"}
FIXED_RESPONSES = {
    "auth/login": "Login",
    "users/login": "Login",
    "users/jwt": "Jwt",
    "jwt": "Jwt",
    "count": "Count",
    "isValid": "Validity",
    "fullfacet": "FullFacet",
    "self": "User",
}
JSON_PARAM = "a JSON object, URL-encoded"
QUERY_PARAMETERS = {
    "fullquery": ("fields", "limits"),
    "fullfacet": ("fields", "facets"),
    "metadataKeys": ("fields", "limits"),
    "appendToArrayField": ("fieldName", "data"),
    "formpopulate": ("pid",),
}
PARAMETER_HELP = {
    "filter": 'LoopBack-style {"where", "fields", "include", "limits": {"skip", "limit", '
    '"order"}}; ' + JSON_PARAM,
    "fields": "search conditions (text, scientific, ownerGroup, …); " + JSON_PARAM,
    "limits": '{"skip", "limit", "order": "creationTime:desc"}; ' + JSON_PARAM,
    "facets": 'a JSON array of field names, e.g. ["type","keywords"]',
    "fieldName": "the array field to append to",
    "data": "a JSON array of values to add",
    "pid": "the dataset whose metadata prefill the form",
}
ENCODED_ID = "URL-encoded: a '/' inside the identifier is sent as %2F (pyscicat uses quote_plus)"
PATH_HELP = {"pid": ENCODED_ID, "doi": ENCODED_ID, "sid": "the sampleId"}
ERRORS = {
    "400": "invalid input or filter",
    "401": "not signed in, or wrong credentials",
    "403": "not allowed for this caller",
    "404": "no such record",
}


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
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=f"scicat:{name}", schema=SCHEMAS[name]
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
        if last == "fullquery":
            return {"type": "array", "items": one}
        return one if self._on_item or last == "findOne" else dict(ANY_OBJ)

    def get_response_serializers(self):
        created = self.method == "POST" and self._parts[-1] not in ("isValid", "logout")
        codes = ["201" if created else "200"]
        if self.method in ("POST", "PATCH", "PUT") or "filter" in self._query_names():
            codes.append("400")
        codes.append("401" if self._parts[0] in ("auth", "users") else "403")
        if "{" in self.path:
            codes.append("404")
        error = self._ref("Error")
        responses = {codes[0]: OpenApiResponse(self._success(), "Created" if created else "OK")}
        responses.update({code: OpenApiResponse(error, ERRORS[code]) for code in codes[1:]})
        return responses

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
