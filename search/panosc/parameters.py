"""Parameters: PaNOSC's name/value/unit rows, made from scientific metadata.

Each quantity ({value, unit} or {v, u}) or plain value in a dataset's scientificMetadata (a
proposal's metadata) is one parameter, named by its dotted path (``sample.temperature``),
sorted by name, numbered from 1. A ``parameters`` include with a where is one condition that a
single parameter must satisfy (several entries: several parameters, ANDed); it is parsed by
search.query.parse_panosc, so the search engine and the database give it the same meaning:

- with a unit, the stored ``valueSI`` is compared in SI and ``unitSI`` must agree (a filter in
  keV matches a value stored in eV); the parameter is then shown in the unit asked for;
- without one, the value as stored is compared (text for text, numbers for numbers).

Proposal metadata is not SI-annotated by the catalogue, so for documents a quantity written in
the very unit of the filter also matches on its raw value (the reference's string equality).
"""

from __future__ import annotations

import math
from functools import reduce
from operator import or_

from django.db.models import Q

from catalogue.api.datasets.jsonpaths import number_compare, string_contains, string_equals
from catalogue.units import to_si
from search.query import AnyOf, QueryError, ScientificCondition, parse_panosc

from .where import NOTHING_Q

MAX_PARAMETERS = 500  # parameters shown per record
_NUMERIC = {
    "EQUAL_TO_NUMERIC": "exact",
    "GREATER_THAN": "gt",
    "LESS_THAN": "lt",
    "GREATER_THAN_OR_EQUAL": "gte",
    "LESS_THAN_OR_EQUAL": "lte",
}


def parse_condition(where):
    """A ScientificCondition or AnyOf for one parameters include; None: nothing can match."""
    include = [{"relation": "parameters", "scope": {"where": where}}]
    try:
        (found,) = parse_panosc({"include": include}).scientific
    except (QueryError, ValueError):
        return None
    return found


def _conditions(found) -> tuple[ScientificCondition, ...]:
    return found.conditions if isinstance(found, AnyOf) else (found,)


def condition_q(model, column: str, found, *, raw_units: bool = False) -> Q:
    """Rows of `model` whose JSON `column` holds a parameter satisfying `found`."""
    if found is None:
        return NOTHING_Q
    parts = [_one(model, column, c, raw_units) for c in _conditions(found)]
    return reduce(or_, parts)


def _one(model, column: str, c: ScientificCondition, raw_units: bool) -> Q:
    keys = c.key.split(".")
    if c.unit_si is not None:
        q = _numeric(column, [*keys, "valueSI"], c, c.value_si) & string_equals(
            column, [*keys, "unitSI"], c.unit_si
        )
        if raw_units:
            for value_key, unit_key in (("value", "unit"), ("v", "u")):
                q |= _numeric(column, [*keys, value_key], c, c.value) & string_equals(
                    column, [*keys, unit_key], c.unit
                )
    else:
        q = NOTHING_Q
        for path in (keys, [*keys, "v"], [*keys, "value"]):
            if c.relation == "EQUAL_TO_STRING":
                q |= string_equals(column, path, c.value)
            elif c.relation == "CONTAINS_STRING":
                q |= string_contains(column, path, c.value)
            else:
                q |= _numeric(column, path, c, c.value)
    if c.negate:  # as the engine: "not (some value matches)", records without the key included
        return ~Q(pk__in=model.objects.filter(q).values("pk"))
    return q


def _numeric(column: str, path: list[str], c: ScientificCondition, value) -> Q:
    if c.relation == "RANGE":
        low_op = "gte" if c.bounds[0] == "[" else "gt"
        high_op = "lte" if c.bounds[1] == "]" else "lt"
        return number_compare(column, path, low_op, value[0]) & number_compare(
            column, path, high_op, value[1]
        )
    return number_compare(column, path, _NUMERIC[c.relation], value)


# --- rows --------------------------------------------------------------------------------------
def parameter_rows(metadata, units: dict[str, str] | None = None) -> list[dict]:
    """The parameters of a metadata object; `units`: name -> unit to show the value in."""
    found: list[tuple[str, object, str, dict]] = []
    _walk(metadata if isinstance(metadata, dict) else {}, "", found)
    found.sort(key=lambda item: item[0])
    rows = []
    for number, (name, value, unit, node) in enumerate(found[:MAX_PARAMETERS], start=1):
        row = {"id": number, "name": name, "value": value, "unit": unit}
        wanted = (units or {}).get(name)
        if wanted and wanted != unit:
            converted = in_unit(node, wanted)
            if converted is not None:
                row["value"], row["unit"] = converted, wanted
        rows.append(row)
    return rows


def _walk(node: dict, prefix: str, found: list) -> None:
    for key, value in node.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            pair = _pair(value)
            if pair:
                unit = value.get(pair[1])
                if _scalar(value[pair[0]]):
                    unit = unit if isinstance(unit, str) else ""
                    found.append((name, value[pair[0]], unit, value))
            else:
                _walk(value, name, found)
        elif _scalar(value):
            found.append((name, value, "", {}))


def _pair(node: dict):
    for value_key, unit_key in (("value", "unit"), ("v", "u")):
        if value_key in node and unit_key in node:
            return value_key, unit_key
    return None


def _scalar(value) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def in_unit(quantity: dict, unit: str):
    """The quantity's value in `unit` (from its valueSI), or None when it cannot be."""
    value_si, unit_si = quantity.get("valueSI"), quantity.get("unitSI")
    if isinstance(value_si, bool) or not isinstance(value_si, int | float):
        return None
    one, zero = to_si(1, unit), to_si(0, unit)
    if one is None or zero is None or one[1] != unit_si or one[0] == zero[0]:
        return None
    value = (value_si - zero[0]) / (one[0] - zero[0])
    value = float(f"{value:.12g}")
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def requested_units(founds) -> dict[str, str]:
    """name -> unit of every parameter condition that names a unit."""
    units = {}
    for found in founds:
        for c in _conditions(found) if found is not None else ():
            if c.unit:
                units[c.key] = c.unit
    return units
