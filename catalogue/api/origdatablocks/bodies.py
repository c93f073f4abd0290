"""Request bodies of the block and attachment endpoints, checked as SciCat's DTOs check them.

Unknown properties are refused with class-validator's words ("property X should not exist").
The ownership fields (ownerGroup, accessGroups, instrumentGroup, isPublished) are accepted where
upstream's DTO declares them and then ignored: a block or an attachment always carries its
dataset's groups. Values are checked by the services; this module only maps names.
"""

from __future__ import annotations

from catalogue.errors import InvalidInput

OWNERSHIP = frozenset({"ownerGroup", "accessGroups", "instrumentGroup", "isPublished"})
ORIG = frozenset({"size", "chkAlg", "dataFileList"})
ARCHIVE = frozenset({"archiveId", "size", "packedSize", "chkAlg", "version", "dataFileList"})
ATTACHMENT_CREATE = frozenset({"id", "thumbnail", "caption", "datasetId", "proposalId"})
ATTACHMENT_CREATE |= {"sampleId"} | OWNERSHIP
ATTACHMENT_UPDATE = frozenset({"thumbnail", "caption"}) | OWNERSHIP
BLOCK_NAMES = {
    "size": "size",
    "chkAlg": "chk_alg",
    "dataFileList": "files",
    "archiveId": "archive_id",
    "packedSize": "packed_size",
    "version": "version",
}


def as_object(body) -> dict:
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


def unknown_properties(body: dict, allowed) -> list[str]:
    return [f"property {name} should not exist" for name in sorted(set(body) - set(allowed))]


def checked(body, allowed) -> dict:
    body = as_object(body)
    problems = unknown_properties(body, allowed)
    if problems:
        raise InvalidInput("; ".join(problems))
    return body


def _required(body: dict, *names: str) -> None:
    missing = [name for name in names if body.get(name) in (None, "")]
    if missing:
        raise InvalidInput("; ".join(f"{name} is required" for name in missing))


def dataset_pid(body: dict) -> str:
    """The datasetId of a top-level create: required, a string."""
    _required(body, "datasetId")
    if not isinstance(body["datasetId"], str):
        raise InvalidInput("datasetId must be a string")
    return body["datasetId"]


def origdatablock_new(body, *, top_level: bool = False) -> dict:
    """origdatablock_add's arguments (without the dataset) from a create body."""
    allowed = ORIG | OWNERSHIP | {"datasetId"} if top_level else ORIG
    body = checked(body, allowed)
    _required(body, "dataFileList")
    return {"files": body["dataFileList"], "size": body.get("size"), "chk_alg": body.get("chkAlg")}


def datablock_new(body, *, top_level: bool = False) -> dict:
    """datablock_add's arguments (without the dataset) from a create body."""
    allowed = ARCHIVE | OWNERSHIP | {"datasetId"} if top_level else ARCHIVE
    body = checked(body, allowed)
    _required(body, "archiveId", "version", "dataFileList")
    packed = body.get("packedSize")
    return {
        "archive_id": body["archiveId"],
        "version": body["version"],
        "files": body["dataFileList"],
        "size": body.get("size"),
        "packed_size": 0 if packed is None else packed,
        "chk_alg": body.get("chkAlg"),
    }


def block_changes(body, *, names, pid: str) -> dict:
    """A PATCH body of a block as service `changes`; the block cannot change its dataset."""
    body = checked(body, names | OWNERSHIP | {"datasetId"})
    if "datasetId" in body and body["datasetId"] != pid:
        raise InvalidInput("datasetId cannot be changed: a block stays with its dataset")
    return {BLOCK_NAMES[name]: value for name, value in body.items() if name in names}


def attachment_new(body) -> dict:
    """attachment_add's arguments; the client's id and datasetId are ignored (backend#2254)."""
    body = checked(body, ATTACHMENT_CREATE)
    return {"thumbnail": body.get("thumbnail"), "caption": body.get("caption")}


def attachment_changes(body) -> dict:
    body = checked(body, ATTACHMENT_UPDATE)
    return {name: body[name] for name in ("thumbnail", "caption") if name in body}
