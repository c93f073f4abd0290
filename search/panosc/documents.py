"""/Documents: proposals (type "proposal") and published data (type "publication").

Both come from the database through their visibility functions. Without a query the two
kinds are listed as one ordered list (a UNION, ordered by the filter's order, then type and
pid) and paged there; with a query, the matches of both are ranked (search.panosc.text) and
then paged. A pid is looked up among proposals first, then publications.
"""

from __future__ import annotations

from django.db.models import CharField, DateTimeField, F, Value

from . import serializers
from .datasets import page_size
from .embed import Doc, Embedder
from .errors import not_found
from .filters import Scope
from .graph import Graph
from .text import MAX_CANDIDATES, NEUTRAL, query_terms, rank, text_q

PROPOSAL_TEXT = {"title": 4.0, "abstract": 2.0, "proposal_id": 1.0, "pi_lastname": 1.0}
PUBLICATION_TEXT = {"title": 4.0, "abstract": 2.0, "doi": 1.0}
UNION_ORDER = {"pid": "panosc_pid", "title": "panosc_title", "type": "panosc_kind"}
UNION_ORDER["startDate"] = "panosc_date"


def _keyed(queryset, kind: str, pid: str, date: str | None):
    date_value = F(date) if date else Value(None, output_field=DateTimeField())
    return (
        queryset.order_by()
        .annotate(
            panosc_kind=Value(kind, output_field=CharField()),
            panosc_pid=F(pid),
            panosc_title=F("title"),
            panosc_date=date_value,
        )
        .values_list("panosc_kind", "panosc_pid", "panosc_title", "panosc_date")
    )


def find(graph: Graph, scope: Scope) -> list[dict]:
    proposals, publications = graph.proposals(scope), graph.publications(scope)
    if scope.query:
        page = _ranked(scope, proposals, publications)
    else:
        order = [("-" if d else "") + UNION_ORDER[f] for f, d in scope.order if f in UNION_ORDER]
        union = _keyed(proposals, "proposal", "proposal_id", "start_time").union(
            _keyed(publications, "publication", "doi", None), all=True
        )
        rows = union.order_by(*order, "panosc_kind", "panosc_pid")
        rows = rows[scope.skip : scope.skip + page_size(scope)]
        page = [((kind, pid), NEUTRAL) for kind, pid, *_ in rows]
    docs = _load(proposals, publications, [key for key, _ in page])
    embedded = Embedder(graph).documents(docs, scope)
    names = [r.name for r in scope.include]
    out = []
    for key, score in page:
        if key in embedded:
            out.append(serializers.project(embedded[key] | {"score": score}, scope.fields, names))
    return out


def _ranked(scope: Scope, proposals, publications) -> list[tuple[tuple[str, str], float]]:
    words, phrases, excluded = query_terms(scope.query)
    needles = (*words, *phrases)
    candidates = []
    for kind, queryset, weights, pid in (
        ("proposal", proposals, PROPOSAL_TEXT, "proposal_id"),
        ("publication", publications, PUBLICATION_TEXT, "doi"),
    ):
        matching = queryset.filter(text_q(needles, excluded, list(weights)))
        for row in matching.order_by(pid).values(*weights)[:MAX_CANDIDATES]:
            candidates.append(((kind, row[pid]), row))
    weights = {**PROPOSAL_TEXT, **PUBLICATION_TEXT}
    ranked = rank(candidates, needles, weights)
    return ranked[scope.skip : scope.skip + page_size(scope)]


def _load(proposals, publications, keys) -> list[Doc]:
    wanted = {kind: [pid for k, pid in keys if k == kind] for kind in ("proposal", "publication")}
    found = {
        ("proposal", p.proposal_id): Doc("proposal", p)
        for p in proposals.filter(proposal_id__in=wanted["proposal"])
    }
    found |= {
        ("publication", p.doi): Doc("publication", p)
        for p in publications.filter(doi__in=wanted["publication"])
    }
    return [found[key] for key in keys if key in found]


def count(graph: Graph, where) -> int:
    scope = Scope(where=where)
    return graph.proposals(scope).count() + graph.publications(scope).count()


def get(graph: Graph, pid: str, scope: Scope) -> dict:
    plain = Scope()
    doc = None
    proposal = graph.proposals(plain).filter(proposal_id=pid).first()
    if proposal is not None:
        doc = Doc("proposal", proposal)
    else:
        publication = graph.publications(plain).filter(doi=pid).first()
        doc = Doc("publication", publication) if publication is not None else None
    if doc is None:
        raise not_found("Document", pid)
    embedded = Embedder(graph, single=True).documents([doc], scope)
    if doc.key not in embedded:
        kept = Scope(include=tuple(r for r in scope.include if not r.conditional))
        embedded = Embedder(graph, single=True).documents([doc], kept)
    return serializers.project(embedded[doc.key], scope.fields, [r.name for r in scope.include])
