"""fullquery, fullfacet and metadataKeys (scicat-api.md §2.5-§2.7) answered by the search engine.

SciCat's fullquery/fullfacet end in the same search service as the portal and the PaNOSC API
(search.service.search): the `fields` become a SearchRequest, the user's access rules go into
the engine query, and the engine returns a page of pids (fullquery, metadataKeys) or the total
and the facet counts (fullfacet). The database then only loads the page's datasets, through
`Dataset.objects.visible_to(user)`, so a hit the user may not read never shows.

`fields` are checked by the database path first (query.py: the same 400s as before), then
translated here with the same value readers (timestamps, numbers, `make_condition`), so both
paths mean the same thing. The database path (query.py, facets.py) still answers, correctly,
what the engine cannot:

- fields the index has no exact twin for (description, sourceFolder, principalInvestigators,
  techniques, scientificMetadata.* as a field, ...), non-text values of text fields, and
  string conditions longer than the 256 characters the index compares;
- facets other than type, creationLocation, ownerGroup, keywords, license and instrumentIds
  (creationTime is grouped by day, datasetlifecycle.* and other JSON values by value);
- orders by other fields or by more than one field, and pages past the engine's window
  (skip + limit > 10 000, or limit > 1000);
- a moment when the index lags behind the database for this user: changes still waiting in
  the outbox for a dataset in the user's scope (or deleted ones), or more than 500 waiting at
  all (read-your-writes: a pyscicat script that creates and then searches finds its dataset);
- an engine failure (logged): the database answers instead of an error.

Differences from the database path, by design: `text` is the engine's word search (every word
must match, ASCII-folded, over the name, keywords, description, linked records' names, PIs and
scientific-metadata keys and string values; ranked by relevance when no order is asked for),
a scientific condition also matches a number inside a list (`q_range: [0.1, 0.5]`), sorting by
datasetName ignores case, and ties in any order are broken by pid (the database uses insertion
order). Without an order and without text the order is createdAt ascending: SciCat's natural
order.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace

from catalogue.access import Relation, principal_for
from catalogue.api.fields import dataset_field
from catalogue.api.where import FilterError
from catalogue.models import Dataset
from catalogue.services.common import parse_timestamp
from search.query import (
    FIELDS,
    MAX_FACET_LIMIT,
    MAX_LIMIT,
    MAX_WINDOW,
    FieldFilter,
    QueryError,
    RangeFilter,
    SearchRequest,
    parse_text,
)
from search.query.model import BOOL, DATE, TERM

from .facets import _sorted
from .scientific import parse_condition

logger = logging.getLogger(__name__)

MAX_PENDING = 500  # outbox rows waiting beyond which the database answers everyone
MAX_STRING = 256  # metadata strings are compared on their first 256 characters in the index
MAX_TERM = 500  # term values are indexed up to 500 characters
# fullquery's scope for signed-in users (upstream's userGroups), as catalogue.access relations:
# their groups' datasets, or everything for admins and lifecycle managers.
GROUP_SCOPE = frozenset(
    {Relation.ADMIN, Relation.LIFECYCLE_MANAGER, Relation.OWNER, Relation.ACCESS_GROUP}
)
# dataset field (FieldRef.lookup) -> the index field holding the same values
ENGINE_FIELDS = {
    "type": "type",
    "owner_group": "owner_group",
    "access_groups": "access_groups",
    "shared_with": "shared_with",
    "keywords": "keywords",
    "instrument_ids": "instrument",
    "proposal_ids": "proposal",
    "sample_ids": "sample",
    "license": "license",
    "creation_location": "creation_location",
    "pid": "pid",
    "dataset_name": "dataset_name",
    "owner": "owner",
    "run_number": "run_number",
    "data_format": "data_format",
    "datasetlifecycle__archiveStatusMessage": "datasetlifecycle.archive_status_message",
    "datasetlifecycle__retrieveStatusMessage": "datasetlifecycle.retrieve_status_message",
    "is_published": "is_published",
    "datasetlifecycle__archivable": "datasetlifecycle.archivable",
    "datasetlifecycle__retrievable": "datasetlifecycle.retrievable",
    "datasetlifecycle__publishable": "datasetlifecycle.publishable",
    "creation_time": "creation_time",
    "start_time": "start_time",
    "end_time": "end_time",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "size": "size",
    "packed_size": "packed_size",
    "number_of_files": "number_of_files",
    "number_of_files_archived": "number_of_files_archived",
    "data_quality_metrics": "data_quality_metrics",
}
# dataset field -> index facet; the first four have one value per dataset (or none: `null`)
ENGINE_FACETS = {
    "type": "type",
    "creation_location": "creation_location",
    "owner_group": "owner_group",
    "license": "license",
    "keywords": "keywords",
    "instrument_ids": "instrument",
}
SINGLE_VALUED = frozenset({"type", "creation_location", "owner_group", "license"})
ENGINE_SORTS = {
    "creation_time": "date",
    "size": "size",
    "dataset_name": "name",
    "created_at": "created",
}
SPECIAL = frozenset({"text", "mode", "scientific", "userGroups", "metadataKey"})


class NotForEngine(Exception):
    """The request needs the database path; the message says why (logged at debug)."""


# --- fields -> SearchRequest ---------------------------------------------------------------------


def engine_request(fields: dict, *, limits=None, facets=()) -> SearchRequest:
    """The SearchRequest meaning the same as the database path's `fields`, `limits` (skip,
    limit, order) and `facets` (SciCat names); NotForEngine if there is none."""
    words = phrases = excluded = ()
    filters: list = []
    scientific: list = []
    for key, value in fields.items():
        if key == "text":
            if value not in (None, ""):
                try:
                    words, phrases, excluded = parse_text(value)
                except QueryError as exc:
                    raise FilterError(exc.message) from exc
        elif key == "mode":
            for name, item in (value or {}).items():
                filters += _filters(name, item)
        elif key == "scientific":
            scientific += [_condition(raw) for raw in value or []]
        elif key not in SPECIAL:
            filters += _filters(key, value)
    request = SearchRequest(
        words=words,
        phrases=phrases,
        excluded=excluded,
        filters=tuple(filters),
        scientific=tuple(scientific),
        facets=tuple(_facet(name) for name in facets),
        facet_limit=MAX_FACET_LIMIT,
    )
    if limits is None:
        return request
    if limits.limit > MAX_LIMIT or limits.skip + limits.limit > MAX_WINDOW:
        raise NotForEngine("page beyond the engine's window")
    return _ordered(request, limits)


def _filters(key: str, value) -> list:
    if value is None or value == "" or value == []:
        return []
    name = ENGINE_FIELDS.get(dataset_field(key).lookup)
    if name is None:
        raise NotForEngine(f"{key} is not in the index")
    kind = FIELDS[name].kind
    if kind == TERM:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or item != item.strip() or not item:
                raise NotForEngine(f"{key}: the index holds trimmed, non-empty text")
            if len(item) > MAX_TERM:
                raise NotForEngine(f"{key}: the index holds the first {MAX_TERM} characters")
        return [FieldFilter(name, tuple(dict.fromkeys(values)))]
    if kind == BOOL:
        if not isinstance(value, bool):
            raise NotForEngine(f"{key}: only true or false")
        return [FieldFilter(name, (value,))]
    if isinstance(value, dict):
        ends = ("begin", "end") if kind == DATE else ("min", "max")
        low, high = (_bound(key, kind, value.get(end)) for end in ends)
    else:
        low = high = _bound(key, kind, value)
    if low is None and high is None:
        return []
    return [RangeFilter(name, low, high, "[]")]


def _bound(key: str, kind: str, value):
    if value in (None, ""):
        return None
    if kind == DATE:
        return parse_timestamp(value, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotForEngine(f"{key}: not a number")  # the database path refused it already
    return value


def _condition(raw):
    condition = parse_condition(raw)
    strings = condition.relation in ("EQUAL_TO_STRING", "CONTAINS_STRING")
    if strings and len(str(condition.value)) > MAX_STRING:
        raise NotForEngine(f"a string condition longer than {MAX_STRING} characters")
    return condition


def _facet(name: str) -> str:
    facet = ENGINE_FACETS.get(dataset_field(name).lookup)
    if facet is None:
        raise NotForEngine(f"the facet {name} is not in the index")
    return facet


def _ordered(request: SearchRequest, limits) -> SearchRequest:
    if len(limits.order) > 1:
        raise NotForEngine("more than one order")
    if limits.order:
        (name, descending), *_ = limits.order
        sort = ENGINE_SORTS.get(dataset_field(name).lookup)
        if sort is None:
            raise NotForEngine(f"the index cannot sort by {name}")
        sort = "-" + sort if descending else sort
    else:
        sort = "relevance" if request.words or request.phrases else "created"
    return replace(request, sort=sort, offset=limits.skip, limit=limits.limit)


# --- who, and is the index up to date for them ---------------------------------------------------


def scope(user, fields: dict) -> frozenset[Relation] | None:
    """The relations fullquery counts (query.scope_q's rule): the user's groups, unless they
    send isPublished: true or are anonymous; None means every relation that lets them read."""
    principal = principal_for(user)
    if fields.get("isPublished") is True or not principal.is_authenticated:
        return None
    return GROUP_SCOPE


def index_is_current_for(user, relations) -> bool:
    """No change the index has yet to apply concerns a dataset this user could find."""
    from search.indexing import pending_pids

    pending = pending_pids(limit=MAX_PENDING)
    if pending is None:
        return False
    if not pending:
        return True
    existing = Dataset.objects.filter(pid__in=pending)
    if existing.count() < len(pending):
        return False  # deleted datasets the index may still hold
    return not existing.filter(pk__in=_in_scope(user, relations)).exists()


def _in_scope(user, relations):
    from .query import scope_q

    visible = Dataset.objects.visible_to(user)
    if relations is not None:
        visible = visible.filter(scope_q(user, {}))
    return visible.values("pk")


# --- the three answers ----------------------------------------------------------------------------


def engine_search(user, fields: dict, *, limits=None, facets=()):
    """The engine's SearchResult for these fields, or None when the database must answer."""
    from search.service import search

    try:
        request = engine_request(fields, limits=limits, facets=facets)
    except NotForEngine as exc:
        logger.debug("fullquery on the database: %s", exc)
        return None
    relations = scope(user, fields)
    if not index_is_current_for(user, relations):
        logger.debug("fullquery on the database: the index has changes to apply")
        return None
    result = search(user, request, relations=relations)
    if result.error:
        logger.warning("fullquery on the database: the search engine failed")
        return None
    return result


def page_datasets(user, pids: list[str]) -> list[Dataset]:
    """The datasets of a page of pids, in that order (those the user may still read)."""
    found = {d.pid: d for d in Dataset.objects.visible_to(user).filter(pid__in=pids)}
    return [found[pid] for pid in pids if pid in found]


def engine_facets(result, facets: list[str]) -> list[dict]:
    """fullfacet's shape from an engine result (facets in SciCat names, in the asked order)."""

    out = {}
    for name in facets:
        facet = _facet(name)
        counts = Counter(dict(result.facets.get(facet, [])))
        missing = result.total - sum(counts.values())
        if facet in SINGLE_VALUED and missing > 0 and len(counts) < MAX_FACET_LIMIT:
            counts[None] = missing
        out[name] = _sorted(counts)
    out["all"] = [{"totalSets": result.total}] if result.total else []
    return [out]
