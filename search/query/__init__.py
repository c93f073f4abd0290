"""Search query parsing: pure functions, no database, no settings.

Three inputs, one output. ``parse_query_string`` reads the portal's search box,
``parse_scicat`` SciCat's fullquery/fullfacet ``fields``, ``parse_panosc`` a PaNOSC ``filter``;
each returns a frozen ``SearchRequest`` or raises ``QueryError`` (never anything else), and
``SearchRequest.to_query_string()`` writes the portal form back. The syntax for users is in
docs/search-syntax.md.
"""

from .model import (
    DEFAULT_LIMIT,
    FACET_LIMIT,
    FACETS,
    FIELDS,
    MAX_FACET_LIMIT,
    MAX_LIMIT,
    MAX_WINDOW,
    RELATIONS,
    SORTS,
    AnyOf,
    Field,
    FieldFilter,
    QueryError,
    RangeFilter,
    ScientificCondition,
    SearchRequest,
)
from .panosc import parse_panosc
from .portal import MAX_QUERY_CHARS, parse_query_string, parse_text
from .scicat import SCICAT_DEFAULT_LIMIT, parse_scicat

__all__ = [
    "DEFAULT_LIMIT",
    "FACETS",
    "FACET_LIMIT",
    "FIELDS",
    "MAX_FACET_LIMIT",
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "MAX_WINDOW",
    "RELATIONS",
    "SCICAT_DEFAULT_LIMIT",
    "SORTS",
    "AnyOf",
    "Field",
    "FieldFilter",
    "QueryError",
    "RangeFilter",
    "ScientificCondition",
    "SearchRequest",
    "parse_panosc",
    "parse_query_string",
    "parse_scicat",
    "parse_text",
]
