"""Merging partners' answers into one ranked, de-duplicated page. Pure: no I/O.

Ranking with a query: partners score on their own scales (fedcat's best is 0.95, PSS gives
cosines, some give 0), so each partner's scores are divided by its best score for this query
and mapped into [FLOOR, TOP], as fedcat's provider does with BM25: every partner's best match
scores TOP and the rest keep their proportions. Each partner was asked for its first
``skip + limit`` items, which always include its best, so the scale does not change from page
to page. Ties go to the partner listed first, then to the partner's own order.

Without a query, every partner was asked for the declared order (query.DECLARED), and the
merge sorts by it (Datasets newest first, Documents by title), then by pid.

De-duplication: two records are the same when their pids or DOIs agree, compared without a
resolver prefix (``https://doi.org/``, ``doi:``, ``hdl:``) and ignoring case. The first in
ranked order stays; the others' partners are listed in its ``alsoAt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from search.panosc.text import FLOOR, NEUTRAL, TOP

from .query import DATASETS, FederatedQuery

_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|https?://hdl\.handle\.net/|doi:|hdl:)", re.I)
_OLDEST = datetime.min.replace(tzinfo=UTC)


def identity(value: str | None) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return _PREFIX.sub("", value.strip()).lower() or None


def keys(item: dict) -> set[str]:
    return {k for k in (identity(item.get("pid")), identity(item.get("doi"))) if k}


def scale(score: float, best: float) -> float:
    if best <= 0 or score <= 0:
        return FLOOR
    return round(FLOOR + (TOP - FLOOR) * min(score / best, 1.0), 6)


def moment(value) -> datetime:
    if not isinstance(value, str) or not value:
        return _OLDEST
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _OLDEST
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Entry:
    item: dict
    partner: object  # PartnerConfig
    position: int  # the partner's place in the list
    rank: int  # the item's place in its partner's answer
    score: float
    also: list = field(default_factory=list)


def ranked(query: FederatedQuery, answers: list[tuple[object, list[dict]]]) -> list[Entry]:
    """Every answered item, in the merged order, duplicates removed."""
    entries = []
    for position, (partner, items) in enumerate(answers):
        best = max((item.get("score") or 0.0 for item in items), default=0.0)
        for rank, item in enumerate(items):
            score = scale(item.get("score") or 0.0, best) if query.text else NEUTRAL
            entries.append(Entry(item, partner, position, rank, score))
    if query.text:
        entries.sort(key=lambda e: (-e.score, e.position, e.rank))
    elif query.entity == DATASETS:
        entries.sort(key=lambda e: (e.item.get("pid") or "", e.position))
        entries.sort(key=lambda e: moment(e.item.get("creationDate")), reverse=True)
    else:
        entries.sort(key=lambda e: ((e.item.get("title") or "").lower(), e.item["pid"], e.position))
    return _unique(entries)


def _unique(entries: list[Entry]) -> list[Entry]:
    seen: dict[str, Entry] = {}
    out = []
    for entry in entries:
        found = keys(entry.item)
        first = next((seen[k] for k in found if k in seen), None)
        if first is not None:
            if entry.partner not in first.also and entry.partner is not first.partner:
                first.also.append(entry.partner)
            continue
        for k in found:
            seen[k] = entry
        out.append(entry)
    return out


def render(entry: Entry, provider_url: str) -> dict:
    """The PaNOSC record of an entry, labelled with its partner."""
    item = dict(entry.item)
    partner_score = item.get("score")
    item["score"] = entry.score
    item["provider"] = provider_url
    item["partner"] = entry.partner.name
    item["partnerTitle"] = entry.partner.label
    if partner_score is not None:
        item["partnerScore"] = partner_score
    if entry.also:
        item["alsoAt"] = [p.name for p in entry.also]
    return item
