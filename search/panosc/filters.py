"""The LoopBack ``filter`` of a request -> a Scope (panosc-api.md §3).

A filter arrives as URL-encoded JSON (``?filter={"limit":10}``), as LoopBack's bracket form
(``?filter[where][title]=x&filter[limit]=3``), and for ``/count`` as ``?where={...}``. Keys:
where, include (at any depth, each with its own scope), limit (0 or absent: no limit, capped at
MAX_LIMIT), skip or offset, order, fields and PaNOSC's ``query`` (also accepted as a top-level
``?query=``, as the SciCat adapter does). Unknown keys are ignored; only malformed structure
(JSON that does not parse, a where that is not an object, a negative limit) is a 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .errors import BadFilter

MAX_LIMIT = 1000  # results one list request returns at most ("no limit" included)
MAX_EMBEDDED = 1000  # related records embedded per parent and relation, one record asked for
LIST_EMBEDDED = 100  # the same in a list (50 documents x 100 datasets is already 5000)
MAX_JSON_CHARS = 100_000
MAX_WHOLE = 2**31 - 1  # a larger limit or skip is read as this (databases take 64 bits at most)
MAX_DEPTH = 8
RELATION_ALIASES = {"document": "documents"}  # the federated models' singular spelling


@dataclass(frozen=True)
class Relation:
    """One include entry: the relation as written, and its scope."""

    name: str  # as the client wrote it (the output key)
    scope: Scope

    @property
    def key(self) -> str:
        """The canonical relation name."""
        return RELATION_ALIASES.get(self.name, self.name)

    @property
    def conditional(self) -> bool:
        """Inner-join semantics: a where here, or deeper, drops parents without a match."""
        return self.scope.conditional


@dataclass(frozen=True)
class Scope:
    where: dict | None = None
    include: tuple[Relation, ...] = ()
    limit: int | None = None  # None: no limit
    skip: int = 0
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    fields: tuple[frozenset[str] | None, frozenset[str]] = (None, frozenset())
    query: str = ""

    @property
    def conditional(self) -> bool:
        return bool(self.where) or any(r.conditional for r in self.include)

    def relations(self, *names: str) -> list[Relation]:
        return [r for r in self.include if r.key in names]


def scope_from_request(request) -> Scope:
    """The filter of a list or detail request (`filter`, its bracket form, `query`)."""
    raw = _json_param(request.GET.get("filter"), "filter")
    if raw is None:
        raw = _brackets(request.GET, "filter")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadFilter("Value is not an object.")
    query = request.GET.get("query")
    if query and not raw.get("query"):
        raw = {**raw, "query": query}
    return parse_scope(raw)


def where_from_request(request) -> dict | None:
    """The `where` of a count request (`where`, its bracket form, or the filter's where)."""
    where = _json_param(request.GET.get("where"), "where")
    if where is None:
        where = _brackets(request.GET, "where")
    if where is None:
        where = scope_from_request(request).where
    if where is not None and not isinstance(where, dict):
        raise BadFilter("where must be an object")
    return where or None


def parse_scope(raw, depth: int = 0) -> Scope:
    if depth > MAX_DEPTH:
        raise BadFilter("the filter is nested too deeply")
    if raw is None:
        return Scope()
    if not isinstance(raw, dict):
        raise BadFilter("a scope must be an object")
    where = raw.get("where")
    if where is not None and not isinstance(where, dict):
        raise BadFilter("where must be an object")
    skip = next((raw[k] for k in ("skip", "offset") if raw.get(k) is not None), 0)
    limit = _whole(raw.get("limit"), "limit")
    query = raw.get("query")
    return Scope(
        where=where or None,
        include=tuple(_relations(raw.get("include"), depth)),
        limit=limit or None,
        skip=_whole(skip, "skip") or 0,
        order=_order(raw.get("order")),
        fields=_fields(raw.get("fields")),
        query=query.strip() if isinstance(query, str) else "",
    )


def _relations(include, depth: int) -> list[Relation]:
    if include in (None, "", [], {}):
        return []
    if isinstance(include, str):
        return [Relation(include, Scope())]
    if isinstance(include, list):
        return [r for item in include for r in _relations(item, depth)]
    if not isinstance(include, dict):
        raise BadFilter("include takes relation names or {relation, scope} objects")
    if "relation" in include:
        if not isinstance(include["relation"], str):
            raise BadFilter("include: relation must be a name")
        return [Relation(include["relation"], parse_scope(include.get("scope"), depth + 1))]
    # LoopBack's object form: {"datasets": "techniques"} or {"datasets": [...]}
    return [
        Relation(name, Scope(include=tuple(_relations(inner, depth + 1))))
        for name, inner in include.items()
    ]


def _whole(value, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        value = int(value)
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int or value < 0:
        raise BadFilter(f"{name} must be a whole number of at least 0")
    return min(value, MAX_WHOLE)


def _order(order) -> tuple[tuple[str, bool], ...]:
    if order in (None, "", []):
        return ()
    items = order if isinstance(order, list) else [order]
    if not all(isinstance(item, str) for item in items):
        raise BadFilter('order takes text like "title ASC"')
    out = []
    for item in items:
        for part in item.split(","):
            words = part.split()
            if words:
                out.append((words[0], len(words) > 1 and words[1].upper() == "DESC"))
    return tuple(out)


def _fields(fields) -> tuple[frozenset[str] | None, frozenset[str]]:
    if not fields:
        return None, frozenset()
    if isinstance(fields, str):
        fields = [fields]
    if isinstance(fields, list):
        return frozenset(str(f) for f in fields), frozenset()
    if not isinstance(fields, dict):
        raise BadFilter("fields takes a list of names or {name: true|false}")
    shown = frozenset(k for k, v in fields.items() if v in (True, "true", 1, "1"))
    hidden = frozenset(k for k, v in fields.items() if v in (False, "false", 0, "0"))
    return (shown or None), hidden


def _json_param(text, name: str):
    if text is None or text.strip() == "":
        return None
    if len(text) > MAX_JSON_CHARS:
        raise BadFilter(f"{name} is longer than {MAX_JSON_CHARS} characters")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BadFilter(f"{name} is not valid JSON") from None


_BRACKET = re.compile(r"\[([^\[\]]*)\]")


def _brackets(params, name: str):
    """LoopBack's qs form: filter[where][title]=x, filter[include][0][relation]=datasets."""
    found: dict = {}
    prefix = name + "["
    for key in params:
        if not key.startswith(prefix):
            continue
        path = _BRACKET.findall(key[len(name) :])
        if not path or "".join(f"[{p}]" for p in path) != key[len(name) :]:
            continue
        if len(path) > MAX_DEPTH * 3:
            raise BadFilter(f"{name} is nested too deeply")
        node = found
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise BadFilter(f"{key} conflicts with another parameter")
        node[path[-1]] = params.getlist(key)[-1]
    return _lists(found) if found else None


def _lists(node):
    """{"0": a, "1": b} -> [a, b], recursively (qs arrays)."""
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node
