"""SearchRequest -> the canonical portal query string. Whatever parse_query_string() returns
renders to a string that parses back to an equal request (tests/search/test_query_roundtrip.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .model import BOOL, BYTES, FIELDS, AnyOf, FieldFilter, ScientificCondition, is_reserved
from .portal import NAME_RE
from .values import BYTE_UNITS, is_unit_word, parse_number

_SPECIAL = re.compile(r'[\s\\"(),:<>=~\[\]{}]')
_ESCAPE = re.compile(r'([\s\\"(),:<>=~\[\]{}])')
_SYMBOLS = {">": "GREATER_THAN", ">=": "GREATER_THAN_OR_EQUAL", "<": "LESS_THAN"}
_SYMBOLS.update({"<=": "LESS_THAN_OR_EQUAL", "=": "EQUAL_TO_NUMERIC"})
_OPS = {relation: op for op, relation in _SYMBOLS.items()}
# Largest unit first: 2**30 -> 1GiB, 10**9 -> 1GB.
_PRETTY_BYTES = sorted(
    ((f, k.upper().replace("I", "i").replace("KB", "kB")) for k, f in BYTE_UNITS.items() if f > 1),
    reverse=True,
)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def word(text: str) -> str:
    """A text word, escaped so that it stays one plain word."""
    escaped = _ESCAPE.sub(r"\\\1", text)
    return "\\" + escaped if escaped.startswith("-") else escaped


def atom(text: str) -> str:
    """A value after "field:", bare when that reads back the same, else quoted."""
    if (
        not text
        or _SPECIAL.search(text)
        or text[0] in "-*"
        or text.startswith("//")
        or parse_number(text) is not None
    ):
        return quote(text)
    return text


def render_text(request) -> str:
    parts = [word(w) for w in request.words]
    parts += [quote(p) for p in request.phrases]
    parts += ["-" + (quote(x) if " " in x else word(x)) for x in request.excluded]
    return " ".join(parts)


def render_query(request) -> str:
    parts = [render_text(request)] if request.words or request.phrases or request.excluded else []
    parts += [_filter(f) for f in request.filters]
    for c in request.scientific:
        if isinstance(c, AnyOf):
            parts.append("(" + " OR ".join(_condition(x) for x in c.conditions) + ")")
        else:
            parts.append(_condition(c))
    if request.sort:
        parts.append("sort:" + request.sort)
    return " ".join(parts)


# --- field filters ---------------------------------------------------------------------------
def _filter(f) -> str:
    field = FIELDS[f.field]
    sign = "-" if f.negate else ""
    if isinstance(f, FieldFilter):
        if field.kind == BOOL:
            return f"{sign}{field.display}:{str(f.values[0]).lower()}"
        op = "~" if f.op == "contains" else ":"
        return sign + field.display + op + ",".join(atom(v) for v in f.values)
    return sign + _range(f, field)


def _midnight(value) -> bool:
    return isinstance(value, datetime) and value.time() == datetime.min.time()


def _period(low, high) -> str | None:
    """ "2021", "2021-06" or "2021-06-30" when [low, high) is exactly that period."""
    if not (_midnight(low) and _midnight(high)):
        return None
    if high - low == timedelta(days=1):
        return low.date().isoformat()
    if low.day == 1 and high.day == 1:
        if low.month == 1 and high.month == 1 and high.year == low.year + 1:
            return f"{low.year:04d}"
        if (high.year * 12 + high.month) - (low.year * 12 + low.month) == 1:
            return low.strftime("%Y-%m")
    return None


def _value(value, field) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    if field.kind == BYTES and type(value) is int and value:
        for factor, unit in _PRETTY_BYTES:
            if value % factor == 0:
                return f"{value // factor}{unit}"
    return _number(value)


def _range(f, field) -> str:
    low, high, (lb, hb) = f.low, f.high, f.bounds
    name = field.display
    if low is not None and high is not None and lb == "[" and hb == ")":
        period = _period(low, high)
        if period and f.field == "creation_time" and len(period) == 4:
            return f"year:{period}"
        if period:
            return f"{name}:{period}"
    if low is not None and high is not None and low == high:
        return f"{name}:{_value(low, field)}"
    if high is None:
        low_text = low.date().isoformat() if _midnight(low) and lb == "[" else _value(low, field)
        return f"{name}{'>=' if lb == '[' else '>'}{low_text}"
    if low is None:
        high_text = (
            high.date().isoformat() if _midnight(high) and hb == ")" else _value(high, field)
        )
        return f"{name}{'<=' if hb == ']' else '<'}{high_text}"
    if _midnight(low) and lb == "[":
        low_text = "[" + low.date().isoformat()
    else:
        low_text = lb.replace("(", "{") + _value(low, field)
    if _midnight(high) and hb == ")":
        high_text = (high - timedelta(days=1)).date().isoformat() + "]"
    else:
        high_text = _value(high, field) + hb.replace(")", "}")
    return f"{name}:{low_text} TO {high_text}"


# --- scientific conditions -------------------------------------------------------------------
def _number(n) -> str:
    return str(n) if type(n) is int else repr(float(n))


def _key(key: str) -> str:
    if NAME_RE.fullmatch(key) and not is_reserved(key):
        return key
    return quote(key)


def _quantity(value, unit: str) -> str:
    if not unit:
        return _number(value)
    if not _SPECIAL.search(unit) and unit[0] != "-" and is_unit_word(unit):
        return f"{_number(value)} {unit}"
    return quote(f"{_number(value)} {unit}")


def _condition(c: ScientificCondition) -> str:
    head = ("-" if c.negate else "") + _key(c.key)
    if c.relation == "EQUAL_TO_STRING":
        return f"{head}:{atom(c.value)}"
    if c.relation == "CONTAINS_STRING":
        return f"{head}~{atom(c.value)}"
    if c.relation == "RANGE":
        unit = f" {c.unit}" if c.unit else ""
        low, high = (_number(v) + unit for v in c.value)
        lb, hb = c.bounds[0].replace("(", "{"), c.bounds[1].replace(")", "}")
        return f"{head}:{lb}{low} TO {high}{hb}"
    return f"{head}{_OPS[c.relation]}{_quantity(c.value, c.unit)}"
