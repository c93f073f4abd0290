"""CSL-JSON (`application/vnd.citationstyles.csl+json`): one item of type "dataset", as
DataCite's content negotiation answers (an object, not a list), ready for citeproc processors.
"""

from __future__ import annotations

import json
import re

from .record import Record


def _name(person) -> dict:
    family, given = person.split_name()
    if family:
        return {"family": family, "given": given} if given else {"family": family}
    return {"literal": person.name}


def _date_parts(value: str) -> dict | None:
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value or "")
    if not match:
        return None
    return {"date-parts": [[int(part) for part in match.groups() if part]]}


def to_csl(record: Record) -> dict:
    data = {
        "type": "dataset",
        "id": record.citation_url,
        "DOI": record.doi,
        "URL": record.citation_url,
        "title": record.title,
        "author": [_name(p) for p in record.creators],
        "issued": _date_parts(record.issued),
        "publisher": record.publisher.name if record.publisher else "",
        "abstract": record.abstract,
        "keyword": ", ".join(s.text for s in record.subjects),
        "version": record.version,
        "language": record.language,
        "copyright": record.rights[0].statement if record.rights else "",
    }
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def to_json_bytes(record: Record) -> bytes:
    return json.dumps(to_csl(record), ensure_ascii=False, indent=2).encode()
