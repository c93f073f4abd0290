"""The Elasticsearch index: its settings, analyzer and mapping, and a search document as an
Elasticsearch source.

Field prefixes follow the tantivy schema: ``x_`` weighted free text (analyzer "fedcat"), ``t_``
exact terms, ``b_`` flags, ``d_`` dates, ``n_`` numbers, ``f_`` facet values, ``a_`` the access
part, ``m_num``/``m_str`` scientific metadata as ``<path>\\x00<value>`` keywords (numbers as the
order-preserving hex of encoding.py, so a number interval under one path is one keyword range),
``s_name`` the sort key. Dates are ``long`` seconds since 1970 (documents hold whole UTC
seconds), so any datetime a parser produces compares exactly, with no date-format parsing.
Ties in every sort are broken by ``pid`` (ascending), as in the other backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from search.documents import SCHEMA_VERSION
from search.query import FACETS, FIELDS
from search.query.model import BOOL, DATE, TERM

from .base import SORT_NAME_CHARS, TEXT_BOOSTS
from .encoding import SEPARATOR, number_key

LAYOUT = f"fedcat-{SCHEMA_VERSION}.es2"  # document shape . Elasticsearch mapping
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PUBLISHED = -(2**62)  # a_public_from of published datasets: public at any moment
MAX_KEYWORD_CHARS = 8000  # longer keywords are not indexed (Lucene's term limit is 32 KB)
ACCESS_TERMS = ("owner_group", "access_groups", "shared_with")

# The tokenizer keeps runs of letters and digits ("group": 0: the pattern matches tokens),
# drops tokens of 40 characters or more, lower-cases and folds to ASCII: the tantivy "fedcat"
# analyzer. Written so that osmem-server, which reads a pattern as the token pattern whatever
# "group" says, and Elasticsearch produce the same tokens; "fedcat_fold" is a named filter
# because osmem maps the built-in name "asciifolding" to NFKD alone.
ANALYSIS = {
    "tokenizer": {"fedcat_words": {"type": "pattern", "pattern": "[\\p{L}\\p{N}]+", "group": 0}},
    "filter": {
        "fedcat_short": {"type": "length", "max": 39},
        "fedcat_fold": {"type": "asciifolding"},
    },
    "analyzer": {
        "fedcat": {
            "type": "custom",
            "tokenizer": "fedcat_words",
            "filter": ["fedcat_short", "lowercase", "fedcat_fold"],
        }
    },
}


def slug(name: str) -> str:
    """A canonical field name as a flat field name (a dot would make an object path)."""
    return name.replace(".", "__")


def seconds(moment: datetime) -> int:
    """Whole seconds since 1970 of a document date (UTC, whole seconds already)."""
    return (moment - EPOCH) // timedelta(seconds=1)


def moment(value: int) -> datetime:
    return EPOCH + timedelta(seconds=value)


def index_settings(*, shards: int = 1, replicas: int | None = None, building: bool = False):
    """One shard by default: BM25 statistics and facet counts are then exact and the same as
    tantivy's (with more shards, BM25 is per shard and terms counts are estimates)."""
    settings = {"number_of_shards": shards, "analysis": ANALYSIS}
    if replicas is not None:
        settings["number_of_replicas"] = 0 if building else replicas
    if building:
        settings["refresh_interval"] = "-1"
    return settings


def _keyword() -> dict:
    return {"type": "keyword", "ignore_above": MAX_KEYWORD_CHARS}


def mappings() -> dict:
    properties: dict = {
        "pid": {"type": "keyword"},
        "updated_at": {"type": "long"},
        "s_name": _keyword(),
        "a_public_from": {"type": "long"},
        "m_num": _keyword(),
        "m_str": _keyword(),
    }
    for name in TEXT_BOOSTS:
        properties[f"x_{name}"] = {"type": "text", "analyzer": "fedcat"}
    for name, field in FIELDS.items():
        if field.kind == TERM:
            properties[f"t_{slug(name)}"] = _keyword()
        elif field.kind == BOOL:
            properties[f"b_{slug(name)}"] = {"type": "boolean"}
        elif field.kind == DATE:
            properties[f"d_{slug(name)}"] = {"type": "long"}
        else:
            properties[f"n_{slug(name)}"] = {"type": "double"}
    for name in FACETS:
        properties[f"f_{name}"] = _keyword()
    for name in ACCESS_TERMS:
        properties[f"a_{name}"] = _keyword()
    return {"dynamic": "strict", "_meta": {"fedcat_layout": LAYOUT}, "properties": properties}


def to_source(document: dict) -> dict:
    """A search document (search.documents) as an Elasticsearch source."""
    updated_at = document["updated_at"]
    out: dict = {
        "pid": document["pid"],
        "updated_at": None if updated_at is None else seconds(updated_at),
        "s_name": document["sort_name"][:SORT_NAME_CHARS],
    }
    out.update({f"x_{n}": text for n, text in document["text"].items() if text})
    out.update({f"t_{slug(n)}": values for n, values in document["terms"].items() if values})
    out.update({f"b_{slug(n)}": v for n, v in document["flags"].items() if v is not None})
    out.update({f"d_{slug(n)}": seconds(v) for n, v in document["dates"].items() if v})
    out.update({f"n_{slug(n)}": v for n, v in document["numbers"].items() if v is not None})
    out.update({f"f_{n}": values for n, values in document["facets"].items() if values})
    access = document["access"]
    for name in ACCESS_TERMS:
        value = access[name]
        if value:
            out[f"a_{name}"] = value
    if access["is_published"]:
        out["a_public_from"] = PUBLISHED
    elif access["embargo_end"] is not None:
        out["a_public_from"] = seconds(access["embargo_end"])
    numbers = [
        path + SEPARATOR + number_key(v)
        for path, values in document["metadata_numbers"].items()
        for v in values
    ]
    strings = [
        path + SEPARATOR + v
        for path, values in document["metadata_strings"].items()
        for v in values
    ]
    if numbers:
        out["m_num"] = numbers
    if strings:
        out["m_str"] = strings
    return out
