"""SciCat's LoopBack-flavoured `where` (a Mongo query with LoopBack operator names) → Django Q.

Accepted: equality, `inq`/`$in`, `nin`/`$nin`, `gt`/`gte`/`lt`/`lte` (and `$` forms), `between`,
`neq`/`$ne`, `like`/`$regex` (a regular expression, as upstream), `ilike` or `$options: "i"`,
`nlike`, `exists`/`$exists`, `and`/`or`/`$and`/`$or`, and dotted paths into JSON fields
(`scientificMetadata.sample.temperature.value`, which upstream broke; backend#1888). Anything else
is a FilterError (a 400), never a server error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import and_, or_

from django.db.models import Exists, OuterRef, Q

from catalogue.errors import InvalidInput
from catalogue.services.common import parse_timestamp


class FilterError(InvalidInput):
    pass


@dataclass(frozen=True)
class FieldRef:
    """Where a client's field name lives: a column, a path in a JSON column, or a term array."""

    lookup: str  # ORM path, e.g. "owner_group" or "scientific_metadata__sample__mass"
    kind: str = "scalar"  # scalar | date | number | bool | json | terms
    term_kind: str = ""  # for kind "terms": the DatasetTerm kind


Resolver = Callable[[str], FieldRef]
# A condition a caller answers itself (see where_to_q), or None to leave it to the rules.
Special = Callable[[str, object], Q | None]

COMPARISONS = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}
ALIASES = {
    "$in": "inq",
    "$nin": "nin",
    "$gt": "gt",
    "$gte": "gte",
    "$lt": "lt",
    "$lte": "lte",
    "$ne": "neq",
    "$regex": "like",
    "$exists": "exists",
    "$eq": "eq",
}
LOGICAL = {"and": and_, "or": or_, "$and": and_, "$or": or_}


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def where_to_q(where, resolve: Resolver, special: Special | None = None) -> Q:
    """`where` as a Q over the fields `resolve` names.

    `special(key, value)` may answer a condition itself (a Q) before `resolve` is asked; it
    returns None for the keys it leaves to the common rules. It applies inside and/or too.
    """
    if where in (None, {}):
        return Q()
    if not isinstance(where, dict):
        raise FilterError("where must be a JSON object")
    parts = []
    for key, value in where.items():
        if key in LOGICAL:
            if not isinstance(value, list) or not value:
                raise FilterError(f"{key} needs a non-empty list of conditions")
            inner = (where_to_q(item, resolve, special) for item in value)
            parts.append(reduce(LOGICAL[key], inner))
        elif special is not None and (answer := special(key, value)) is not None:
            parts.append(answer)
        elif key.startswith("$"):
            raise FilterError(f"unsupported operator {key}")
        else:
            parts.append(_field_q(resolve(key), key, value))
    return reduce(and_, parts) if parts else Q()


def _field_q(ref: FieldRef, name: str, condition) -> Q:
    if not isinstance(condition, dict) or not condition:
        return _equals(ref, name, condition)
    options = condition.get("$options", "")
    parts = []
    for raw_op, operand in condition.items():
        if raw_op == "$options":
            continue
        op = ALIASES.get(raw_op, raw_op)
        if op == "like" and "i" in str(options):
            op = "ilike"
        parts.append(_operator_q(ref, name, op, operand))
    if not parts:
        raise FilterError(f"no condition given for {name}")
    return reduce(and_, parts)


def _operator_q(ref: FieldRef, name: str, op: str, operand) -> Q:
    if op == "eq":
        return _equals(ref, name, operand)
    if op in ("inq", "nin"):
        if not isinstance(operand, list):
            raise FilterError(f"{op} on {name} needs a list")
        values = [_value(ref, name, item) for item in operand]
        matched = _term_q(ref, value__in=values) if ref.kind == "terms" else _q(ref, "in", values)
        return matched if op == "inq" else ~matched
    if op in COMPARISONS:
        _no_terms(ref, name, op)
        return _q(ref, COMPARISONS[op], _value(ref, name, operand, ordered=True))
    if op == "between":
        _no_terms(ref, name, op)
        if not isinstance(operand, list) or len(operand) != 2:
            raise FilterError(f"between on {name} needs [low, high]")
        low, high = (_value(ref, name, item, ordered=True) for item in operand)
        return _q(ref, "gte", low) & _q(ref, "lte", high)
    if op == "neq":
        return ~_equals(ref, name, operand)
    if op in ("like", "ilike", "nlike", "nilike"):
        pattern, insensitive = _pattern(name, operand)
        lookup = "iregex" if insensitive or op in ("ilike", "nilike") else "regex"
        if ref.kind == "terms":
            matched = _term_q(ref, **{f"value__{lookup}": pattern})
        else:
            matched = _q(ref, lookup, pattern)
        return ~matched if op.startswith("n") else matched
    if op == "exists":
        if not isinstance(operand, bool):
            raise FilterError(f"exists on {name} needs true or false")
        present = _term_q(ref) if ref.kind == "terms" else _q(ref, "isnull", False)
        return present if operand else ~present
    raise FilterError(f"unsupported operator {op!r} on {name}")


def _equals(ref: FieldRef, name: str, value) -> Q:
    if isinstance(value, dict):
        raise FilterError(f"unsupported condition on {name}")
    if ref.kind == "terms":
        if isinstance(value, list):  # Mongo: equality with the whole array
            return _q(ref, "exact", value)
        return _term_q(ref, value=_value(ref, name, value))
    if value is None:
        return _q(ref, "isnull", True)
    if isinstance(value, list) and ref.kind != "json":
        raise FilterError(f"{name} is not an array; use inq for any-of")
    return _q(ref, "exact", _value(ref, name, value))


def _q(ref: FieldRef, lookup: str, value) -> Q:
    return Q(**{f"{ref.lookup}__{lookup}": value})


def _term_q(ref: FieldRef, **conditions) -> Q:
    from catalogue.models import DatasetTerm

    terms = DatasetTerm.objects.filter(dataset=OuterRef("pk"), kind=ref.term_kind, **conditions)
    return Q(Exists(terms))


def _no_terms(ref: FieldRef, name: str, op: str) -> None:
    if ref.kind == "terms":
        raise FilterError(f"{op} is not supported on the array field {name}")


def _value(ref: FieldRef, name: str, value, ordered: bool = False):
    if isinstance(value, dict | list):
        raise FilterError(f"a value for {name} must be a string, number or boolean")
    if ref.kind == "date":
        if isinstance(value, datetime):
            return value
        if not isinstance(value, str):
            raise FilterError(f"{name} needs an ISO-8601 date-time")
        try:
            return parse_timestamp(value, name)
        except InvalidInput as exc:
            raise FilterError(exc.message) from exc
    if ref.kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise FilterError(f"{name} needs a number")
    if ref.kind == "bool" and not isinstance(value, bool):
        raise FilterError(f"{name} needs true or false")
    if ref.kind == "terms":
        return str(value).lower() if ref.term_kind == "shared_with" else str(value)
    if ordered and isinstance(value, bool):
        raise FilterError(f"{name}: cannot order booleans")
    return value


def _pattern(name: str, operand) -> tuple[str, bool]:
    """A regular expression and whether it ignores case; LoopBack's "/pattern/i" form too."""
    if not isinstance(operand, str):
        raise FilterError(f"like on {name} needs a string pattern")
    insensitive = False
    if len(operand) > 1 and operand.startswith("/") and operand.rfind("/") > 0:
        insensitive = "i" in operand[operand.rfind("/") + 1 :]
        operand = operand[1 : operand.rfind("/")]
    try:
        re.compile(operand)
    except re.error as exc:
        raise FilterError(f"invalid regular expression for {name}: {exc}") from exc
    return operand, insensitive
