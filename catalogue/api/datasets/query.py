"""The `fields` of fullquery, fullfacet and metadataKeys (scicat-api.md §2.5-§2.7) -> a queryset.

The database answers for now, through the ORM; a search backend will take this over. Keys:

- `text`: every word and "phrase" must appear as a whole word, ignoring case, in the pid, name,
  description, owner, creationLocation, sourceFolder, dataFormat, comment, runNumber, or among
  the keywords, proposal, sample, instrument or technique ids; `-word` excludes. (Upstream's
  Mongo `$text` ORs the words and stems them; here all words must match, unstemmed.)
- `mode`: plain `field: value` pairs only; a Mongo operator or an object value is a 400.
- `scientific`: conditions, see scientific.py.
- any dataset field: a value (equality), a list (any of them), `{begin, end}` on dates and
  `{min, max}` on numbers (inclusive, either end may be left out), booleans. Empty values are
  ignored, as the SciCat frontend sends them.
- `userGroups` is ignored (the server decides), `metadataKey` belongs to metadataKeys.

Visibility: everything starts from `Dataset.objects.visible_to(user)`. On top of it, as upstream
(§3.3), signed-in users who are neither admins nor lifecycle managers see only datasets of their
own groups (ownerGroup or accessGroups), unless they send `isPublished: true`; then every
visible published dataset. sharedWith datasets therefore appear in GET /Datasets, not here.
"""

from __future__ import annotations

import re

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalogue.access import Relation, principal_for
from catalogue.api.fields import dataset_field
from catalogue.api.filters import parse_json_param
from catalogue.api.where import FilterError, where_to_q
from catalogue.models import Dataset, DatasetTerm, TermKind
from search.query import QueryError, parse_text

from .scientific import scientific_q

SPECIAL = frozenset({"text", "mode", "scientific", "userGroups", "metadataKey"})
TEXT_COLUMNS = (
    "pid",
    "dataset_name",
    "description",
    "owner",
    "creation_location",
    "source_folder",
    "data_format",
    "comment",
    "run_number",
)
TEXT_TERMS = (
    TermKind.KEYWORD,
    TermKind.PROPOSAL,
    TermKind.SAMPLE,
    TermKind.INSTRUMENT,
    TermKind.TECHNIQUE,
)
RANGE_ENDS = {"date": ("begin", "end"), "number": ("min", "max")}
SEES_EVERYTHING = frozenset({Relation.ADMIN, Relation.LIFECYCLE_MANAGER})


def parse_fields(raw) -> dict:
    fields = parse_json_param(raw, "fields")
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise FilterError("fields must be a JSON object")
    return fields


def search_queryset(user, fields: dict) -> QuerySet:
    """The datasets matching `fields` among those `user` may read, in upstream's scope."""
    return Dataset.objects.visible_to(user).filter(scope_q(user, fields) & fields_q(fields))


def scope_q(user, fields: dict) -> Q:
    """Upstream's narrower fullquery scope; a filter on top of visible_to, never wider."""
    principal = principal_for(user)
    if fields.get("isPublished") is True or not principal.is_authenticated:
        return Q()
    if principal.global_relations() & SEES_EVERYTHING:
        return Q()
    groups = sorted(principal.groups)
    where = {"or": [{"ownerGroup": {"inq": groups}}, {"accessGroups": {"inq": groups}}]}
    return where_to_q(where, dataset_field)


def fields_q(fields: dict) -> Q:
    q = Q()
    for key, value in fields.items():
        if key == "text":
            q &= text_q(value)
        elif key == "mode":
            q &= mode_q(value)
        elif key == "scientific":
            q &= scientific_q(value)
        elif key not in SPECIAL:
            q &= field_q(key, value)
    return q


def field_q(key: str, value, *, ranges: bool = True) -> Q:
    if value is None or value == "" or value == []:
        return Q()
    ref = dataset_field(key)
    if isinstance(value, list):
        return where_to_q({key: {"inq": value}}, dataset_field)
    if not isinstance(value, dict):
        return where_to_q({key: value}, dataset_field)
    ends = RANGE_ENDS.get(ref.kind) if ranges else None
    if ends is None:
        raise FilterError(f"{key} takes a value or a list of values")
    if not set(value) <= set(ends):
        raise FilterError(f"{key} takes {{{ends[0]}, {ends[1]}}}")
    condition = {
        op: value[end]
        for end, op in zip(ends, ("gte", "lte"), strict=True)
        if value.get(end) not in (None, "")
    }
    return where_to_q({key: condition}, dataset_field) if condition else Q()


def mode_q(mode) -> Q:
    if mode is None:
        return Q()
    if not isinstance(mode, dict):
        raise FilterError("mode must be an object")
    q = Q()
    for key, value in mode.items():
        if key.startswith("$") or isinstance(value, dict):
            raise FilterError(
                "mode accepts only field: value pairs; Mongo operators are not supported"
            )
        q &= field_q(key, value, ranges=False)
    return q


def text_q(text) -> Q:
    if text in (None, ""):
        return Q()
    try:
        words, phrases, excluded = parse_text(text)
    except QueryError as exc:
        raise FilterError(exc.message) from exc
    q = Q()
    for term in (*words, *phrases):
        q &= _matches(term)
    for term in excluded:
        q &= ~_matches(term)
    return q


def _matches(term: str) -> Q:
    """`term` as whole words (any spacing), ignoring case, in a text column or an id."""
    words = term.split()
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"
    q = Q()
    for column in TEXT_COLUMNS:
        q |= Q(**{f"{column}__iregex": pattern})
    terms = DatasetTerm.objects.filter(
        dataset=OuterRef("pk"), kind__in=TEXT_TERMS, value__iregex=pattern
    )
    return q | Q(Exists(terms))
