"""LoopBack ``where`` -> a small tree, then -> a Django Q (database records) or a test on a dict
(the records PaNOSC derives: techniques, parameters, members, persons).

Operators: eq, neq, gt, gte, lt, lte, between (inclusive), inq, nin, like, nlike, ilike, nilike
(SQL LIKE patterns, ``%`` and ``_``), regexp (``"/pattern/i"`` or a bare pattern), and/or lists,
and the ``text`` pseudo-field (a case-insensitive substring of the entity's text fields,
panosc-api.md §3.2). Lenient like the reference provider: an unknown operator or field matches
nothing instead of failing the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import reduce
from operator import and_, or_

from django.db.models import Q
from django.db.models import lookups as L
from django.utils.dateparse import parse_datetime

from .errors import BadFilter

OPERATORS = frozenset(
    "eq neq gt gte lt lte between inq nin like nlike ilike nilike regexp".split()  # noqa: SIM905
)
TEXT = "icontains"  # the internal operator of the `text` pseudo-field
MAX_DEPTH = 8
NOTHING_Q = Q(pk__in=[])
_NUMBER = re.compile(r"\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*")


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any_:
    parts: tuple


EVERYTHING, NOTHING = All(()), Any_(())


def parse_where(where, text_fields=(), depth: int = 0):
    """A where object -> Cmp/All/Any_ tree; `text` becomes a substring test on text_fields."""
    if where in (None, {}):
        return EVERYTHING
    if not isinstance(where, dict):
        raise BadFilter("where must be an object")
    if depth > MAX_DEPTH:
        raise BadFilter("where is nested too deeply")
    parts = []
    for key, value in where.items():
        if key in ("and", "or"):
            if not isinstance(value, list):
                raise BadFilter(f"{key} takes a list of conditions")
            subs = tuple(parse_where(item, text_fields, depth + 1) for item in value)
            parts.append(All(subs) if key == "and" else Any_(subs))
        elif key == "text":
            ok = isinstance(value, str | int | float) and not isinstance(value, bool)
            cmps = tuple(Cmp(f, TEXT, str(value)) for f in text_fields) if ok else ()
            parts.append(Any_(cmps))
        elif isinstance(value, dict):
            parts.append(_operators(key, value))
        else:
            parts.append(Cmp(key, "eq", value))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _operators(key: str, condition: dict):
    insensitive = "i" in str(condition.get("options", ""))
    cmps = []
    for op, value in condition.items():
        if op == "options":
            continue
        if op not in OPERATORS:
            return NOTHING
        if insensitive and op in ("like", "nlike"):
            op = "i" + op if op == "like" else "nilike"
        cmps.append(Cmp(key, op, value))
    if not cmps:
        return NOTHING
    return cmps[0] if len(cmps) == 1 else All(tuple(cmps))


def fields_of(node) -> set[str]:
    if isinstance(node, Cmp):
        return {node.field}
    return {f for part in node.parts for f in fields_of(part)}


# --- patterns --------------------------------------------------------------------------------
def like_regex(pattern: str, any_char: str = ".") -> str:
    """A SQL LIKE pattern as an anchored regular expression (``\\`` escapes % and _)."""
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(any_char + "*")
        elif char == "_":
            out.append(any_char)
        else:
            out.append(re.escape(char))
    return "^" + "".join(out) + "$"


def user_regex(value) -> tuple[str, bool] | None:
    """LoopBack's regexp: "/pattern/flags" or a bare pattern -> (pattern, ignore case)."""
    if not isinstance(value, str):
        return None
    insensitive = False
    if len(value) > 1 and value.startswith("/") and value.rfind("/") > 0:
        insensitive = "i" in value[value.rfind("/") + 1 :]
        value = value[1 : value.rfind("/")]
    try:
        re.compile(value)
    except re.error:
        return None
    return value, insensitive


def _plain_like(pattern: str) -> tuple[str, str] | None:
    """'%abc%' -> ("contains", "abc"): a LIKE pattern a simple lookup can answer, or None."""
    core = pattern.strip("%")
    if not core or any(c in core for c in "%_\\"):
        return None
    start, end = pattern.startswith("%"), pattern.endswith("%")
    kind = {(True, True): "contains", (True, False): "endswith", (False, True): "startswith"}
    return kind.get((start, end), "exact"), core


# --- values ------------------------------------------------------------------------------------
def convert(value, kind: str):
    """A filter value as a column of `kind` holds it, or ValueError."""
    if value is None:
        return None
    if kind == "number":
        if isinstance(value, str):
            value = float(value) if _NUMBER.fullmatch(value) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("not a number")
        return value
    if kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError("not a boolean")
        return value
    if kind == "date":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None and isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            moment = parse_datetime(value + "T00:00:00Z")
        if moment is None:
            raise ValueError("not a date")
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(value, dict | list):
        raise ValueError("not a scalar")
    return str(value) if not isinstance(value, str) else value


# --- Django Q -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A field stored in a column (`lookup`: an ORM path, or an expression)."""

    lookup: object
    kind: str = "text"  # text | number | date | bool


@dataclass(frozen=True)
class Const:
    """A field with the same value on every record of the model (Document.type)."""

    value: object


@dataclass(frozen=True)
class Custom:
    """A field computed otherwise: build(op, value) -> Q."""

    build: Callable


_CLASSES = {
    "exact": L.Exact,
    "iexact": L.IExact,
    "gt": L.GreaterThan,
    "gte": L.GreaterThanOrEqual,
    "lt": L.LessThan,
    "lte": L.LessThanOrEqual,
    "in": L.In,
    "contains": L.Contains,
    "icontains": L.IContains,
    "startswith": L.StartsWith,
    "istartswith": L.IStartsWith,
    "endswith": L.EndsWith,
    "iendswith": L.IEndsWith,
    "regex": L.Regex,
    "iregex": L.IRegex,
    "isnull": L.IsNull,
}


def lookup_q(target, lookup: str, value) -> Q:
    if isinstance(target, str):
        return Q(**{f"{target}__{lookup}": value})
    return Q(_CLASSES[lookup](target, value))


def to_q(node, specs: dict) -> Q:
    """The tree as a filter on the model whose fields `specs` describes."""
    if isinstance(node, All):
        return reduce(and_, (to_q(p, specs) for p in node.parts), Q())
    if isinstance(node, Any_):
        if not node.parts:
            return NOTHING_Q
        return reduce(or_, (to_q(p, specs) for p in node.parts))
    spec = specs.get(node.field)
    if spec is None:
        return NOTHING_Q
    if isinstance(spec, Const):
        return Q() if compare(spec.value, node.op, node.value) else NOTHING_Q
    try:
        if isinstance(spec, Custom):
            return spec.build(node.op, node.value)
        return column_q(spec, node.op, node.value)
    except (ValueError, TypeError):
        return NOTHING_Q


def column_q(spec: Column, op: str, value) -> Q:
    target, kind = spec.lookup, spec.kind
    if op in ("eq", "neq"):
        value = convert(value, kind)
        q = lookup_q(target, "isnull", True) if value is None else lookup_q(target, "exact", value)
        return ~q if op == "neq" else q
    if op in ("gt", "gte", "lt", "lte"):
        value = convert(value, kind)
        if value is None or kind == "bool":
            raise ValueError("not ordered")
        return lookup_q(target, op, value)
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("between takes [low, high]")
        low, high = convert(value[0], kind), convert(value[1], kind)
        return lookup_q(target, "gte", low) & lookup_q(target, "lte", high)
    if op in ("inq", "nin"):
        if not isinstance(value, list):
            raise ValueError("inq takes a list")
        values = [convert(v, kind) for v in value if v is not None]
        q = lookup_q(target, "in", values) if values else NOTHING_Q
        return ~q if op == "nin" else q
    if kind != "text":
        raise ValueError("patterns apply to text")
    if op == TEXT:
        return lookup_q(target, "icontains", str(value))
    if op in ("like", "ilike", "nlike", "nilike"):
        if not isinstance(value, str):
            raise ValueError("like takes text")
        insensitive = op in ("ilike", "nilike")
        plain = _plain_like(value)
        if plain:
            lookup = ("i" if insensitive else "") + plain[0]
            q = lookup_q(target, lookup, plain[1])
        else:
            q = lookup_q(target, "iregex" if insensitive else "regex", like_regex(value))
        return ~q if op.startswith("n") else q
    if op == "regexp":
        found = user_regex(value)
        if found is None:
            raise ValueError("not a regular expression")
        return lookup_q(target, "iregex" if found[1] else "regex", found[0])
    raise ValueError(f"unknown operator {op}")


# --- Python --------------------------------------------------------------------------------------
def matches(node, row: dict, special: Callable | None = None) -> bool:
    """Whether the dict `row` satisfies the tree. `special(cmp, row)` may decide a comparison
    itself (PaNET expansion); it returns None to leave it to the generic rules."""
    if isinstance(node, All):
        return all(matches(p, row, special) for p in node.parts)
    if isinstance(node, Any_):
        return any(matches(p, row, special) for p in node.parts)
    if special is not None:
        decided = special(node, row)
        if decided is not None:
            return decided
    if node.field not in row:
        return False
    return compare(row[node.field], node.op, node.value)


def compare(actual, op: str, value) -> bool:
    """LoopBack's comparison of one stored value; a list matches when an element does."""
    if isinstance(actual, list) and op not in ("neq", "nin", "nlike", "nilike"):
        return any(compare(item, op, value) for item in actual)
    if op in ("neq", "nin", "nlike", "nilike"):
        positive = {"neq": "eq", "nin": "inq", "nlike": "like", "nilike": "ilike"}[op]
        return not compare(actual, positive, value)
    if op == "eq":
        return _same(actual, value)
    if op == "inq":
        return isinstance(value, list) and any(_same(actual, v) for v in value)
    if op in ("gt", "gte", "lt", "lte", "between"):
        return _ordered(actual, op, value)
    if not isinstance(actual, str):
        return False
    if op == TEXT:
        return str(value).lower() in actual.lower()
    if op in ("like", "ilike"):
        flags = re.IGNORECASE if op == "ilike" else 0
        return isinstance(value, str) and re.match(like_regex(value), actual, flags) is not None
    if op == "regexp":
        found = user_regex(value)
        flags = re.IGNORECASE if found and found[1] else 0
        return found is not None and re.search(found[0], actual, flags) is not None
    return False


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _same(actual, value) -> bool:
    if value is None or actual is None:
        return actual is value
    if isinstance(actual, bool) or isinstance(value, bool):
        return str(actual).lower() == str(value).lower()
    if isinstance(actual, int | float) and _number(value) is not None:
        return actual == _number(value)
    return actual == value


def _ordered(actual, op: str, value) -> bool:
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return False
        return _ordered(actual, "gte", value[0]) and _ordered(actual, "lte", value[1])
    if isinstance(actual, str) and isinstance(value, str):
        a, b = actual, value
    else:
        a, b = _number(actual), _number(value)
        if a is None or b is None or isinstance(actual, str):
            return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]
