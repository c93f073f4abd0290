"""OAI-PMH sets: by facility and by instrument.

`facility:<name>` holds the publications with a public dataset measured at an instrument of
that facility, `instrument:<uniqueName>` those with a public dataset from that instrument. Names
are encoded into the characters a setSpec allows ([A-Za-z0-9-_.!*'()]); any other character,
including `~` and `:`, becomes `~` plus its UTF-8 bytes in hex, so every name round-trips.
Membership is decided from the same public datasets the records show (record.instruments), in
the database for list filters and in Python for the headers; both read Instrument rows.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import NotSupportedError
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q

from catalogue.models import Dataset, DatasetTerm, Instrument, TermKind

from .errors import OAIError

SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
_PLAIN = frozenset(string.ascii_letters + string.digits + "-_.!*'()")
FAMILIES = ("facility", "instrument")


@dataclass(frozen=True)
class OAISet:
    spec: str
    name: str
    description: str = ""


def enabled() -> bool:
    return bool(getattr(settings, "OAI_SETS", True))


def encode(name: str) -> str:
    return "".join(c if c in _PLAIN else "".join(f"~{b:02X}" for b in c.encode()) for c in name)


def decode(text: str) -> str:
    raw, i = bytearray(), 0
    while i < len(text):
        if text[i] == "~":
            raw.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.extend(text[i].encode())
            i += 1
    return raw.decode()


def all_sets() -> list[OAISet]:
    facilities = (
        Instrument.objects.exclude(facility="").values_list("facility", flat=True).distinct()
    )
    found = [
        OAISet(f"facility:{encode(f)}", f"Facility {f}", f"Publications with data from {f}")
        for f in sorted(set(facilities))
    ]
    for instrument in Instrument.objects.order_by("unique_name"):
        found.append(
            OAISet(
                f"instrument:{encode(instrument.unique_name)}",
                f"Instrument {instrument.name}",
                f"Publications with data from {instrument.name}"
                + (f" at {instrument.facility}" if instrument.facility else ""),
            )
        )
    return found


def specs_for(record) -> list[str]:
    """The setSpecs of one record, from the instruments of its public datasets."""
    specs = [f"facility:{encode(f)}" for f in record.facilities]
    specs += [f"instrument:{encode(i.name)}" for i in record.instruments]
    return list(dict.fromkeys(specs))


class _PidInOuterList(Func):
    """True where the outer publication's JSON list `dataset_pids` holds this dataset's pid."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"JSON list membership is not written for {connection.vendor}")

    def _parts(self, compiler):
        column, column_params = compiler.compile(self.source_expressions[0])
        value, value_params = compiler.compile(self.source_expressions[1])
        return column, value, (*column_params, *value_params)

    def as_sqlite(self, compiler, connection, **extra):
        column, value, params = self._parts(compiler)
        sql = f"EXISTS (SELECT 1 FROM json_each({column}) AS element WHERE element.value = {value})"
        return sql, params

    def as_postgresql(self, compiler, connection, **extra):
        column, value, params = self._parts(compiler)
        return f"({column} ? {value})", params


def parse(spec: str) -> tuple[str, str]:
    """(family, name) of a setSpec; badArgument when it is not a setSpec at all."""
    if not SPEC_RE.match(spec):
        raise OAIError("badArgument", f"{spec!r} is not a valid setSpec.")
    family, _, rest = spec.partition(":")
    try:
        name = decode(rest)
    except (ValueError, UnicodeDecodeError):
        name = None
    if family not in FAMILIES or not rest or ":" in rest or name is None:
        return "", ""
    return family, name


def publications_filter(spec: str) -> Q:
    """A filter on PublishedData selecting the members of set `spec` (none if unknown)."""
    family, name = parse(spec)
    if family == "facility":
        pids = list(Instrument.objects.filter(facility=name).values_list("pid", flat=True))
    elif family == "instrument":
        pids = list(Instrument.objects.filter(unique_name=name).values_list("pid", flat=True))
    else:
        return Q(pk__in=[])
    if not pids:
        return Q(pk__in=[])
    with_instrument = DatasetTerm.objects.filter(
        dataset=OuterRef("pk"), kind=TermKind.INSTRUMENT, value__in=pids
    )
    members = (
        Dataset.objects.visible_to(AnonymousUser())
        .filter(Exists(with_instrument))
        .filter(_PidInOuterList(OuterRef("dataset_pids"), F("pid")))
    )
    return Q(Exists(members))
