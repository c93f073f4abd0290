"""`scientific` conditions of fullquery/fullfacet (scicat-api.md §2.7) -> database filters.

A condition is `{lhs, relation, rhs, unit}`; several are ANDed. It is checked and converted to SI
by search.query's `make_condition`, the same code as the portal's search box, then:

- with a unit: the stored `<lhs>.valueSI` is compared with the rhs in SI, and `<lhs>.unitSI`
  must equal the SI unit (so `> 20 celsius` matches a stored 300 K; an unknown unit is a 400);
- without: the value at `<lhs>`, `<lhs>.v` or `<lhs>.value`, whichever holds it (upstream
  looks only at `.value` for EQUAL_TO_NUMERIC and RANGE; fedcat looks at all three).

`lhs` is a dotted path, so nested keys work (upstream's key encoding broke them, backend#1888).
CONTAINS_STRING is a case-insensitive substring match (upstream's matches nothing). RANGE takes
`[min, max]` with exclusive bounds. A unit sent with a string relation is ignored, as upstream.
fullquery then shows each searched quantity in the unit asked for (`in_requested_units`).
"""

from __future__ import annotations

from django.db.models import Q

from catalogue.api.where import FilterError
from catalogue.units import to_si
from search.query import QueryError, ScientificCondition
from search.query.model import STRING_RELATIONS
from search.query.values import make_condition

from .jsonpaths import number_compare, string_contains, string_equals

COLUMN = "scientific_metadata"
NUMERIC = {
    "EQUAL_TO_NUMERIC": "exact",
    "GREATER_THAN": "gt",
    "LESS_THAN": "lt",
    "GREATER_THAN_OR_EQUAL": "gte",
    "LESS_THAN_OR_EQUAL": "lte",
}


def scientific_q(conditions) -> Q:
    if conditions in (None, []):
        return Q()
    if not isinstance(conditions, list):
        raise FilterError("scientific must be a list of conditions")
    q = Q()
    for raw in conditions:
        q &= condition_q(raw)
    return q


def parse_condition(raw) -> ScientificCondition:
    """One `{lhs, relation, rhs, unit}`, checked and converted to SI (FilterError if bad)."""
    if not isinstance(raw, dict) or not {"lhs", "relation", "rhs"} <= set(raw):
        raise FilterError("each scientific condition is {lhs, relation, rhs, unit}")
    relation = raw["relation"]
    unit = "" if isinstance(relation, str) and relation in STRING_RELATIONS else raw.get("unit")
    try:
        return make_condition(raw["lhs"], relation, raw["rhs"], unit)
    except QueryError as exc:
        raise FilterError(exc.message) from exc


def condition_q(raw) -> Q:
    condition = parse_condition(raw)
    keys = condition.key.split(".")
    if condition.unit:
        return _numeric(condition, [*keys, "valueSI"], condition.value_si) & string_equals(
            COLUMN, [*keys, "unitSI"], condition.unit_si
        )
    q = Q()
    for path in (keys, [*keys, "v"], [*keys, "value"]):
        if condition.relation == "EQUAL_TO_STRING":
            q |= string_equals(COLUMN, path, condition.value)
        elif condition.relation == "CONTAINS_STRING":
            q |= string_contains(COLUMN, path, condition.value)
        else:
            q |= _numeric(condition, path, condition.value)
    return q


def _numeric(condition, path: list[str], value) -> Q:
    if condition.relation == "RANGE":
        low, high = value
        low_op = "gte" if condition.bounds[0] == "[" else "gt"
        high_op = "lte" if condition.bounds[1] == "]" else "lt"
        return number_compare(COLUMN, path, low_op, low) & number_compare(
            COLUMN, path, high_op, high
        )
    return number_compare(COLUMN, path, NUMERIC[condition.relation], value)


def requested_units(conditions) -> list[tuple[list[str], str]]:
    """(lhs keys, unit) of the conditions that name a unit; they are valid by now."""
    if not isinstance(conditions, list):
        return []
    found = []
    for raw in conditions:
        unit = raw.get("unit") if isinstance(raw, dict) else None
        if isinstance(unit, str) and unit.strip() and raw.get("relation") not in STRING_RELATIONS:
            found.append((str(raw["lhs"]).split("."), unit.strip()))
    return found


def in_requested_units(doc: dict, requested: list[tuple[list[str], str]]) -> dict:
    """Shows each searched quantity of a fullquery result in the unit the search named, to 3
    significant digits, as upstream's FullQueryInterceptor does (valueSI/unitSI stay)."""
    for keys, unit in requested:
        node = doc.get("scientificMetadata")
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            _convert(node, unit)
    return doc


def _convert(quantity: dict, unit: str) -> None:
    value_key, unit_key = ("value", "unit") if "unit" in quantity else ("v", "u")
    if quantity.get(unit_key) == unit or value_key not in quantity:
        return
    value_si, unit_si = quantity.get("valueSI"), quantity.get("unitSI")
    one, zero = to_si(1, unit), to_si(0, unit)
    if one is None or zero is None or one[1] != unit_si:
        return
    if isinstance(value_si, bool) or not isinstance(value_si, int | float):
        return
    converted = (value_si - zero[0]) / (one[0] - zero[0])
    quantity[value_key] = float(f"{converted:.3g}")
    quantity[unit_key] = unit
