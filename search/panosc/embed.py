"""Embedding the included relations in a page of results, at any depth.

Each relation costs one query for the whole page (never one per record), and the related
records come from the same Graph querysets that filtered the parents, so an include with a
where embeds exactly the records that made its parent match. A parent whose conditional
relation comes back empty is dropped (inner join; a safety net, the database already
decided). Per parent and relation at most LIST_EMBEDDED records are embedded in a list and
MAX_EMBEDDED for one record asked for by pid (or the scope's limit when lower); ``parameters``
always carries all of a record's parameters. Only the columns the includes need are loaded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from catalogue.access import Action, can
from catalogue.access_entities import json_list_has_any
from catalogue.models import DataFile, Dataset, DatasetTerm, TermKind

from . import serializers
from .filters import LIST_EMBEDDED, MAX_EMBEDDED, Relation, Scope
from .graph import Graph
from .members import member_matches, proposal_members, publication_members, shown
from .parameters import parameter_rows, parse_condition, requested_units

DATASET_COLUMNS = ("id", "pid", "dataset_name", "creation_time", "size", "is_published")
DATASET_COLUMNS += ("embargo_end", "owner_group", "access_groups", "shared_with")
RELATION_COLUMNS = {
    "techniques": "techniques",
    "parameters": "scientific_metadata",
    "samples": "sample_ids",
    "instrument": "instrument_ids",
    "documents": "proposal_ids",
}
SINGULAR = ("instrument", "document")


@dataclass(frozen=True)
class Doc:
    kind: str  # "proposal" | "publication"
    record: object

    @property
    def key(self) -> tuple[str, str]:
        pid = self.record.proposal_id if self.kind == "proposal" else self.record.doi
        return self.kind, pid


def dataset_columns(scope: Scope) -> tuple[str, ...]:
    """The Dataset columns a page needs for these includes."""
    needed = [RELATION_COLUMNS[r.key] for r in scope.include if r.key in RELATION_COLUMNS]
    return DATASET_COLUMNS + tuple(dict.fromkeys(needed))


def load_datasets(ids, scope: Scope) -> dict[int, Dataset]:
    records = Dataset.objects.filter(pk__in=list(ids)).only(*dataset_columns(scope))
    return {d.pk: d for d in records}


def _ranked(queryset, partition: str, order: str, cap: int):
    rank = Window(RowNumber(), partition_by=[F(partition)], order_by=[F(order).asc()])
    return queryset.annotate(panosc_rank=rank).filter(panosc_rank__lte=cap)


def _units(scope: Scope) -> dict[str, str]:
    wheres = [r.scope.where for r in scope.relations("parameters") if r.scope.where]
    return requested_units(parse_condition(where) for where in wheres)


class Embedder:
    def __init__(self, graph: Graph, *, single: bool = False):
        self.graph = graph
        self.limit = MAX_EMBEDDED if single else LIST_EMBEDDED

    def _cap(self, relation: Relation) -> int:
        return min(relation.scope.limit or self.limit, self.limit)

    def _attach(self, out: dict, scope: Scope, loader) -> dict:
        """Runs `loader(relation) -> {key: value}` per include; drops inner-join misses."""
        dropped = set()
        for relation in scope.include:
            found = loader(relation)
            if found is None:  # a relation this entity does not have
                dropped.update(out if relation.conditional else ())
                continue
            for key, data in out.items():
                value = found.get(key)
                if relation.name in SINGULAR and isinstance(value, list):
                    value = value[0] if value else None
                if relation.conditional and not value:
                    dropped.add(key)
                elif value is not None:
                    data[relation.name] = value
                elif relation.name not in SINGULAR:
                    data[relation.name] = []
        return {key: data for key, data in out.items() if key not in dropped}

    # --- datasets -------------------------------------------------------------------------------
    def datasets(self, records: list[Dataset], scope: Scope) -> dict[int, dict]:
        out = {r.pk: serializers.dataset(r, self.graph.now) for r in records}
        units = _units(scope)
        return self._attach(out, scope, lambda rel: self._dataset_relation(records, rel, units))

    def _dataset_relation(self, records, relation: Relation, units) -> dict | None:
        key, scope, graph = relation.key, relation.scope, self.graph
        if key == "techniques":
            pids = graph.technique_pids(scope.where)
            return {
                r.pk: [t for t in serializers.techniques(r) if pids is None or t["pid"] in pids]
                for r in records
            }
        if key == "parameters":
            return {r.pk: parameter_rows(r.scientific_metadata, units) for r in records}
        if key == "files":
            allowed = [r.pk for r in records if can(graph.user, Action.DOWNLOAD, r)]
            files = DataFile.objects.filter(graph.file_q(scope), dataset_id__in=allowed)
            found = defaultdict(list)
            for row in _ranked(files, "dataset_id", "id", self._cap(relation)).order_by("id"):
                found[row.dataset_id].append(serializers.data_file(row))
            return found
        if key == "samples":
            wanted = {s for r in records for s in r.sample_ids or []}
            samples = graph.samples(scope).filter(sample_id__in=sorted(wanted))
            by_id = {s.sample_id: serializers.sample(s) for s in samples}
            return {
                r.pk: [by_id[s] for s in dict.fromkeys(r.sample_ids or []) if s in by_id]
                for r in records
            }
        if key == "instrument":
            wanted = {i for r in records for i in r.instrument_ids or []}
            instruments = list(graph.instruments(scope).filter(pid__in=sorted(wanted)))
            by_pid = self.instruments(instruments, scope)
            return {
                r.pk: [by_pid[i] for i in r.instrument_ids or [] if i in by_pid] for r in records
            }
        if key == "documents":
            return self._documents_of(records, relation)
        return None

    def _documents_of(self, records, relation: Relation) -> dict:
        scope, graph = relation.scope, self.graph
        proposal_ids = sorted({p for r in records for p in r.proposal_ids or []})
        pids = [r.pid for r in records]
        proposals = graph.proposals(scope).filter(proposal_id__in=proposal_ids)
        docs = [Doc("proposal", p) for p in proposals]
        publications = graph.publications(scope).filter(json_list_has_any("dataset_pids", pids))
        docs += [Doc("publication", p) for p in publications]
        embedded = self.documents(docs, scope)
        found = {}
        for r in records:
            mine = [embedded.get(("proposal", p)) for p in dict.fromkeys(r.proposal_ids or [])]
            mine += [
                embedded.get(d.key)
                for d in docs
                if d.kind == "publication" and r.pid in (d.record.dataset_pids or [])
            ]
            found[r.pk] = [m for m in mine if m is not None][: self._cap(relation)]
        return found

    # --- documents ------------------------------------------------------------------------------
    def documents(self, docs: list[Doc], scope: Scope) -> dict[tuple[str, str], dict]:
        out = {
            d.key: (serializers.proposal if d.kind == "proposal" else serializers.publication)(
                d.record
            )
            for d in docs
        }
        units = _units(scope)
        return self._attach(out, scope, lambda rel: self._document_relation(docs, rel, units))

    def _document_relation(self, docs: list[Doc], relation: Relation, units) -> dict | None:
        key, scope = relation.key, relation.scope
        if key == "datasets":
            return self._datasets_of(docs, relation)
        if key == "members":
            found = {}
            for d in docs:
                if d.kind == "proposal":
                    rows = proposal_members(d.record)
                else:
                    rows = publication_members(d.record.doi, d.record.metadata)
                found[d.key] = [shown(m, scope) for m in rows if member_matches(m, scope)]
            return found
        if key == "parameters":
            return {
                d.key: parameter_rows(d.record.metadata, units) if d.kind == "proposal" else []
                for d in docs
            }
        return None

    def _datasets_of(self, docs: list[Doc], relation: Relation) -> dict:
        graph, cap = self.graph, self._cap(relation)
        matching = graph.datasets(relation.scope)
        proposal_ids = [d.key[1] for d in docs if d.kind == "proposal"]
        terms = DatasetTerm.objects.filter(
            kind=TermKind.PROPOSAL, value__in=proposal_ids, dataset__in=matching.values("pk")
        )
        links = defaultdict(list)  # doc key -> dataset ids
        for value, dataset_id in _ranked(terms, "value", "dataset_id", cap).values_list(
            "value", "dataset_id"
        ):
            links[("proposal", value)].append(dataset_id)
        listed = {d.key: d.record.dataset_pids or [] for d in docs if d.kind == "publication"}
        wanted = sorted({p for pids in listed.values() for p in pids})
        by_pid = dict(matching.filter(pid__in=wanted).values_list("pid", "pk")) if wanted else {}
        for key, pids in listed.items():
            links[key] = [by_pid[p] for p in dict.fromkeys(pids) if p in by_pid][:cap]
        records = load_datasets({i for ids in links.values() for i in ids}, relation.scope)
        embedded = self.datasets(sorted(records.values(), key=lambda r: r.pk), relation.scope)
        return {
            key: [embedded[i] for i in sorted(ids) if i in embedded] for key, ids in links.items()
        }

    # --- instruments ----------------------------------------------------------------------------
    def instruments(self, records, scope: Scope) -> dict[str, dict]:
        out = {r.pid: serializers.instrument(r) for r in records}
        return self._attach(out, scope, lambda rel: self._instrument_relation(records, rel))

    def _instrument_relation(self, records, relation: Relation) -> dict | None:
        if relation.key != "datasets":
            return None
        terms = DatasetTerm.objects.filter(
            kind=TermKind.INSTRUMENT,
            value__in=[r.pid for r in records],
            dataset__in=self.graph.datasets(relation.scope).values("pk"),
        )
        links = defaultdict(list)
        for value, dataset_id in _ranked(
            terms, "value", "dataset_id", self._cap(relation)
        ).values_list("value", "dataset_id"):
            links[value].append(dataset_id)
        records_by_id = load_datasets({i for ids in links.values() for i in ids}, relation.scope)
        embedded = self.datasets(sorted(records_by_id.values(), key=lambda r: r.pk), relation.scope)
        return {pid: [embedded[i] for i in ids if i in embedded] for pid, ids in links.items()}
