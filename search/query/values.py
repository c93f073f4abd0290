"""Checking and converting values shared by the three parsers: numbers, byte sizes, dates,
ranges and scientific conditions. Everything raises QueryError, nothing else."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from catalogue.units import normalise_unit, to_si

from .model import (
    BOOL,
    BYTES,
    DATE,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_WINDOW,
    RELATIONS,
    STRING_RELATIONS,
    Field,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    check_page,
)

MAX_VALUE_CHARS = 500
MAX_KEY_CHARS = 200
_BIGGEST = 1e300  # beyond this a number is surely a mistake (and SI conversion could overflow)
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
_QUANTITY_RE = re.compile(rf"\s*({_NUMBER})\s*(.*?)\s*", re.DOTALL)
_BAD_UNIT_CHARS = re.compile(r'["\[\]{}\\\x00-\x1f]')
_BAD_TEXT_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

BYTE_UNITS = {"b": 1, "byte": 1, "bytes": 1}
for _i, _p in enumerate("kmgtpe", start=1):
    BYTE_UNITS[_p + "b"] = 1000**_i
    BYTE_UNITS[_p + "ib"] = 1024**_i


def parse_number(text: str) -> int | float | None:
    """A number written as text ("12", "-1.5e3"), or None."""
    if not isinstance(text, str) or not _NUMBER_RE.fullmatch(text.strip()):
        return None
    text = text.strip()
    try:
        n = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:  # more digits than Python converts
        return None
    return n if abs(n) <= _BIGGEST and (type(n) is int or math.isfinite(n)) else None


def number(value, field: str | None = None) -> int | float:
    """A JSON number or numeric string, else QueryError."""
    n = None
    if type(value) is int:  # exact types: bool is an int
        n = value if abs(value) <= _BIGGEST else None
    elif type(value) is float:
        n = value if math.isfinite(value) and abs(value) <= _BIGGEST else None
    elif isinstance(value, str):
        n = parse_number(value)
    if n is None:
        shown = value if isinstance(value, str) else type(value).__name__
        raise QueryError(f"{shown!r} is not a number", field=field)
    return n


def split_quantity(text: str) -> tuple[int | float, str] | None:
    """ "1.5 Å", "300K", "2" -> (number, unit as written, "" for none), or None."""
    m = _QUANTITY_RE.fullmatch(text)
    n = parse_number(m.group(1)) if m else None
    return None if n is None else (n, m.group(2))


def parse_bytes(text: str, field: str) -> int | float:
    """ "1.5GB", "2 GiB", "1000" -> a number of bytes (kB = 1000 B, KiB = 1024 B)."""
    m = _QUANTITY_RE.fullmatch(text)
    factor = (1 if m.group(2) == "" else BYTE_UNITS.get(m.group(2).lower())) if m else None
    n = parse_number(m.group(1)) if m else None
    if factor is None or n is None:
        raise QueryError(f"{text!r} is not a size (write e.g. 500MB, 1.5 GB, 2GiB)", field=field)
    if factor == 1:
        return n
    try:
        n = Decimal(m.group(1)) * factor
    except InvalidOperation:
        raise QueryError(f"{text!r} is not a size", field=field) from None
    return int(n) if n == n.to_integral_value() else float(n)


def text_value(value, field: str | None = None) -> str:
    """A non-empty string value of sane length (JSON numbers are accepted as their text)."""
    if type(value) is int or type(value) is float:
        value = str(value)
    if not isinstance(value, str):
        raise QueryError(f"expected text, got {type(value).__name__}", field=field)
    if not value or len(value) > MAX_VALUE_CHARS or _BAD_TEXT_CHARS.search(value):
        raise QueryError(f"values must be 1 to {MAX_VALUE_CHARS} printable characters", field=field)
    return value


def parse_bool(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    raise QueryError(f"{field} takes true or false", field=field)


# --- dates -----------------------------------------------------------------------------------
_PERIOD_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_moment(text, field: str) -> tuple[datetime, datetime | None]:
    """A date or time -> (start, end). "2021", "2021-06", "2021-06-30" are periods [start, end);
    an ISO timestamp is an instant (end None); timestamps without a zone are UTC."""
    if not isinstance(text, str):
        raise QueryError(f"{field} takes a date like 2021-06-30", field=field)
    text = text.strip()
    m = _PERIOD_RE.fullmatch(text)
    try:
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
            start = datetime(y, mo, d, tzinfo=UTC)
            if m.group(3):
                end = start + timedelta(days=1)
            elif m.group(2):
                end = datetime(y + mo // 12, mo % 12 + 1, 1, tzinfo=UTC)
            else:
                end = datetime(y + 1, 1, 1, tzinfo=UTC)
        else:
            start, end = datetime.fromisoformat(text), None
            start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    except (ValueError, OverflowError):
        raise QueryError(f"{text!r} is not a date like 2021-06-30", field=field) from None
    if not 1000 <= start.year <= 9998:
        raise QueryError("dates must be between the years 1000 and 9998", field=field)
    return start, end


def low_bound(moment, inclusive: bool):
    """(value, inclusive) for a lower bound; a period starts or, when excluded, ends the range."""
    start, end = moment
    if end is None:
        return start, inclusive
    return (start, True) if inclusive else (end, True)


def high_bound(moment, inclusive: bool):
    start, end = moment
    if end is None:
        return start, inclusive
    return (end, False) if inclusive else (start, False)


def point(value) -> tuple:
    """A number as a 'moment' without extent, so numbers and dates share the bound rules."""
    return value, None


def make_range(field: Field, low, high, *, negate: bool = False) -> RangeFilter:
    """low/high: (value, inclusive) or None for an open end."""
    if low is None and high is None:
        raise QueryError("a range needs at least one bound", field=field.display)
    if low is not None and high is not None:
        if low[0] > high[0]:
            raise QueryError(
                f"{field.display}: the lower bound is above the upper bound", field=field.display
            )
        if low[0] == high[0] and not (low[1] and high[1]):
            raise QueryError(f"{field.display}: the range is empty", field=field.display)
    bounds = ("[" if low is None or low[1] else "(") + ("]" if high is None or high[1] else ")")
    return RangeFilter(
        field.name,
        None if low is None else low[0],
        None if high is None else high[0],
        bounds,
        negate,
    )


def compare(field: Field, op: str, moment, *, negate: bool = False) -> RangeFilter:
    """field op value, for ops = : < <= > >=, as a RangeFilter."""
    low = high = None
    if op in (":", "=", ">=", ">"):
        low = low_bound(moment, op != ">")
    if op in (":", "=", "<=", "<"):
        high = high_bound(moment, op != "<")
    return make_range(field, low, high, negate=negate)


def field_value(field: Field, value):
    """One comparable value of a number, bytes or date field."""
    if field.kind == DATE:
        return parse_moment(value, field.display)
    if field.kind == BYTES and isinstance(value, str):
        return point(parse_bytes(value, field.display))
    return point(number(value, field.display))


def term_filter(field: Field, values, *, op: str = "eq", negate: bool = False) -> FieldFilter:
    if field.kind == BOOL:
        if len(values) != 1 or op != "eq":
            raise QueryError(f"{field.display} takes true or false", field=field.display)
        return FieldFilter(field.name, (parse_bool(values[0], field.display),), "eq", negate)
    checked = tuple(dict.fromkeys(text_value(v, field.display) for v in values))
    if not checked:
        raise QueryError(f"{field.display} needs a value", field=field.display)
    return FieldFilter(field.name, checked, op, negate)


# Separated words never read as a unit, though pint knows some ("in", "a", "at"...).
STOPWORDS = frozenset(
    "a an and are as at be by for from in is it no not of on or per point the to with".split()  # noqa: SIM905
)


def is_unit_word(word: str) -> bool:
    if word in STOPWORDS or (len(word) > 1 and word.lower() in STOPWORDS):
        return False  # "A" is the ampere, "a" and "At" are words
    return normalise_unit(word) is not None


# --- scientific conditions -------------------------------------------------------------------
def check_key(key) -> str:
    """A dotted scientific-metadata path ("sample.temperature")."""
    if not isinstance(key, str) or not key:
        raise QueryError("a metadata condition needs a key", field="scientific")
    if len(key) > MAX_KEY_CHARS or _BAD_TEXT_CHARS.search(key) or "\n" in key or "\t" in key:
        raise QueryError(f"metadata key {key[:40]!r}… is not valid", field="scientific")
    for part in key.split("."):
        if not part.strip() or part != part.strip() or part.startswith("$"):
            raise QueryError(f"metadata key {key!r} is not a valid dotted path", field=key)
    return key


def make_condition(
    key, relation, value, unit="", *, bounds: str = "()", negate: bool = False
) -> ScientificCondition:
    """A checked ScientificCondition, with the SI value when a unit is given."""
    key = check_key(key)
    if relation not in RELATIONS:
        raise QueryError(
            f"unknown relation {relation!r}; use one of {', '.join(RELATIONS)}", field=key
        )
    unit = "" if unit is None else unit
    if not isinstance(unit, str) or len(unit) > 50 or _BAD_UNIT_CHARS.search(unit):
        raise QueryError("the unit must be a short text like K or keV", field=key)
    unit = unit.strip()
    if relation in STRING_RELATIONS:
        if unit:
            raise QueryError(f"{key}: a unit only goes with a numeric comparison", field=key)
        if isinstance(value, bool):
            raise QueryError(f"{key}: expected text, got a boolean", field=key)
        return ScientificCondition(key, relation, text_value(value, key), negate=negate)
    if relation == "RANGE":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise QueryError(f"{key}: RANGE takes [min, max]", field=key)
        if bounds not in ("()", "[]", "[)", "(]"):
            raise QueryError(f"{key}: range bounds must be one of () [] [) (]", field=key)
        value = (number(value[0], key), number(value[1], key))
        if value[0] > value[1]:
            raise QueryError(f"{key}: the lower bound is above the upper bound", field=key)
        if value[0] == value[1] and bounds != "[]":
            raise QueryError(f"{key}: the range is empty", field=key)
    else:
        value, bounds = number(value, key), "()"
    value_si = unit_si = None
    if unit:
        if normalise_unit(unit) is None:
            raise QueryError(f"unknown unit {unit!r}", field=key)
        si = to_si(list(value) if relation == "RANGE" else value, unit)
        if si is None:
            raise QueryError(f"{key}: the value cannot be converted to SI", field=key)
        value_si = tuple(si[0]) if relation == "RANGE" else si[0]
        unit_si = si[1]
    return ScientificCondition(key, relation, value, unit, value_si, unit_si, bounds, negate)


def whole_number(value, name: str) -> int:
    """A JSON int or a digit string (URL parameters), else QueryError."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        value = int(value)
    if type(value) is not int:
        raise QueryError(f"{name} must be a whole number", field=name)
    return value


def make_page(offset, limit) -> tuple[int, int]:
    """Checked (offset, limit) for the SciCat and PaNOSC skip/limit."""
    offset, limit = whole_number(offset, "skip"), whole_number(limit, "limit")
    check_page(offset, limit)
    return offset, limit


MAX_JSON_CHARS = 100_000


def load_json(value, name: str):
    """A dict/list as given, or decoded from a JSON string (query parameters arrive as text)."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_JSON_CHARS:
        raise QueryError(f"{name} is longer than {MAX_JSON_CHARS} characters", field=name)
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise QueryError(f"invalid JSON in {name}", field=name) from None


def load_object(value, name: str) -> dict:
    """A JSON object as given or decoded (see load_json); {} for none."""
    loaded = load_json(value, name)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise QueryError(f"{name} must be a JSON object", field=name)
    return loaded


def page_window(page, size) -> tuple[int, int]:
    """The portal's page (from 1) and page size -> checked (offset, limit)."""
    limit = DEFAULT_LIMIT if size is None else whole_number(size, "size")
    page = 1 if page is None else whole_number(page, "page")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"size must be between 1 and {MAX_LIMIT}", field="size")
    if page < 1 or page * limit > MAX_WINDOW:
        raise QueryError(
            f"page must be between 1 and {MAX_WINDOW // limit} (only the first {MAX_WINDOW} "
            "results can be paged through; narrow the search)",
            field="page",
        )
    return (page - 1) * limit, limit
