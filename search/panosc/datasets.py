"""/Datasets: list, count, one by pid, and its files.

Where the answer comes from (each path keeps the access rules of Dataset.objects.visible_to):

- a ``query``: the search engine (search.service), which ranks by BM25 and returns hits in score
  order, so the score is computed before limit and skip. The filter's dataset where and its
  parameters/techniques includes go into the engine query; any other condition (files,
  samples, instrument, documents, an isPublic or a where the engine cannot express) is then
  checked by the database on the engine's hits, scanning at most MAX_WINDOW of them;
- no query, with parameters/techniques conditions only: the engine (indexed metadata), falling
  back to the database if the engine is down;
- anything else: the database, over visible_to, with the filter as SQL (search.panosc.graph).

search.panosc.engine decides what the engine can answer.
"""

from __future__ import annotations

from catalogue.access import Action, can
from catalogue.models import DataFile
from search.query import MAX_LIMIT as ENGINE_PAGE
from search.query import MAX_WINDOW

from . import engine, serializers
from .embed import Embedder, dataset_columns
from .errors import Unavailable, not_found
from .filters import MAX_LIMIT, Scope
from .graph import Graph
from .text import NEUTRAL, normalised, query_terms

ORDER = {
    "pid": "pid",
    "title": "dataset_name",
    "creationDate": "creation_time",
    "size": "size",
    "isPublic": "is_published",
}
DEFAULT_ORDER = ("-creation_time", "id")
FILE_ORDER = {"id": "id", "name": "path", "path": "path", "size": "size"}


def page_size(scope: Scope) -> int:
    return min(scope.limit or MAX_LIMIT, MAX_LIMIT)


# --- list -----------------------------------------------------------------------------------------
def find(graph: Graph, scope: Scope) -> list[dict]:
    records, scores = select(graph, scope)
    embedded = Embedder(graph).datasets(records, scope)
    names = [r.name for r in scope.include]
    out = []
    for record in records:
        if record.pk in embedded:
            data = embedded[record.pk] | {"score": scores.get(record.pk, NEUTRAL)}
            out.append(serializers.project(data, scope.fields, names))
    return out


def select(graph: Graph, scope: Scope):
    """The page of Dataset records, in order, and {pk: score}."""
    found = engine.plan(graph, scope)
    if found is None:  # some condition can match nothing
        return [], {}
    if scope.query:
        return _ranked(graph, scope, found)
    if found.engine_only and found.on_metadata:
        page = _engine_page(graph, scope, found)
        if page is not None:
            return page
    records = list(
        graph.datasets(scope, use_engine=False)
        .order_by(*_orm_order(scope))
        .only(*dataset_columns(scope))[scope.skip : scope.skip + page_size(scope)]
    )
    return records, {}


def _load(graph: Graph, scope: Scope, pids: list[str]) -> list:
    records = graph.visible_datasets().filter(pid__in=pids).only(*dataset_columns(scope))
    found = {r.pid: r for r in records}
    return [found[p] for p in pids if p in found]


def _engine_page(graph: Graph, scope: Scope, found: engine.Plan):
    """The page from the engine, or None when the engine failed (the database answers)."""
    limit = page_size(scope)
    if scope.skip + limit > MAX_WINDOW:
        return [], {}
    result = engine.search(graph.user, engine.request(scope, found, offset=scope.skip, limit=limit))
    if result.error:
        return None
    return _load(graph, scope, [hit.pid for hit in result.hits]), {}


def _ranked(graph: Graph, scope: Scope, found: engine.Plan):
    terms = query_terms(scope.query)
    limit, wanted = page_size(scope), scope.skip + page_size(scope)
    if wanted > MAX_WINDOW:
        return [], {}
    kept: list[tuple[str, float | None]] = []
    best = None
    checked_by_database, rest = not found.engine_only, found.rest
    offset = 0 if checked_by_database else scope.skip
    while offset < MAX_WINDOW:
        size = ENGINE_PAGE if checked_by_database else limit
        request = engine.request(scope, found, terms, offset, size)
        result = engine.search(graph.user, request)
        if result.error:
            raise Unavailable(result.error)
        if best is None:
            best = _best(graph, scope, found, request, result)
        hits = [(hit.pid, hit.score) for hit in result.hits]
        if checked_by_database:
            passing = graph.datasets(rest).filter(pid__in=[p for p, _ in hits])
            passing = set(passing.values_list("pid", flat=True))
            hits = [(p, s) for p, s in hits if p in passing]
        kept += hits
        if not checked_by_database or len(kept) >= wanted or len(result.hits) < size:
            break
        offset += size
    if checked_by_database:
        kept = kept[scope.skip : wanted]
    records = _load(graph, scope, [p for p, _ in kept])
    score_of = dict(kept)
    return records, {r.pk: normalised(score_of.get(r.pid), best) for r in records}


def _best(graph: Graph, scope: Scope, found, request, result) -> float | None:
    """The top BM25 score of the query (the first hit, asked for when the page starts later)."""
    if request.offset == 0:
        return result.hits[0].score if result.hits else None
    terms = (request.words, request.phrases, request.excluded)
    first = engine.search(graph.user, engine.request(scope, found, terms, 0, 1))
    return first.hits[0].score if first.hits else None


def _orm_order(scope: Scope) -> list[str]:
    order = [("-" if desc else "") + ORDER[f] for f, desc in scope.order if f in ORDER]
    return [*order, *DEFAULT_ORDER]


# --- count, one, files ---------------------------------------------------------------------------
def count(graph: Graph, where) -> int:
    return graph.datasets(Scope(where=where)).count()


def get(graph: Graph, pid: str, scope: Scope) -> dict:
    record = graph.visible_datasets().filter(pid=pid).only(*dataset_columns(scope)).first()
    if record is None:
        raise not_found("Dataset", pid)
    embedded = Embedder(graph, single=True).datasets([record], scope)
    if record.pk not in embedded:  # a find by id keeps the record; its relation is just empty
        plain = Scope(include=tuple(r for r in scope.include if not r.conditional))
        embedded = Embedder(graph, single=True).datasets([record], plain)
    names = [r.name for r in scope.include]
    return serializers.project(embedded[record.pk], scope.fields, names)


def _files(graph: Graph, pid: str, where):
    record = graph.visible_datasets().filter(pid=pid).first()
    if record is None:
        raise not_found("Dataset", pid)
    if not can(graph.user, Action.DOWNLOAD, record):
        return DataFile.objects.none()
    return DataFile.objects.filter(graph.file_q(Scope(where=where)), dataset=record)


def files(graph: Graph, pid: str, scope: Scope) -> list[dict]:
    order = [("-" if d else "") + FILE_ORDER[f] for f, d in scope.order if f in FILE_ORDER]
    rows = _files(graph, pid, scope.where).order_by(*order, "id")
    page = rows[scope.skip : scope.skip + page_size(scope)]
    return [serializers.project(serializers.data_file(row), scope.fields) for row in page]


def files_count(graph: Graph, pid: str, where) -> int:
    return _files(graph, pid, where).count()
