"""BibTeX (`application/x-bibtex`): one @misc entry, as DataCite's content negotiation writes.

Text fields are LaTeX-escaped in one pass (so a brace or a backslash in a title cannot break the
entry); doi and url are verbatim fields and only lose characters BibTeX cannot carry there.
Organisations are braced so BibTeX never splits them into first and last names.
"""

from __future__ import annotations

import re

from .record import Record

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIAL))


def escape(value: str) -> str:
    flat = " ".join(str(value).split())
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], flat)


def _verbatim(value: str) -> str:
    return re.sub(r"[{}\s\\]", "", value)


def _author(person) -> str:
    family, given = person.split_name()
    if family:
        return escape(f"{family}, {given}" if given else family)
    return "{" + escape(person.name) + "}"


def cite_key(record: Record) -> str:
    return re.sub(r"[^A-Za-z0-9:./_-]", "_", record.identifier) or "record"


def to_bibtex(record: Record) -> str:
    fields = [
        ("doi", _verbatim(record.doi)),
        ("url", _verbatim(record.citation_url)),
        ("author", " and ".join(_author(p) for p in record.creators)),
        ("keywords", escape(", ".join(s.text for s in record.subjects))),
        ("title", escape(record.title)),
        ("publisher", escape(record.publisher.name) if record.publisher else ""),
        ("year", escape(record.publication_year)),
        ("version", escape(record.version)),
        ("copyright", escape(record.rights[0].statement) if record.rights else ""),
        ("abstract", escape(record.abstract)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{cite_key(record)},\n{body}\n}}\n"
