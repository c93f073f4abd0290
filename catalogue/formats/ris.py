"""RIS (`application/x-research-info-systems`), type DATA, one tag per line, CRLF line ends.

RIS is line based, so every value is flattened to one line.
"""

from __future__ import annotations

from .record import Record


def _line(tag: str, value) -> str:
    flat = " ".join(str(value).split())
    return f"{tag}  - {flat}\r\n" if flat else ""


def _author(person) -> str:
    family, given = person.split_name()
    return f"{family}, {given}" if family and given else family or person.name


def to_ris(record: Record) -> str:
    lines = [_line("TY", "DATA"), _line("T1", record.title)]
    lines += [_line("AU", _author(p)) for p in record.creators]
    lines += [
        _line("DO", record.doi),
        _line("UR", record.citation_url),
        _line("AB", record.abstract),
    ]
    lines += [_line("KW", s.text) for s in record.subjects]
    lines += [_line("PY", record.publication_year), _line("DA", record.issued.replace("-", "/"))]
    lines += [_line("PB", record.publisher.name if record.publisher else "")]
    lines += [_line("LA", record.language), _line("ET", record.version)]
    lines += [_line("C1", r.statement) for r in record.rights[:1]]
    lines.append("ER  - \r\n")
    return "".join(line for line in lines if line)
