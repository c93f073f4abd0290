"""The pieces of the SciCat OpenAPI description: path spellings, the component schemas (in a
small field language, see `_obj`), which schema each path segment means, and the parameters
and error answers operations document. catalogue.api.schema assembles them per operation."""

from __future__ import annotations

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


def _obj(spec: str, /, **special) -> dict:
    """An object schema from "name name*:type name:type? …" (`*` required, type from TYPES,
    default str, `?` may be null); `special` gives whole property schemas. Unknown properties
    are allowed, as on the API."""
    properties, required = {}, []
    for field in spec.split():
        name, _, kind = field.partition(":")
        if name.endswith("*"):
            name = name[:-1]
            required.append(name)
        nullable = kind.endswith("?")
        properties[name] = dict(TYPES[kind.rstrip("?") or "str"])
        if nullable:
            properties[name]["nullable"] = True
    for name, schema in special.items():
        properties[name] = {**properties.get(name, {}), **schema}
    schema = {"type": "object", "properties": properties, "additionalProperties": True}
    return {**schema, "required": required} if required else schema


def _note(text: str) -> dict:
    return {"description": text}


DATAFILE = _obj("path* size*:int time:naive? chk uid gid perm type", path=_note("relative path"))
FILES = {"type": "array", "items": DATAFILE}
DATASET = (
    "pid type owner ownerEmail orcidOfOwner contactEmail sourceFolder sourceFolderHost "
    "creationTime:naive datasetName description keywords:strs license scientificMetadata:obj "
    "principalInvestigator creationLocation proposalId sampleId instrumentId startTime:naive? "
    "endTime:naive? dataFormat investigator inputDatasets:strs usedSoftware:strs "
    "jobParameters:obj? jobLogData sharedWith:strs techniques:objs dataQualityMetrics:any "
    "scientificMetadataValid:bool? " + OWNABLE
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
    "Validity": _obj(
        "valid*:bool error errors:any",
        errors={"type": "array", "items": {}, **_note("messages (text) or field errors")},
    ),
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
    "Dataset": _obj(f"pid _id* size:int numberOfFiles:int {DATASET} {QUERYABLE}", **DATASET_NOTES),
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
        "abstract startTime:naive? endTime:naive? MeasurementPeriodList:objs metadata:obj "
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
        f"manager:strs tapeRedundancy autoArchive:bool autoArchiveDelay:int embargoPeriod:num? "
        f"{OWNABLE}"
    ),
    "PublishedData": _obj(
        "doi creator:strs publisher publicationYear:int title abstract dataDescription "
        "resourceType pidArray:strs authors:strs affiliation url numberOfFiles:int "
        "sizeOfArchive:int status registeredTime:time?",
        status={"enum": ["pending_registration", "registered"]},
    ),
    "OrigDatablockFile": _obj(
        f"_id id datasetId size:int chkAlg datasetExist:bool {OWNABLE} {QUERYABLE}",
        dataFileList={**DATAFILE, **_note("one file: a block is listed once per matching file")},
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
# A response may be projected by the filter's `fields` (only `_id` of a dataset always stays),
# so a record's schema promises no field; its required fields move to "<Name>Create", the body
# that creating one takes.
RESPONSE_REQUIRED = {"Dataset": ["_id"]}
for _resource in set(RESOURCES.values()):
    _schema = SCHEMAS[_resource]
    if _schema.get("required") and _resource not in RESPONSE_REQUIRED:
        SCHEMAS.setdefault(f"{_resource}Create", _schema)
        SCHEMAS[_resource] = {k: v for k, v in _schema.items() if k != "required"}
CREATE_BODIES = {name: f"{name}Create" for name in RESOURCES.values() if f"{name}Create" in SCHEMAS}
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
    "409": "a record with this id exists",
    "413": "request body too large",
    "414": "request line too long (gunicorn: 4094 bytes); the body is the server's own page",
    "429": "too many failed logins; try again later",
}
FIND_ONE = (
    "The first matching {} (application/json, the same shape as in the list), or an empty body "
    "without a Content-Type when nothing matches, as SciCat answers."
)
MAY_BE_MISSING = {"admin/theme": True, "admin/config": True, "useridentities/findOne": True}
THROTTLED = {"auth/login": True, "users/login": True}
ORDER = {"oneOf": [STR, TYPES["strs"]], **_note('"creationTime:desc" or a list of them')}
LIMITS = _obj("limit:int skip:int order:any", order=ORDER)
LIMITS["properties"]["limit"]["minimum"] = LIMITS["properties"]["skip"]["minimum"] = 0
# Query parameters that carry JSON: described as JSON content, not as any string.
JSON_PARAMETERS = {
    "filter": _obj(
        "where:obj fields:any include:any limits:any limit:int skip:int order:any",
        fields={"oneOf": [TYPES["strs"], ANY_OBJ]},
        include={"type": "array", "items": {"oneOf": [STR, ANY_OBJ]}},
        limits=LIMITS,
        order=ORDER,
    ),
    "fields": ANY_OBJ,
    "limits": LIMITS,
    "facets": TYPES["strs"],
    "data": {"type": "array", "items": {}},
}
