"""What of a dataset scope the search engine can answer, and asking it.

The engine (search.service) knows every dataset's where fields, techniques (by pid) and
scientific metadata (SI-normalised), indexed, with the user's access rules inside the query.
``plan`` splits a scope into what goes to the engine (the dataset where, when
search.query.parse_panosc reads it and it does not ask isPublic, which the database judges as
embargoes end; each parameters include; each techniques include, PaNET-expanded to pids) and
the rest, which the database checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.query import MAX_LIMIT as ENGINE_PAGE
from search.query import MAX_WINDOW, FieldFilter, QueryError, SearchRequest, parse_panosc
from search.service import search

from .filters import Scope
from .parameters import parse_condition

ENGINE_ORDER = {"title": "name", "creationDate": "date", "size": "size", "score": "relevance"}


@dataclass(frozen=True)
class Plan:
    filters: tuple
    scientific: tuple
    rest: Scope  # where and includes left to the database

    @property
    def engine_only(self) -> bool:
        return not self.rest.where and not self.rest.include

    @property
    def on_metadata(self) -> bool:
        """Conditions the engine answers from its index better than a database scan."""
        return bool(self.scientific) or any(f.field == "techniques" for f in self.filters)


def plan(graph, scope: Scope) -> Plan | None:
    """The split of `scope`; None when a condition can match nothing."""
    filters, scientific, rest_where, rest_include = [], [], None, []
    if scope.where:
        try:
            if _mentions(scope.where, "isPublic"):
                raise QueryError("isPublic is judged by the database (embargoes end)")
            filters += parse_panosc({"where": scope.where}).filters
        except (QueryError, ValueError):
            rest_where = scope.where
    for relation in scope.include:
        if not relation.conditional:
            continue
        nested = any(r.conditional for r in relation.scope.include)
        if relation.key == "parameters" and relation.scope.where and not nested:
            found = parse_condition(relation.scope.where)
            if found is None:
                return None
            scientific.append(found)
        elif relation.key == "techniques" and relation.scope.where and not nested:
            pids = graph.technique_pids(relation.scope.where)
            if not pids:
                return None
            filters.append(FieldFilter("techniques", tuple(sorted(pids))))
        else:
            rest_include.append(relation)
    rest = Scope(where=rest_where, include=tuple(rest_include))
    return Plan(tuple(filters), tuple(scientific), rest)


def _mentions(where, name: str) -> bool:
    if isinstance(where, dict):
        return any(k == name or _mentions(v, name) for k, v in where.items())
    if isinstance(where, list):
        return any(_mentions(item, name) for item in where)
    return False


def _sort(scope: Scope) -> str | None:
    if not scope.order:
        return None
    field, descending = scope.order[0]
    sort = ENGINE_ORDER.get(field)
    if sort is None or sort == "relevance":
        return sort
    return "-" + sort if descending else sort


def request(scope: Scope, found: Plan, terms=((), (), ()), offset=0, limit=1) -> SearchRequest:
    """A query ranks by relevance (the score must mean something); otherwise the scope's order."""
    words, phrases, excluded = terms
    return SearchRequest(
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        filters=found.filters,
        scientific=found.scientific,
        sort="relevance" if words or phrases else (_sort(scope) or "-date"),
        offset=offset,
        limit=limit,
    )


def matching_pids(graph, scope: Scope, bound: int = MAX_WINDOW) -> list[str] | None:
    """Every dataset pid matching `scope` by the engine alone, when the scope is all metadata
    conditions the engine answers and at most `bound` datasets match; else None (the database
    decides). Used for scopes nested under documents and instruments."""
    found = plan(graph, scope)
    if found is None:
        return []
    if not found.engine_only or not found.on_metadata:
        return None
    pids: list[str] = []
    while True:
        result = search(graph.user, request(scope, found, offset=len(pids), limit=ENGINE_PAGE))
        if result.error or result.total > bound:
            return None
        pids += [hit.pid for hit in result.hits]
        if len(result.hits) < ENGINE_PAGE or len(pids) >= result.total:
            return pids
