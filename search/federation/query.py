"""What a federated search asks every partner: one PaNOSC filter, and the window to fetch.

The wire contract between sites is the PaNOSC Common Search API ``filter`` (where, include,
query). A federated page ``skip``/``limit`` is answered by asking each partner for its first
``skip + limit`` items (``window``) and cutting the merged, de-duplicated list, so page 2 is the
true page 2. Without a ``query`` every partner is asked for the same declared order (DECLARED),
which the merge applies too.

The portal's search box speaks a richer language; ``from_portal`` writes what PaNOSC can say
(free text, title, pid, dates, size, techniques, metadata conditions) as a filter and names the
rest (``unsupported``): partners are then not asked, rather than asked a different question.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from search.query import (
    AnyOf,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    SearchRequest,
    parse_panosc,
)
from search.query.model import FIELDS

DATASETS, DOCUMENTS = "Datasets", "Documents"
ENTITIES = (DATASETS, DOCUMENTS)
DEFAULT_LIMIT = 100  # the PaNOSC aggregator's DEFAULT_LIMIT
MAX_WINDOW = 1000  # skip + limit: a federated search pages through the first 1000 results
DECLARED = {DATASETS: "creationDate DESC", DOCUMENTS: "title ASC"}
FILTER_KEYS = ("where", "include", "query")
MAX_FILTER_CHARS = 20_000


class FederationQueryError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FederatedQuery:
    entity: str = DATASETS
    filter: dict = field(default_factory=dict)  # where, include, query: sent to every partner
    skip: int = 0
    limit: int = DEFAULT_LIMIT
    fields: object = None  # LoopBack `fields`, applied to the merged page
    search: SearchRequest | None = None  # the same search in fedcat's model, when it has one
    unsupported: tuple[str, ...] = ()  # portal filters partners cannot apply
    portal: bool = False  # from the portal's search box: the local partner runs `search` as is

    @property
    def text(self) -> str:
        return str(self.filter.get("query") or "")

    @property
    def window(self) -> int:
        return self.skip + self.limit

    @property
    def countable(self) -> bool:
        """A PaNOSC /count answers exactly: it takes a where, not a query or an include."""
        return not self.text and not self.filter.get("include")

    def partner_filter(self, window: int | None = None) -> dict:
        """The filter sent to a partner: the first `window` items, in the merge's order."""
        out = {**self.filter, "limit": window or self.window, "skip": 0}
        if not self.text:
            out["order"] = DECLARED[self.entity]
        return out

    def key(self) -> str:
        """Identifies the question (not the window) for caching."""
        text = json.dumps([self.entity, self.filter], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _whole(value, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise FederationQueryError(f"{name} must be a whole number") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FederationQueryError(f"{name} must be a whole number, 0 or more")
    return value


def page(skip, limit) -> tuple[int, int]:
    skip = _whole(skip, "skip", 0)
    limit = _whole(limit, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT  # LoopBack: 0 is "no limit"
    if skip + limit > MAX_WINDOW:
        raise FederationQueryError(
            f"a federated search pages through its first {MAX_WINDOW} results only "
            f"(skip + limit is {skip + limit}); narrow the search"
        )
    return skip, limit


def from_panosc(entity: str, raw) -> FederatedQuery:
    """A PaNOSC filter (dict) -> FederatedQuery. Unknown keys are ignored, as PaNOSC advises."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise FederationQueryError("Value is not an object.")
    if len(json.dumps(raw)) > MAX_FILTER_CHARS:
        raise FederationQueryError(f"the filter is longer than {MAX_FILTER_CHARS} characters")
    where, include, query = raw.get("where"), raw.get("include"), raw.get("query")
    if where is not None and not isinstance(where, dict):
        raise FederationQueryError("where must be an object")
    if include is not None and not isinstance(include, list | str | dict):
        raise FederationQueryError("include must be a list")
    if query is not None and not isinstance(query, str):
        raise FederationQueryError("query must be text")
    skip, limit = page(raw.get("skip", raw.get("offset")), raw.get("limit"))
    flt = {k: raw[k] for k in FILTER_KEYS if raw.get(k) not in (None, "", [], {})}
    search = None
    if entity == DATASETS:
        try:
            search = parse_panosc(flt)
        except (QueryError, ValueError):
            search = None  # fedcat's own model cannot say it: the PaNOSC API is asked
    return FederatedQuery(entity, flt, skip, limit, raw.get("fields"), search)


def where_query(entity: str, where) -> FederatedQuery:
    """A /count: only a where."""
    if where is not None and not isinstance(where, dict):
        raise FederationQueryError("where must be an object")
    return from_panosc(entity, {"where": where} if where else {})


# --- the portal's search -> a PaNOSC filter ------------------------------------------------------
def from_portal(request: SearchRequest) -> FederatedQuery:
    skip, limit = page(request.offset, request.limit)
    where: list[dict] = []
    include: list[dict] = []
    unsupported: list[str] = []
    for item in request.filters:
        written = _filter(item) if not item.negate else None
        if written is None:
            display = FIELDS[item.field].display if item.field in FIELDS else item.field
            unsupported.append(("-" if item.negate else "") + display)
        elif "relation" in written:
            include.append(written)
        else:
            where.append(written)
    for condition in request.scientific:
        written = _parameters(condition)
        if written is None:
            unsupported.append(_key(condition))
        else:
            include.append({"relation": "parameters", "scope": {"where": written}})
    flt: dict = {}
    if request.text:
        flt["query"] = request.text
    if where:
        flt["where"] = where[0] if len(where) == 1 else {"and": where}
    if include:
        flt["include"] = include
    search = replace(request, facets=(), sort=None)
    unsupported = tuple(dict.fromkeys(unsupported))
    return FederatedQuery(DATASETS, flt, skip, limit, None, search, unsupported, portal=True)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _filter(item) -> dict | None:
    if isinstance(item, RangeFilter):
        name = {"creation_time": "creationDate", "size": "size"}.get(item.field)
        if name is None:
            return None
        value = (lambda v: _iso(v)) if name == "creationDate" else (lambda v: v)
        parts = []
        if item.low is not None:
            parts.append({name: {"gte" if item.bounds[0] == "[" else "gt": value(item.low)}})
        if item.high is not None:
            parts.append({name: {"lte" if item.bounds[1] == "]" else "lt": value(item.high)}})
        return parts[0] if len(parts) == 1 else {"and": parts}
    if not isinstance(item, FieldFilter):
        return None
    values = list(item.values)
    if item.field == "techniques" and item.op == "eq":
        where = [{key: v} for v in values for key in ("name", "pid")]
        return {"relation": "techniques", "scope": {"where": {"or": where}}}
    name = {"dataset_name": "title", "pid": "pid", "is_published": "isPublic"}.get(item.field)
    if name is None:
        return None
    if item.op == "contains":
        if name != "title":
            return None
        likes = [{name: {"ilike": f"%{v}%"}} for v in values]
        return likes[0] if len(likes) == 1 else {"or": likes}
    return {name: values[0]} if len(values) == 1 else {name: {"inq": values}}


_VALUE_OPS = {
    "GREATER_THAN": "gt",
    "GREATER_THAN_OR_EQUAL": "gte",
    "LESS_THAN": "lt",
    "LESS_THAN_OR_EQUAL": "lte",
}


def _key(condition) -> str:
    if isinstance(condition, AnyOf):
        return " or ".join(_key(c) for c in condition.conditions)
    return ("-" if condition.negate else "") + condition.key


def _condition(c: ScientificCondition) -> dict | None:
    if c.negate:
        return None
    parts: list[dict] = [{"name": c.key}]
    if c.relation in ("EQUAL_TO_STRING", "EQUAL_TO_NUMERIC"):
        parts.append({"value": c.value})
    elif c.relation in _VALUE_OPS:
        parts.append({"value": {_VALUE_OPS[c.relation]: c.value}})
    elif c.relation == "CONTAINS_STRING":
        parts.append({"value": {"ilike": f"%{c.value}%"}})
    elif c.relation == "RANGE":
        low, high = c.value
        if c.bounds == "[]":
            parts.append({"value": {"between": [low, high]}})
        else:
            parts.append({"value": {"gte" if c.bounds[0] == "[" else "gt": low}})
            parts.append({"value": {"lte" if c.bounds[1] == "]" else "lt": high}})
    else:
        return None
    if c.unit:
        parts.append({"unit": c.unit})
    return {"and": parts}


def _parameters(condition) -> dict | None:
    if isinstance(condition, AnyOf):
        alternatives = [_condition(c) for c in condition.conditions]
        return None if None in alternatives else {"or": alternatives}
    return _condition(condition)
