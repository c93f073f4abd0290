"""The Elasticsearch backend: for sites that outgrow one machine.

Searches and writes go to the alias ``<prefix>`` (ELASTICSEARCH_INDEX_PREFIX, default
"fedcat"), which names one index ``<prefix>-<timestamp>``. ``rebuild`` writes a new index
beside the live one (no refresh while it fills), then moves the alias in one atomic
``_aliases`` call and drops the old index: searches never see a half-built index (an alias swap,
as tantivy's CURRENT file). The first use creates ``<prefix>-initial`` with the alias; an
index of another layout asks for ``manage.py reindex`` (IndexOutOfDate).

The query (es_query.py) and the mapping (es_mapping.py) mirror the tantivy backend, so answers
are the same: BM25 with the same field boosts, facet counts from terms aggregations, metadata
conditions on any key, sorts with ties in pid order, exact totals, and the access filter
inside the query. Snippets are cut here, from the stored text, by the same rule as tantivy and
the memory twin (Elasticsearch's highlighters cut fragments differently).

Settings (read with getattr; constructor keywords, e.g. from SEARCH_BACKEND_OPTIONS, win):
ELASTICSEARCH_URL, ELASTICSEARCH_INDEX_PREFIX, ELASTICSEARCH_API_KEY, ELASTICSEARCH_USERNAME
and ELASTICSEARCH_PASSWORD (basic auth), ELASTICSEARCH_VERIFY_CERTS, ELASTICSEARCH_CA_CERTS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime

from django.conf import settings
from elastic_transport import Urllib3HttpNode
from elasticsearch import BadRequestError, Elasticsearch, NotFoundError, helpers

from search.query import SearchRequest

from .base import HIGHLIGHT_FIELDS, AccessFilter, Hit, IndexOutOfDate, SearchBackend, SearchResult
from .es_mapping import LAYOUT, index_settings, mappings, moment, to_source
from .es_query import QueryBuilder
from .memory import _best_fragment

DEFAULT_URL = "http://127.0.0.1:9200"
DEFAULT_PREFIX = "fedcat"
_COMPATIBLE = re.compile(r"application/vnd\.elasticsearch\+([\w-]+)(\s*;\s*compatible-with=\d+)?")


class PlainJsonNode(Urllib3HttpNode):
    """Sends ``application/json`` (and ``application/x-ndjson``) where the client would send
    its compatibility media types (``application/vnd.elasticsearch+json; compatible-with=8``):
    OpenSearch and osmem-server answer those with 406, Elasticsearch accepts both."""

    def perform_request(self, method, target, body=None, headers=None, **options):
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                if name in headers:
                    headers[name] = plain_media_type(headers[name])
        return super().perform_request(method, target, body, headers, **options)


def plain_media_type(value: str) -> str:
    return _COMPATIBLE.sub(r"application/\1", value)


def _setting(name: str, default=None):
    return getattr(settings, name, default)


def make_client(
    url: str,
    *,
    api_key=None,
    basic_auth=None,
    verify_certs=None,
    ca_certs=None,
    request_timeout: float = 10,
    max_retries: int = 2,
) -> Elasticsearch:
    options: dict = {
        "node_class": PlainJsonNode,
        "request_timeout": request_timeout,
        "max_retries": max_retries,
        "retry_on_timeout": True,
    }
    if api_key:
        options["api_key"] = api_key
    if basic_auth:
        options["basic_auth"] = tuple(basic_auth)
    if url.startswith("https:"):
        if verify_certs is not None:
            options["verify_certs"] = verify_certs
        if ca_certs:
            options["ca_certs"] = ca_certs
    return Elasticsearch(url, **options)


class ElasticsearchBackend(SearchBackend):
    def __init__(
        self,
        *,
        index_dir=None,
        url: str | None = None,
        index_prefix: str | None = None,
        api_key: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        verify_certs: bool | None = None,
        ca_certs: str | None = None,
        request_timeout: float = 10,
        max_retries: int = 2,
        shards: int = 1,
        replicas: int | None = None,
        chunk_size: int = 500,
        bulk_timeout: float = 120,
        **options,
    ):
        super().__init__(index_dir=index_dir, **options)
        self.url = url or _setting("ELASTICSEARCH_URL") or DEFAULT_URL
        prefix = index_prefix or _setting("ELASTICSEARCH_INDEX_PREFIX") or DEFAULT_PREFIX
        self.alias = prefix.lower()  # index names are lower case
        username, password = _setting("ELASTICSEARCH_USERNAME"), _setting("ELASTICSEARCH_PASSWORD")
        if basic_auth is None and username:
            basic_auth = (username, password or "")
        if verify_certs is None:
            verify_certs = _setting("ELASTICSEARCH_VERIFY_CERTS")
        self.client = make_client(
            self.url,
            api_key=api_key or _setting("ELASTICSEARCH_API_KEY"),
            basic_auth=basic_auth,
            verify_certs=verify_certs,
            ca_certs=ca_certs or _setting("ELASTICSEARCH_CA_CERTS"),
            request_timeout=request_timeout,
            max_retries=max_retries,
        )
        self.shards, self.replicas = shards, replicas
        self.chunk_size, self.bulk_timeout = chunk_size, bulk_timeout
        self.queries = QueryBuilder()
        self._ready = False

    # --- indices ---------------------------------------------------------------------------------
    def live_indices(self) -> list[str]:
        """The indices the alias names (one, unless someone moved it by hand)."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def _create(self, name: str, *, building: bool = False, aliased: bool = False) -> None:
        self.client.indices.create(
            index=name,
            settings=index_settings(shards=self.shards, replicas=self.replicas, building=building),
            mappings=mappings(),
            aliases={self.alias: {}} if aliased else None,
        )

    def _ensure(self) -> None:
        """Creates the first index on first use and checks the live one's layout (once)."""
        if self._ready:
            return
        if not self.live_indices():
            try:
                self._create(f"{self.alias}-initial", aliased=True)
            except BadRequestError as exc:  # another process was first
                if exc.error != "resource_already_exists_exception":
                    raise
        for name, found in self.client.indices.get_mapping(index=self.alias).items():
            layout = found["mappings"].get("_meta", {}).get("fedcat_layout")
            if layout != LAYOUT:
                raise IndexOutOfDate(
                    f"the Elasticsearch index {name} has layout {layout}, this fedcat writes "
                    f"{LAYOUT}: run `manage.py reindex`"
                )
        self._ready = True

    def _actions(self, documents: Iterable[dict], index: str) -> Iterator[dict]:
        for document in documents:
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": document["pid"],
                "_source": to_source(document),
            }

    def _bulk(self, actions: Iterable[dict], **options) -> int:
        client = self.client.options(request_timeout=self.bulk_timeout)
        done, _ = helpers.bulk(
            client, actions, chunk_size=self.chunk_size, max_retries=3, **options
        )
        return done

    # --- writes ----------------------------------------------------------------------------------
    def index_documents(self, documents: Iterable[dict]) -> int:
        self._ensure()
        return self._bulk(self._actions(documents, self.alias))

    def delete(self, pids: Iterable[str]) -> int:
        self._ensure()
        pids = list(pids)
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": pid} for pid in pids)
        self._bulk(actions, ignore_status=(404,))
        return len(pids)

    def clear(self) -> None:
        self.rebuild(())

    def refresh(self) -> None:
        self._ensure()
        self.client.indices.refresh(index=self.alias)

    def rebuild(self, documents: Iterable[dict]) -> int:
        """Fills ``<prefix>-<timestamp>``, then points the alias at it and drops the old one."""
        name = f"{self.alias}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"
        self._create(name, building=True)
        try:
            count = self._bulk(self._actions(documents, name))
            live = {"refresh_interval": "1s"}
            if self.replicas is not None:
                live["number_of_replicas"] = self.replicas
            self.client.indices.put_settings(index=name, settings=live)
            self.client.indices.refresh(index=name)
            previous = self.live_indices()
            actions = [{"remove": {"index": old, "alias": self.alias}} for old in previous]
            actions.append({"add": {"index": name, "alias": self.alias}})
            self.client.indices.update_aliases(actions=actions)  # atomic
        except BaseException:
            with suppress(Exception):  # the first error is the one to report
                self.client.options(ignore_status=404).indices.delete(index=name)
            raise
        for old in previous:
            self.client.options(ignore_status=404).indices.delete(index=old)
        self._ready = True
        return count

    # --- reads -----------------------------------------------------------------------------------
    def count(self) -> int:
        self._ensure()
        return self.client.count(index=self.alias)["count"]

    def versions(self) -> dict:
        self._ensure()
        found = {}
        body = {"query": {"match_all": {}}, "_source": ["updated_at"]}
        for hit in helpers.scan(self.client, query=body, index=self.alias, size=5000):
            updated_at = hit["_source"].get("updated_at")
            found[hit["_id"]] = None if updated_at is None else moment(updated_at)
        return found

    def search(self, request: SearchRequest, access: AccessFilter) -> SearchResult:
        self._ensure()
        body, words = self.queries.body(request, access)
        answer = self.client.search(index=self.alias, body=body)
        aggregations = answer.get("aggregations", {})
        weights = self._weights(aggregations, words)
        relevance = body["sort"][0] == {"_score": "desc"}
        hits = []
        for found in answer["hits"]["hits"]:
            score = float(found["sort"][0]) if relevance else None
            hits.append(Hit(found["_id"], score, self._highlights(found, weights)))
        facets = {}
        for name in request.facets:
            buckets = aggregations[f"facet_{name}"]["buckets"]
            facets[name] = [(b["key"], b["doc_count"]) for b in buckets]
        total = answer["hits"]["total"]["value"]
        return SearchResult(hits=hits, total=total, facets=facets)

    @staticmethod
    def _weights(aggregations: dict, words: set[str]) -> dict[str, dict[str, float]]:
        """field -> {word: 1 / (1 + documents holding it)}, the words some document holds."""
        if not words:
            return {}
        buckets = aggregations["document_frequency"]["words"]["buckets"]
        weights: dict[str, dict[str, float]] = {name: {} for name in HIGHLIGHT_FIELDS}
        for key, bucket in buckets.items():
            name, word = key.split(":", 1)
            if bucket["doc_count"]:
                weights[name][word] = 1 / (1 + bucket["doc_count"])
        return weights

    @staticmethod
    def _highlights(found: dict, weights: dict) -> dict[str, str]:
        if not weights:
            return {}
        source = found.get("_source") or {}
        highlights = {}
        for name in HIGHLIGHT_FIELDS:
            snippet = _best_fragment(source.get(f"x_{name}") or "", weights[name])
            if snippet:
                highlights[name] = snippet
        return highlights
