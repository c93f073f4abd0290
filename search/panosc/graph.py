"""Which records match a scope: the PaNOSC relation graph over fedcat's models.

    Dataset   -> techniques, parameters, files, samples, instrument, documents (alias document)
    Document  -> datasets, members (-> person, affiliation), parameters
    Instrument-> datasets

A Document is a proposal (type "proposal") or a published-data record (type "publication").
Every read starts from the visibility functions (``Dataset.objects.visible_to`` and
catalogue.access_entities), so a scope never reaches a record its user could not read.

Inner-join semantics at any depth: an include whose scope (or a scope below it) has a where
becomes a condition on its parent, "has at least one related record matching that scope",
asked inside the database (Exists and IN subqueries); the same querysets then fetch the
related records to embed (search.panosc.embed), so a filter and what it shows cannot disagree.
"""

from __future__ import annotations

import re

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalogue.access import Action, dataset_filter
from catalogue.access_entities import (
    REGISTERED_STATUSES,
    proposals_visible_to,
    published_data_visible_to,
    samples_visible_to,
)
from catalogue.models import (
    DataFile,
    Dataset,
    DatasetTerm,
    Instrument,
    Proposal,
    Technique,
    TermKind,
)

from . import engine, panet
from .filters import Relation, Scope
from .members import member_matches, proposal_members_q, publication_members
from .parameters import condition_q, parse_condition
from .sql import JsonListContains, JsonListHasAnyOf
from .where import NOTHING_Q, Column, Const, Custom, compare, like_regex, parse_where, to_q

TEXT_FIELDS = {
    "dataset": ("title",),
    "document": ("title", "summary"),
    "instrument": ("name", "facility"),
    "file": ("name",),
    "sample": ("name", "description"),
}
INSTRUMENT_FIELDS = {"pid": Column("pid"), "name": Column("name"), "facility": Column("facility")}
SAMPLE_FIELDS = {
    "pid": Column("sample_id"),
    "name": Column("description"),
    "description": Column("description"),
}
_DOCUMENT_COMMON = {"title": Column("title"), "summary": Column("abstract")}
PROPOSAL_FIELDS = {
    **_DOCUMENT_COMMON,
    "pid": Column("proposal_id"),
    "type": Const("proposal"),
    "isPublic": Column("is_published", "bool"),
    "startDate": Column("start_time", "date"),
    "endDate": Column("end_time", "date"),
}
PUBLICATION_FIELDS = {
    **_DOCUMENT_COMMON,
    "pid": Column("doi"),
    "doi": Column("doi"),
    "type": Const("publication"),
    "releaseDate": Column("registered_time", "date"),
}
for _fields in (PROPOSAL_FIELDS, PUBLICATION_FIELDS):
    for _name in ("doi", "startDate", "endDate", "releaseDate", "license", "keywords"):
        _fields.setdefault(_name, Const(None))


def bool_field(true_q: Q) -> Custom:
    """A boolean field computed by a filter (isPublic of datasets and publications)."""

    def build(op, value):
        truth = [b for b in (True, False) if compare(b, op, value)]
        if len(truth) == 2:
            return Q()
        if not truth:
            return NOTHING_Q
        return true_q if truth[0] else ~true_q

    return Custom(build)


def _file_name(op, value) -> Q:
    """File.name is the last part of DataFile.path."""
    return _path_part(op, value, r"(^|/)", r"[^/]")


def _file_folder(op, value) -> Q:
    """File.path is DataFile.path without its last part."""
    return _path_part(op, value, r"^", r"[^/]", folder=True)


def _path_part(op, value, start, char, folder=False) -> Q:
    negate = op in ("neq", "nin", "nlike", "nilike")
    op = {"neq": "eq", "nin": "inq", "nlike": "like", "nilike": "ilike"}.get(op, op)
    values = value if op == "inq" else [value]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return NOTHING_Q
    patterns = []
    for text in values:
        if op in ("eq", "inq"):
            body = re.escape(text)
        elif op == "icontains":
            body = f"{char}*{re.escape(text)}{char}*"
        elif op in ("like", "ilike"):
            body = like_regex(text, char)[1:-1]
        else:
            return NOTHING_Q
        patterns.append(f"{start}{body}/[^/]+$" if folder else f"{start}{body}$")
    lookup = "path__iregex" if op in ("ilike", "icontains") else "path__regex"
    q = NOTHING_Q
    for pattern in patterns:
        q |= Q(**{lookup: pattern})
    return ~q if negate else q


FILE_FIELDS = {
    "id": Column("id", "number"),
    "name": Custom(_file_name),
    "path": Custom(_file_folder),
    "size": Column("size", "number"),
}


def term_in(kind: str, values) -> Q:
    """Datasets with a `kind` term among `values` (a list or a one-column queryset)."""
    terms = DatasetTerm.objects.filter(dataset=OuterRef("pk"), kind=kind, value__in=values)
    return Q(Exists(terms))


class Graph:
    """One request's view of the catalogue: what its user may see, and what matches."""

    def __init__(self, user, now=None):
        self.user = user
        self.now = now or timezone.now()
        self._vocabulary = None

    # --- datasets -------------------------------------------------------------------------------
    def public_q(self) -> Q:
        return Q(is_published=True) | Q(embargo_end__lte=self.now)

    def dataset_fields(self) -> dict:
        return {
            "pid": Column("pid"),
            "title": Column("dataset_name"),
            "isPublic": bool_field(self.public_q()),
            "creationDate": Column("creation_time", "date"),
            "size": Column("size", "number"),
        }

    def visible_datasets(self):
        return Dataset.objects.visible_to(self.user)

    def datasets(self, scope: Scope, use_engine: bool = True):
        """The visible datasets matching `scope`. A scope of metadata conditions (parameters,
        techniques) is answered by the search engine when it matches few enough datasets
        (search.panosc.engine.matching_pids), sparing the database a scan of JSON."""
        if use_engine and scope.include:
            pids = engine.matching_pids(self, scope)
            if pids is not None:
                return self.visible_datasets().filter(pid__in=pids)
        return self.visible_datasets().filter(self.dataset_q(scope))

    def dataset_where_q(self, where) -> Q:
        return to_q(parse_where(where, TEXT_FIELDS["dataset"]), self.dataset_fields())

    def dataset_q(self, scope: Scope) -> Q:
        q = self.dataset_where_q(scope.where)
        for relation in scope.include:
            if relation.conditional:
                q &= self.dataset_relation_q(relation)
        return q

    def dataset_relation_q(self, relation: Relation) -> Q:
        scope, key = relation.scope, relation.key
        if key == "techniques":
            if not scope.where:
                return Q()
            return term_in(TermKind.TECHNIQUE, sorted(self.technique_pids(scope.where)))
        if key == "parameters":
            if not scope.where:
                return Q()
            return condition_q(Dataset, "scientific_metadata", parse_condition(scope.where))
        if key == "files":  # file lists are shown to those who may download (as the SciCat API)
            files = DataFile.objects.filter(self.file_q(scope), dataset=OuterRef("pk"))
            return Q(Exists(files)) & dataset_filter(self.user, Action.DOWNLOAD)
        if key == "samples":
            return term_in(TermKind.SAMPLE, self.samples(scope).values("sample_id"))
        if key == "instrument":
            return term_in(TermKind.INSTRUMENT, self.instruments(scope).values("pid"))
        if key == "documents":
            in_publication = JsonListContains("dataset_pids", OuterRef("pid"))
            publications = self.publications(scope).filter(in_publication)
            return term_in(TermKind.PROPOSAL, self.proposals(scope).values("proposal_id")) | Q(
                Exists(publications)
            )
        return NOTHING_Q  # a relation datasets do not have

    # --- techniques, files, samples, instruments ----------------------------------------------
    def vocabulary(self) -> list[tuple[str, str]]:
        if self._vocabulary is None:
            self._vocabulary = list(Technique.objects.values_list("pid", "name"))
        return self._vocabulary

    def technique_pids(self, where) -> frozenset[str] | None:
        """The pids a techniques where accepts (PaNET-deep); None when there is no where."""
        if not where:
            return None
        return panet.matching_pids(where, self.vocabulary())

    def file_q(self, scope: Scope) -> Q:
        return to_q(parse_where(scope.where, TEXT_FIELDS["file"]), FILE_FIELDS)

    def samples(self, scope: Scope):
        node = parse_where(scope.where, TEXT_FIELDS["sample"])
        return samples_visible_to(self.user).filter(to_q(node, SAMPLE_FIELDS))

    def instruments(self, scope: Scope):
        q = to_q(parse_where(scope.where, TEXT_FIELDS["instrument"]), INSTRUMENT_FIELDS)
        for relation in scope.include:
            if relation.conditional:
                if relation.key != "datasets":
                    return Instrument.objects.none()
                used = DatasetTerm.objects.filter(
                    kind=TermKind.INSTRUMENT, dataset__in=self.datasets(relation.scope)
                )
                q &= Q(pid__in=used.values("value"))
        return Instrument.objects.filter(q)

    # --- documents ------------------------------------------------------------------------------
    def proposals(self, scope: Scope):
        q = to_q(parse_where(scope.where, TEXT_FIELDS["document"]), PROPOSAL_FIELDS)
        for relation in scope.include:
            if not relation.conditional:
                continue
            if relation.key == "datasets":
                used = DatasetTerm.objects.filter(
                    kind=TermKind.PROPOSAL, dataset__in=self.datasets(relation.scope)
                )
                q &= Q(proposal_id__in=used.values("value"))
            elif relation.key == "members":
                q &= proposal_members_q(relation.scope)
            elif relation.key == "parameters" and relation.scope.where:
                found = parse_condition(relation.scope.where)
                q &= condition_q(Proposal, "metadata", found, raw_units=True)
            elif relation.key != "parameters":
                q &= NOTHING_Q
        return proposals_visible_to(self.user).filter(q)

    def publication_fields(self) -> dict:
        registered = Q(status__in=REGISTERED_STATUSES)
        return {**PUBLICATION_FIELDS, "isPublic": bool_field(registered)}

    def publications(self, scope: Scope):
        node = parse_where(scope.where, TEXT_FIELDS["document"])
        q = to_q(node, self.publication_fields())
        base = published_data_visible_to(self.user)
        for relation in scope.include:
            if not relation.conditional:
                continue
            if relation.key == "datasets":
                pids = self.datasets(relation.scope).values("pid")
                q &= Q(JsonListHasAnyOf("dataset_pids", pids))
            elif relation.key == "members":
                q &= Q(doi__in=self._publications_with_member(base, relation.scope))
            else:  # publications carry no parameters
                q &= NOTHING_Q
        return base.filter(q)

    @staticmethod
    def _publications_with_member(base, scope: Scope) -> list[str]:
        """Creators live in JSON metadata: tested in Python, streaming the (few) records."""
        found = []
        for doi, metadata in base.values_list("doi", "metadata").iterator(chunk_size=500):
            if any(member_matches(m, scope) for m in publication_members(doi, metadata)):
                found.append(doi)
        return found
