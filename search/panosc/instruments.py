"""/Instruments: every instrument (instruments are public, as in SciCat); their datasets are
only the ones the user may read."""

from __future__ import annotations

from . import serializers
from .datasets import page_size
from .embed import Embedder
from .errors import not_found
from .filters import Scope
from .graph import Graph
from .text import MAX_CANDIDATES, NEUTRAL, query_terms, rank, text_q

ORDER = {"pid": "pid", "name": "name", "facility": "facility"}
TEXT = {"name": 4.0, "unique_name": 2.0, "facility": 2.0, "pid": 1.0}


def find(graph: Graph, scope: Scope) -> list[dict]:
    instruments = graph.instruments(scope)
    if scope.query:
        words, phrases, excluded = query_terms(scope.query)
        needles = (*words, *phrases)
        rows = instruments.filter(text_q(needles, excluded, list(TEXT))).order_by("pid")
        candidates = [(row["pid"], row) for row in rows.values(*TEXT)[:MAX_CANDIDATES]]
        page = rank(candidates, needles, TEXT)[scope.skip : scope.skip + page_size(scope)]
    else:
        order = [("-" if d else "") + ORDER[f] for f, d in scope.order if f in ORDER]
        pids = instruments.order_by(*order, "name", "pid").values_list("pid", flat=True)
        page = [(pid, NEUTRAL) for pid in pids[scope.skip : scope.skip + page_size(scope)]]
    records = list(instruments.filter(pid__in=[pid for pid, _ in page]))
    embedded = Embedder(graph).instruments(records, scope)
    names = [r.name for r in scope.include]
    return [
        serializers.project(embedded[pid] | {"score": score}, scope.fields, names)
        for pid, score in page
        if pid in embedded
    ]


def count(graph: Graph, where) -> int:
    return graph.instruments(Scope(where=where)).count()


def get(graph: Graph, pid: str, scope: Scope) -> dict:
    record = graph.instruments(Scope()).filter(pid=pid).first()
    if record is None:
        raise not_found("Instrument", pid)
    embedded = Embedder(graph, single=True).instruments([record], scope)
    if record.pk not in embedded:
        kept = Scope(include=tuple(r for r in scope.include if not r.conditional))
        embedded = Embedder(graph, single=True).instruments([record], kept)
    return serializers.project(embedded[record.pk], scope.fields, [r.name for r in scope.include])
