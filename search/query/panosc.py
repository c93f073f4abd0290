"""A PaNOSC Common Search API ``filter`` for /Datasets -> SearchRequest (panosc-api.md §3).

* ``where`` on pid, title, isPublic, creationDate, size with the LoopBack operators eq, neq, gt,
  gte, lt, lte, between (inclusive), inq, nin, like, nlike, ilike, nilike; ``and``; ``or`` only
  between values of one field; the ``text`` pseudo-field (title contains, case-insensitive).
  ``like``/``ilike`` patterns are ``%text%`` substrings, matched case-insensitively; a regex or an
  inner ``%`` is refused rather than run.
* ``include`` entries with a ``scope.where``: ``parameters`` (one condition per entry, ANDed; inside
  an entry ``and``/``or`` combine name/value/unit of one parameter; ``or`` and ``inq`` become
  AnyOf) and ``techniques`` (by name or pid). A where on any other relation is refused.
* ``query`` is the free text, ``limit`` (0: no limit, i.e. MAX_LIMIT), ``skip``/``offset``,
  ``order`` ("title ASC", "creationDate DESC", "size", "score"). Unknown top-level keys are
  ignored, as the PaNOSC spec advises; unknown fields and operators raise QueryError.
"""

from __future__ import annotations

import re

from .model import (
    BOOL,
    FIELDS,
    MAX_LIMIT,
    MAX_WINDOW,
    TERM,
    AnyOf,
    FieldFilter,
    QueryError,
    SearchRequest,
    facets_named,
)
from .portal import parse_text
from .scicat import parse_order
from .values import (
    MAX_VALUE_CHARS,
    compare,
    field_value,
    high_bound,
    load_object,
    low_bound,
    make_condition,
    make_page,
    make_range,
    term_filter,
    text_value,
    whole_number,
)

__all__ = ["parse_panosc"]

_DATASET_FIELDS = {
    "pid": "pid",
    "title": "dataset_name",
    "isPublic": "is_published",
    "creationDate": "creation_time",
    "size": "size",
}
_MAX_DEPTH = 6
_MAX_ALTERNATIVES = 32
_COMPARE = {"eq": ":", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_NEGATED = {"neq": "eq", "nin": "inq", "nlike": "like", "nilike": "ilike"}
_RELATION = {"gt": "GREATER_THAN", "gte": "GREATER_THAN_OR_EQUAL", "lt": "LESS_THAN"}
_RELATION["lte"] = "LESS_THAN_OR_EQUAL"


def parse_panosc(filter=None, *, facets=()) -> SearchRequest:
    """filter: a dict or its JSON text."""
    f = load_object(filter, "filter")
    words = phrases = excluded = ()
    if f.get("query") not in (None, ""):
        words, phrases, excluded = parse_text(f["query"])
    filters = _where({} if f.get("where") is None else f["where"], 0)
    scientific = []
    include = [] if f.get("include") is None else f["include"]
    for entry in include if isinstance(include, list) else [include]:
        found = _include(entry)
        if isinstance(found, list):
            filters += found
        elif found is not None:
            scientific.append(found)
    offset = next((f[k] for k in ("skip", "offset") if f.get(k) is not None), 0)
    limit = 0 if f.get("limit") is None else f["limit"]
    if whole_number(limit, "limit") == 0:  # LoopBack: 0 is no limit
        limit = max(1, min(MAX_LIMIT, MAX_WINDOW - whole_number(offset, "skip")))
    offset, limit = make_page(offset, limit)
    order = f.get("order")
    if isinstance(order, list):
        order = order[0] if order else None
    if order is not None and not isinstance(order, str):
        raise QueryError('order must be text like "title ASC"', field="order")
    return SearchRequest(
        words=words,
        phrases=phrases,
        excluded=excluded,
        filters=tuple(filters),
        scientific=tuple(scientific),
        facets=facets_named(facets),
        sort=parse_order(order) if order else None,
        offset=offset,
        limit=limit,
    )


def _include(entry):
    if isinstance(entry, str):
        return None  # a relation to embed in the results: the API's business, not the search's
    if not isinstance(entry, dict) or not isinstance(entry.get("relation"), str):
        raise QueryError("each include is a relation name or {relation, scope}", field="include")
    scope = entry.get("scope") or {}
    if not isinstance(scope, dict):
        raise QueryError("include scope must be an object", field="include")
    where = scope.get("where")
    if not where:
        return None
    relation = entry["relation"]
    if relation == "parameters":
        alternatives = [_condition(alt) for alt in _alternatives(where, 0)]
        return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives))
    if relation == "techniques":
        return _where(where, 0, {"name": "techniques", "pid": "techniques"})
    raise QueryError(f"filtering datasets by {relation} is not supported", field="include")


# --- where on dataset fields -----------------------------------------------------------------
def _where(where, depth: int, names: dict | None = None) -> list:
    names = _DATASET_FIELDS if names is None else names
    if not isinstance(where, dict):
        raise QueryError("where must be an object", field="where")
    if depth > _MAX_DEPTH:
        raise QueryError("where is nested too deeply", field="where")
    out = []
    for key, value in where.items():
        if key in ("and", "or"):
            if not isinstance(value, list) or not value:
                raise QueryError(f"{key} takes a list of conditions", field="where")
            parts = [_where(item, depth + 1, names) for item in value]
            out += [f for part in parts for f in part] if key == "and" else [_any_of(parts)]
        elif key == "text" and names is _DATASET_FIELDS:
            out.append(FieldFilter("dataset_name", (_like(value),), "contains"))
        elif key in names:
            out += _field(FIELDS[names[key]], key, value)
        else:
            raise QueryError(f"unknown field {key!r}", field=str(key))
    return out


def _any_of(parts: list) -> FieldFilter:
    simple = [p[0] for p in parts if len(p) == 1 and isinstance(p[0], FieldFilter)]
    fields = {(f.field, f.op, f.negate) for f in simple}
    if len(simple) != len(parts) or len(fields) != 1 or simple[0].negate:
        raise QueryError("or is supported only between values of one field", field="where")
    values = tuple(dict.fromkeys(v for f in simple for v in f.values))
    return FieldFilter(simple[0].field, values, simple[0].op)


def _field(field, key: str, value) -> list:
    if not isinstance(value, dict):
        value = {"eq": value}
    out = []
    for op, arg in value.items():
        negate = op in _NEGATED
        op = _NEGATED.get(op, op)
        if field.kind in (TERM, BOOL) and op in ("eq", "inq"):
            args = arg if op == "inq" else [arg]
            if not isinstance(args, list) or any(isinstance(a, (dict, list)) for a in args):
                raise QueryError(f"{key}: {op} takes a list of values", field=key)
            out.append(term_filter(field, args, negate=negate))
        elif field.kind == TERM and op in ("like", "ilike"):
            out.append(FieldFilter(field.name, (_like(arg),), "contains", negate))
        elif field.kind not in (TERM, BOOL) and op in _COMPARE and not isinstance(arg, list):
            out.append(compare(field, _COMPARE[op], field_value(field, arg), negate=negate))
        elif field.kind not in (TERM, BOOL) and op == "between" and not negate:
            low, high = _pair(arg, key)
            out.append(
                make_range(
                    field,
                    low_bound(field_value(field, low), True),
                    high_bound(field_value(field, high), True),
                )
            )
        else:
            raise QueryError(f"{key}: operator {op!r} is not supported here", field=key)
    return out


def _pair(arg, key):
    if not isinstance(arg, list) or len(arg) != 2:
        raise QueryError(f"{key}: between takes [low, high]", field=key)
    return arg


def _like(pattern) -> str:
    """ "%Cu%" -> "Cu": a substring, never a pattern handed to a database."""
    if not isinstance(pattern, str) or not 0 < len(pattern) <= MAX_VALUE_CHARS:
        raise QueryError("like takes a short text", field="where")
    text = re.sub(r"^(?:%|\.\*|\^)+|(?:%|\.\*|\$)+$", "", pattern)
    if not text or "%" in text or ".*" in text:
        raise QueryError("like supports only %text% patterns", field="where")
    return text_value(text, "where")


# --- parameters: one include entry -> alternatives of {name, unit, value: [(op, arg)]} ------
def _alternatives(where, depth: int) -> list[dict]:
    if not isinstance(where, dict):
        raise QueryError("a parameter condition must be an object", field="parameters")
    if depth > _MAX_DEPTH:
        raise QueryError("the parameter condition is nested too deeply", field="parameters")
    alts: list[dict] = [{}]
    for key, value in where.items():
        if key in ("and", "or"):
            if not isinstance(value, list) or not value:
                raise QueryError(f"{key} takes a list of conditions", field="parameters")
            subs = [_alternatives(item, depth + 1) for item in value]
            if key == "or":
                alts = _combine(alts, [alt for sub in subs for alt in sub])
            for sub in subs if key == "and" else []:
                alts = _combine(alts, sub)
        elif key in ("name", "unit"):
            alts = _combine(alts, [{key: v} for v in _names(key, value)])
        elif key == "value":
            alts = _combine(alts, [{"value": ops} for ops in _value_ops(value)])
        else:
            raise QueryError(f"unknown parameter field {key!r}", field="parameters")
    return alts


def _combine(left: list[dict], right: list[dict]) -> list[dict]:
    out = []
    for a in left:
        for b in right:
            merged = dict(a)
            for key in ("name", "unit"):
                if key in b:
                    if merged.get(key, b[key]) != b[key]:
                        raise QueryError(
                            f"a parameter has one {key}; use one include per parameter",
                            field="parameters",
                        )
                    merged[key] = b[key]
            merged["value"] = a.get("value", []) + b.get("value", [])
            out.append(merged)
    if len(out) > _MAX_ALTERNATIVES:
        raise QueryError("the parameter condition has too many alternatives", field="parameters")
    return out


def _names(key: str, value) -> list:
    if isinstance(value, dict) and list(value) == ["eq"]:
        value = value["eq"]
    elif isinstance(value, dict) and list(value) == ["inq"] and isinstance(value["inq"], list):
        value = value["inq"]
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise QueryError(f"parameter {key} takes text, or {{inq: [...]}}", field="parameters")
    return values


def _value_ops(value) -> list[list]:
    if not isinstance(value, dict):
        return [[("eq", value)]]
    if "inq" in value:
        if len(value) != 1 or not isinstance(value["inq"], list) or not value["inq"]:
            raise QueryError("inq takes a non-empty list of values", field="parameters")
        return [[("eq", v)] for v in value["inq"]]
    if not value:
        raise QueryError("a parameter value needs an operator", field="parameters")
    return [list(value.items())]


def _condition(alt: dict):
    name, unit, ops = alt.get("name"), alt.get("unit", ""), alt.get("value", [])
    if name is None or not ops:
        raise QueryError("a parameter condition needs a name and a value", field="parameters")
    if len(ops) == 2:
        (lo_op, lo), (hi_op, hi) = sorted(ops, key=lambda o: o[0] not in ("gt", "gte"))
        if lo_op in ("gt", "gte") and hi_op in ("lt", "lte"):
            bounds = ("[" if lo_op == "gte" else "(") + ("]" if hi_op == "lte" else ")")
            return make_condition(name, "RANGE", [lo, hi], unit, bounds=bounds)
    if len(ops) != 1:
        raise QueryError("combine at most a lower and an upper bound", field="parameters")
    op, arg = ops[0]
    negate = op in _NEGATED and op != "nin"
    op = _NEGATED.get(op, op) if negate else op
    if op == "eq":
        numeric = unit or (type(arg) in (int, float))
        relation = "EQUAL_TO_NUMERIC" if numeric else "EQUAL_TO_STRING"
        return make_condition(name, relation, arg, unit, negate=negate)
    if op in _RELATION:
        return make_condition(name, _RELATION[op], arg, unit)
    if op == "between":
        return make_condition(name, "RANGE", _pair(arg, name), unit, bounds="[]")
    if op in ("like", "ilike"):
        return make_condition(name, "CONTAINS_STRING", _like(arg), unit, negate=negate)
    raise QueryError(f"operator {op!r} is not supported on parameters", field="parameters")
