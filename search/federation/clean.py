"""Partner answers are untrusted: keep what a PaNOSC record may hold, in the types it must have.

A record needs a pid (a number is turned into text, as ESRF sends them). Known fields get their
type or are dropped; text is stripped of control characters and cut to a length; anything else
(included relations) is kept as plain JSON within size bounds. Nothing here makes text safe
for HTML: templates escape it, and nothing from a partner is ever marked safe.
"""

from __future__ import annotations

import math
import re

MAX_TEXT = 2000
MAX_LIST = 200
MAX_KEYS = 60
MAX_DEPTH = 6
TEXT_LIMITS = {
    "pid": 500,
    "title": 1000,
    "type": 50,
    "summary": 4000,
    "doi": 500,
    "license": 100,
    "creationDate": 40,
    "startDate": 40,
    "endDate": 40,
    "releaseDate": 40,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Keys the federation writes itself: a partner cannot set them.
OWN_KEYS = frozenset({"provider", "partner", "partnerTitle", "partnerScore", "alsoAt", "url"})


def text(value, limit: int = MAX_TEXT) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    cleaned = _CONTROL.sub("", str(value)).strip()
    return cleaned[:limit]


def number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def plain(value, depth: int = 0):
    """Any JSON value, bounded in depth, length and size; None when it cannot be kept."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return text(value)
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [plain(v, depth + 1) for v in value[:MAX_LIST]]
    if isinstance(value, dict):
        out = {}
        for key, item in list(value.items())[:MAX_KEYS]:
            key = text(key, 100)
            if key:
                out[key] = plain(item, depth + 1)
        return out
    return None


def record(raw) -> dict | None:
    """One partner record, cleaned; None without a usable pid."""
    if not isinstance(raw, dict):
        return None
    pid = text(raw.get("pid"), TEXT_LIMITS["pid"])
    if not pid:
        return None
    out = plain({k: v for k, v in raw.items() if k not in OWN_KEYS and k not in TEXT_LIMITS})
    for key, limit in TEXT_LIMITS.items():
        value = text(raw.get(key), limit)
        if value:
            out[key] = value
    out["pid"] = pid
    for key in ("isPublic",):
        if not isinstance(raw.get(key), bool):
            out.pop(key, None)
    size = number(raw.get("size"))
    if size is None or size < 0:
        out.pop("size", None)
    else:
        out["size"] = int(size)
    score = number(raw.get("score"))
    out["score"] = score if score is not None and score >= 0 else 0.0
    if isinstance(raw.get("keywords"), list):
        out["keywords"] = [k for k in (text(v, 200) for v in raw["keywords"][:50]) if k]
    return out


def records(raw, limit: int) -> list[dict]:
    """A partner's list answer: a JSON array of records (at most `limit` kept)."""
    from .http import PartnerError

    if not isinstance(raw, list):
        raise PartnerError("the answer is not a list")
    out = []
    for item in raw[:limit]:
        cleaned = record(item)
        if cleaned is not None:
            out.append(cleaned)
    return out


def count(raw) -> int:
    """{"count": N}; ILL answers a bare N. A count as text ("8") is read, as a number."""
    from .http import PartnerError

    value = raw.get("count") if isinstance(raw, dict) else raw
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PartnerError("the count is not a number")
    return value
