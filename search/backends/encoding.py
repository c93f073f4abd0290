"""Numbers as order-preserving text, and number intervals as regular expressions over that text.

A scientific-metadata number is indexed as one term ``<path>\\x00<16 hex digits>``: the digits
are the float's IEEE-754 bits, flipped so that text order is number order (the usual trick:
positive numbers get the sign bit set, negative numbers all bits inverted). An interval of
numbers is then an interval of fixed-length hex strings, which ``interval_regex`` writes as a
regular expression. Any engine with regex term queries (tantivy, Elasticsearch, Lucene) can run
it; the key path and the number stay in one term, so "wavelength < 1e-10" never matches a
dataset whose *other* key is small.
"""

from __future__ import annotations

import math
import struct

HEX = "0123456789abcdef"
WIDTH = 16
LOWEST, HIGHEST = "0" * WIDTH, "f" * WIDTH
SEPARATOR = "\x00"  # between a metadata path and its value; never in a checked key
_META = frozenset("\\.+*?()|[]{}^$#&-~")


def number_key(value: float) -> str:
    """The 16 hex digits whose text order is the order of the numbers (-0.0 is 0.0)."""
    bits = struct.unpack(">Q", struct.pack(">d", float(value) + 0.0))[0]
    bits = bits ^ 0xFFFF_FFFF_FFFF_FFFF if bits >> 63 else bits | (1 << 63)
    return f"{bits:016x}"


def is_indexable(value) -> bool:
    """A finite int or float (bools are not numbers here)."""
    return type(value) in (int, float) and math.isfinite(value) and abs(value) <= 1e300


def escape(text: str) -> str:
    """Text as a literal inside a (Rust/Lucene-style) regular expression."""
    return "".join("\\" + c if c in _META else c for c in text)


def key_bounds(low, high, low_inclusive: bool, high_inclusive: bool) -> tuple[str, str] | None:
    """The inclusive interval of keys for a number interval (None: open end); None if empty."""
    first = LOWEST if low is None else number_key(low)
    last = HIGHEST if high is None else number_key(high)
    if low is not None and not low_inclusive:
        if first == HIGHEST:
            return None
        first = f"{int(first, 16) + 1:016x}"
    if high is not None and not high_inclusive:
        if last == LOWEST:
            return None
        last = f"{int(last, 16) - 1:016x}"
    return (first, last) if first <= last else None


COARSE = 5  # hex digits of a coarse key: sign, exponent and 8 mantissa bits (1/256 octave)


def coarse_cover(first: str, last: str) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """Splits the key interval [first, last] into the coarse keys whose every number lies in
    it (an interval of COARSE-digit prefixes, or None) and the full-key intervals left at its
    two ends. A number interval then costs a few hundred coarse terms and the few exact keys
    near its bounds, instead of one term per distinct number in it."""
    low, high = first[:COARSE], last[:COARSE]
    if low == high:
        return None, [(first, last)]
    pad = WIDTH - COARSE
    ends = []
    inner_low, inner_high = low, high
    if first == low + "0" * pad:
        pass  # the first coarse key is covered whole
    else:
        ends.append((first, low + "f" * pad))
        inner_low = f"{int(low, 16) + 1:0{COARSE}x}"
    if last != high + "f" * pad:
        ends.append((high + "0" * pad, last))
        inner_high = f"{int(high, 16) - 1:0{COARSE}x}"
    inner = (inner_low, inner_high) if inner_low <= inner_high else None
    return inner, ends


def interval_regex(first: str, last: str) -> str:
    """A regex matching exactly the hex strings s with first <= s <= last (same length)."""
    if first == last:
        return first
    if first[0] == last[0]:
        return first[0] + interval_regex(first[1:], last[1:])
    low, high, rest = HEX.index(first[0]), HEX.index(last[0]), len(first) - 1
    parts = [first[0] + _at_least(first[1:])]
    if high - low > 1:
        parts.append(_digit_class(low + 1, high - 1) + _any(rest))
    parts.append(last[0] + _at_most(last[1:]))
    return "(" + "|".join(parts) + ")"


def _any(length: int) -> str:
    return f"[0-9a-f]{{{length}}}" if length else ""


def _digit_class(low: int, high: int) -> str:
    if low == high:
        return HEX[low]
    spans = [(a, b) for a, b in ((low, min(high, 9)), (max(low, 10), high)) if a <= b]
    return "[" + "".join(HEX[a] if a == b else f"{HEX[a]}-{HEX[b]}" for a, b in spans) + "]"


def _at_least(text: str) -> str:
    if not text or text == "0" * len(text):
        return _any(len(text))
    digit = HEX.index(text[0])
    parts = [text[0] + _at_least(text[1:])]
    if digit < 15:
        parts.append(_digit_class(digit + 1, 15) + _any(len(text) - 1))
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"


def _at_most(text: str) -> str:
    if not text or text == "f" * len(text):
        return _any(len(text))
    digit = HEX.index(text[0])
    parts = [text[0] + _at_most(text[1:])]
    if digit > 0:
        parts.append(_digit_class(0, digit - 1) + _any(len(text) - 1))
    return parts[0] if len(parts) == 1 else "(" + "|".join(parts) + ")"
