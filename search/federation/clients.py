"""One client per partner type, each answering a FederatedQuery with an Answer or an error.

* ``PanoscClient``: a PaNOSC Common Search API root. ``GET {url}/Datasets?filter=`` for the
  window, and ``GET {url}/Datasets/count?where=`` when the question is a plain where (a PaNOSC
  count takes no query and no include); otherwise the count is what the list showed, a lower
  bound unless the list ended inside the window.
* ``FedcatClient``: a fedcat site root. Its PaNOSC API (``{url}/panosc-api``) as above, and
  when the search has a query its JSON search API (``{url}/api/search/?q=&size=1``) for the
  exact total, in the same words; results link to the site's own pages.
* ``LocalClient``: this catalogue, in-process, with the requesting user's access: a portal
  search goes through search.service.search, a PaNOSC filter through the PaNOSC provider
  (which also ranks through search.service). Synchronous: it runs in the request's thread
  while the remote partners are asked.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from django.utils import timezone

from . import clean
from .http import PartnerError
from .partners import FEDCAT, LOCAL, PartnerConfig
from .query import DATASETS, FederatedQuery

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
HANDLE = re.compile(r"^\d+(\.\d+)*/\S+$")


@dataclass
class Answer:
    items: list[dict]
    count: int | None  # None: unknown
    exact: bool  # False: count is a lower bound
    window: int = 0  # the items asked for; fewer came back: the partner has no more


def link_for(pid: str, doi: str | None = None) -> str | None:
    """A resolver link for a persistent identifier, when the pid or doi is one."""
    for value in (doi, pid):
        if value and DOI.match(value):
            return "https://doi.org/" + quote(value, safe="/")
        if value and value.lower().startswith(("https://doi.org/", "https://hdl.handle.net/")):
            return value
    if pid and HANDLE.match(pid) and not pid.startswith("10."):
        return "https://hdl.handle.net/" + quote(pid, safe="/")
    return None


class PanoscClient:
    def __init__(self, partner: PartnerConfig, http, *, max_bytes: int):
        self.partner = partner
        self.http = http
        self.max_bytes = max_bytes

    @property
    def api(self) -> str:
        return self.partner.url.rstrip("/")

    def _get(self, path: str, params: dict):
        return self.http.get_json(
            f"{self.api}/{path}", params, timeout=self.partner.timeout, max_bytes=self.max_bytes
        )

    async def search(self, query: FederatedQuery, window: int) -> Answer:
        listing = self._get(query.entity, {"filter": json.dumps(query.partner_filter(window))})
        counting = self._exact_count(query)
        if counting is None:
            raw, total = await listing, None
        else:
            raw, total = await asyncio.gather(listing, counting, return_exceptions=True)
            if isinstance(raw, BaseException):
                raise raw
            if isinstance(total, BaseException):
                total = None
        items = clean.records(raw, window)
        for item in items:
            item["url"] = self.url_for(item, query.entity)
        if total is None:
            total, exact = len(items), len(raw) < window
        else:
            exact = True
        return Answer(items, total, exact, window)

    def _exact_count(self, query: FederatedQuery):
        return self.count(query) if query.countable else None

    async def count(self, query: FederatedQuery) -> int:
        where = query.filter.get("where")
        params = {"where": json.dumps(where)} if where else {}
        return clean.count(await self._get(f"{query.entity}/count", params))

    def url_for(self, item: dict, entity: str) -> str | None:
        return link_for(item["pid"], item.get("doi"))


class FedcatClient(PanoscClient):
    @property
    def site(self) -> str:
        return self.partner.url.rstrip("/")

    @property
    def api(self) -> str:
        return self.site + "/panosc-api"

    def _exact_count(self, query: FederatedQuery):
        if query.countable:
            return self.count(query)
        if query.entity == DATASETS and query.search is not None:
            return self._search_total(query)
        return None

    async def _search_total(self, query: FederatedQuery) -> int:
        q = query.search.to_query_string()
        raw = await self.http.get_json(
            f"{self.site}/api/search/",
            {"q": q, "size": 1},
            timeout=self.partner.timeout,
            max_bytes=self.max_bytes,
        )
        return clean.count({"count": raw.get("total")} if isinstance(raw, dict) else None)

    def url_for(self, item: dict, entity: str) -> str | None:
        pid = quote(item["pid"], safe="/")
        if entity == DATASETS:
            return f"{self.site}/datasets/{pid}"
        if item.get("type") == "proposal":
            return f"{self.site}/proposals/{pid}"
        return super().url_for(item, entity)


def client_for(partner: PartnerConfig, http, *, max_bytes: int):
    if partner.kind == LOCAL:
        return LocalClient(partner)
    kind = FedcatClient if partner.kind == FEDCAT else PanoscClient
    return kind(partner, http, max_bytes=max_bytes)


class LocalClient:
    """This catalogue, asked in-process as ``user``."""

    def __init__(self, partner: PartnerConfig):
        self.partner = partner

    def search(self, user, query: FederatedQuery, window: int) -> Answer:
        from search.panosc.errors import PanoscError

        try:
            if query.portal:
                return self._portal(user, query, window)
            return self._panosc(user, query, window)
        except PanoscError as exc:
            raise PartnerError(exc.message, counts=False) from None

    def count(self, user, query: FederatedQuery) -> int:
        from search.panosc import datasets, documents
        from search.panosc.graph import Graph

        module = datasets if query.entity == DATASETS else documents
        return module.count(Graph(user), query.filter.get("where"))

    def _portal(self, user, query: FederatedQuery, window: int) -> Answer:
        from catalogue.models import Dataset
        from search.panosc import serializers
        from search.panosc.text import NEUTRAL, normalised
        from search.service import search

        result = search(user, replace(query.search, offset=0, limit=window, facets=()))
        if result.error:
            raise PartnerError(result.error)
        pids = [hit.pid for hit in result.hits]
        columns = ("pid", "dataset_name", "is_published", "embargo_end", "creation_time", "size")
        found = {
            d.pid: d for d in Dataset.objects.visible_to(user).filter(pid__in=pids).only(*columns)
        }
        ranked = bool(query.search.words or query.search.phrases)
        best = result.hits[0].score if result.hits else None
        now = timezone.now()
        items = []
        for hit in result.hits:
            record = found.get(hit.pid)
            if record is None:  # the index is a moment behind the database
                continue
            score = normalised(hit.score, best) if ranked else NEUTRAL
            items.append(
                serializers.dataset(record, now) | {"score": score, "url": _page(record.pid)}
            )
        return Answer(items, result.total, True, window)

    def _panosc(self, user, query: FederatedQuery, window: int) -> Answer:
        from search.panosc import datasets, documents
        from search.panosc.filters import parse_scope
        from search.panosc.graph import Graph
        from search.service import search

        graph = Graph(user)
        module = datasets if query.entity == DATASETS else documents
        items = module.find(graph, parse_scope(query.partner_filter(window)))
        for item in items:
            item["url"] = _page(item["pid"]) if query.entity == DATASETS else _document(item)
        if query.countable:
            return Answer(items, module.count(graph, query.filter.get("where")), True, window)
        if query.entity == DATASETS and query.search is not None:
            result = search(user, replace(query.search, offset=0, limit=1, facets=()))
            if not result.error:
                return Answer(items, result.total, True, window)
        return Answer(items, len(items), len(items) < window, window)


def _page(pid: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("portal:dataset", kwargs={"pid": pid})
    except NoReverseMatch:
        return None


def _document(item: dict) -> str | None:
    from django.urls import NoReverseMatch, reverse

    if item.get("type") == "proposal":
        try:
            return reverse("portal:proposal", kwargs={"proposal_id": item["pid"]})
        except NoReverseMatch:
            return None
    return link_for(item["pid"], item.get("doi"))
