"""HTTP byte ranges (RFC 9110 §14) for single-file downloads.

One range is served as 206 with Content-Range; a range that starts past the end is 416 with
``Content-Range: bytes */<size>``. Anything else a server may ignore is ignored (a full 200):
other units, bad syntax, several ranges at once, and an If-Range that no longer matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.http import parse_http_date_safe

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class Unsatisfiable(Exception):
    """The range asks for bytes the file does not have (416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, None for the whole file, or Unsatisfiable."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _SPEC.match(spec)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # a suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = size - 1 if last == "" else int(last)
    if last != "" and end < start:
        return None  # invalid: ignored, not unsatisfiable
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def if_range_matches(header: str | None, etag: str, mtime_ns: int) -> bool:
    """Whether a Range may be honoured: no If-Range, or one naming the current version."""
    if not header:
        return True
    header = header.strip()
    if header.startswith(("W/", '"')):
        return header == etag  # strong comparison; a weak validator never matches
    when = parse_http_date_safe(header)
    return when is not None and when == mtime_ns // 1_000_000_000
