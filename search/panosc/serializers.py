"""The PaNOSC shapes (panosc-api.md §1.1): camelCase, ISO dates with milliseconds and a Z.

Optional fields without a value are left out rather than sent as null or "" (ESRF's blank
``doi: " "`` is a known pain). Relations are added by search.panosc.embed.
"""

from __future__ import annotations

import posixpath

from catalogue.access import is_public
from catalogue.access_entities import REGISTERED_STATUSES
from catalogue.api.camel import iso

from .panet import technique_row


def _compact(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, "")}


def dataset(record, now) -> dict:
    return {
        "pid": record.pid,
        "title": record.dataset_name,
        "isPublic": is_public(record, now),
        "creationDate": iso(record.creation_time),
        "size": record.size,
    }


def proposal(record) -> dict:
    data = {
        "pid": record.proposal_id,
        "isPublic": bool(record.is_published),
        "type": "proposal",
        "title": record.title,
    }
    return data | _compact(
        {
            "summary": record.abstract,
            "startDate": iso(record.start_time),
            "endDate": iso(record.end_time),
        }
    )


def publication(record) -> dict:
    data = {
        "pid": record.doi,
        "isPublic": record.status in REGISTERED_STATUSES,
        "type": "publication",
        "title": record.title,
    }
    return data | _compact(
        {"summary": record.abstract, "doi": record.doi, "releaseDate": iso(record.registered_time)}
    )


def instrument(record) -> dict:
    return {"pid": record.pid, "name": record.name, "facility": record.facility}


def data_file(record) -> dict:
    folder, name = posixpath.split(record.path)
    return {"id": record.id, "name": name or record.path, "size": record.size} | _compact(
        {"path": folder}
    )


def sample(record) -> dict:
    return {"pid": record.sample_id, "name": record.description or record.sample_id} | _compact(
        {"description": record.description}
    )


def techniques(record) -> list[dict]:
    rows = []
    for entry in record.techniques or []:
        if isinstance(entry, dict) and entry.get("pid"):
            rows.append(technique_row(str(entry["pid"]), str(entry.get("name") or "")))
    return rows


def project(data: dict, fields, relations=()) -> dict:
    """LoopBack `fields`: ({shown} or None, {hidden}); relations and score always stay."""
    shown, hidden = fields
    keep = set(relations) | {"score"}
    return {
        k: v
        for k, v in data.items()
        if k in keep or ((shown is None or k in shown) and k not in hidden)
    }
