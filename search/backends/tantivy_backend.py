"""The tantivy backend (the default): an embedded index in SEARCH_INDEX_DIR, no server.

Layout: ``SEARCH_INDEX_DIR/CURRENT`` names the live generation, a tantivy index in
``SEARCH_INDEX_DIR/gen-<id>/``. ``rebuild`` writes a new generation beside the live one and
replaces CURRENT atomically (like an Elasticsearch alias swap): searches never see a half-built
index, and every process notices the new generation on its next search (one stat() call).

One writer at a time (tantivy locks the directory): the Celery worker applying the outbox, or a
management command. Readers reload on each commit by themselves; ``refresh()`` forces it.

Schema (field prefixes): ``x_`` weighted free text (tokenizer "fedcat"), ``p_`` each text
field's adjacent word pairs (tantivy_text.py), ``t_`` exact terms, ``b_`` flags, ``d_`` dates,
``n_`` numbers (f64), ``f_`` facet columns, ``a_keys`` what a document grants access by (a
signed-in user's memberships are one term set on it: tantivy_query.py), ``a_public_from`` when
it is public from (every user's "public at T", a range on this fast column, and the facet
cache's "did an embargo end since"),
``m_num``/``m_str`` scientific metadata as ``<path>\\x00<value>`` terms (numbers as
order-preserving hex, compared with regex intervals: see encoding.py; ``m_coarse`` holds the
first digits of each number's key, so a wide interval reads a few hundred coarse terms instead
of one term per distinct number), ``s_name``/``s_size`` sort keys.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import tantivy
from django.conf import settings
from tantivy import Query, SnippetGenerator

from search.documents import SCHEMA_VERSION
from search.query import FACETS, FIELDS, SearchRequest
from search.query.model import BOOL, DATE, TERM

from .base import (
    HIGHLIGHT_FIELDS,
    SNIPPET_CHARS,
    SORT_NAME_CHARS,
    TEXT_BOOSTS,
    AccessFilter,
    Hit,
    IndexOutOfDate,
    SearchBackend,
    SearchResult,
    effective_sort,
    render_snippet,
)
from .encoding import COARSE, SEPARATOR, number_key
from .tantivy_facets import CACHE_ENTRIES, FacetCache
from .tantivy_order import PID_KEYS, PageOrder, pid_keys
from .tantivy_query import PUBLISHED, QueryBuilder, access_keys, slug
from .tantivy_text import analyzer, pairs

LAYOUT = f"fedcat-{SCHEMA_VERSION}.4"  # document shape . tantivy schema
CURRENT = "CURRENT"


def build_schema():
    schema = tantivy.SchemaBuilder()
    # fast: ties in every sort are broken by pid (tantivy_order.py)
    schema.add_text_field("pid", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    for name in TEXT_BOOSTS:
        schema.add_text_field(f"x_{name}", stored=name in HIGHLIGHT_FIELDS, tokenizer_name="fedcat")
        # its adjacent word pairs: a two-word phrase is one term (tantivy_text.py)
        schema.add_text_field(f"p_{name}", tokenizer_name="raw", index_option="freq")
    for name, field in FIELDS.items():
        if field.kind == TERM:
            schema.add_text_field(f"t_{slug(name)}", tokenizer_name="raw", index_option="basic")
        elif field.kind == BOOL:
            schema.add_boolean_field(f"b_{slug(name)}", indexed=True)
        elif field.kind == DATE:
            stored = name == "updated_at"
            schema.add_date_field(f"d_{slug(name)}", stored=stored, indexed=True, fast=True)
        else:
            schema.add_float_field(f"n_{slug(name)}", indexed=True, fast=True)
    for name in FACETS:
        schema.add_text_field(f"f_{name}", fast=True, tokenizer_name="raw", index_option="basic")
    schema.add_text_field("a_keys", tokenizer_name="raw", index_option="basic")
    # When the dataset is public from: PUBLISHED for published ones, else the embargo's end.
    schema.add_date_field("a_public_from", indexed=True, fast=True)
    schema.add_text_field("m_num", tokenizer_name="raw", index_option="basic")
    schema.add_text_field("m_coarse", tokenizer_name="raw", index_option="basic")
    schema.add_text_field("m_str", tokenizer_name="raw", index_option="basic")
    schema.add_text_field("s_name", fast=True, tokenizer_name="raw", index_option="basic")
    schema.add_float_field("s_size", fast=True)  # sort:size, a missing size counting as 0
    for name in PID_KEYS:  # the pid's first 24 bytes: ties in pid order (tantivy_order.py)
        schema.add_unsigned_field(name, fast=True)
    return schema.build()


def to_tantivy(document: dict) -> dict:
    """A search document (search.documents) as tantivy field values."""
    size = document["numbers"].get("size")
    out = {
        "pid": [document["pid"]],
        "s_name": [document["sort_name"][:SORT_NAME_CHARS]],
        "s_size": [size or 0.0],
    }
    out.update({name: [key] for name, key in zip(PID_KEYS, pid_keys(document["pid"]), strict=True)})
    for name, text in document["text"].items():
        if text:
            out[f"x_{name}"] = [text]
            out[f"p_{name}"] = pairs(text)
    out.update({f"t_{slug(n)}": values for n, values in document["terms"].items() if values})
    out.update({f"b_{slug(n)}": [v] for n, v in document["flags"].items() if v is not None})
    out.update({f"d_{slug(n)}": [v] for n, v in document["dates"].items() if v is not None})
    out.update({f"n_{slug(n)}": [v] for n, v in document["numbers"].items() if v is not None})
    out.update({f"f_{n}": values for n, values in document["facets"].items() if values})
    access = document["access"]
    out["a_keys"] = access_keys(access)
    if access["is_published"]:
        out["a_public_from"] = [PUBLISHED]
    elif access["embargo_end"] is not None:
        out["a_public_from"] = [access["embargo_end"]]
    numbers, coarse = [], {}
    for path, values in document["metadata_numbers"].items():
        prefix = path + SEPARATOR
        for value in values:
            key = number_key(value)
            numbers.append(prefix + key)
            coarse[prefix + key[:COARSE]] = None  # tantivy_query.py ranges on both
    strings = [
        path + SEPARATOR + v
        for path, values in document["metadata_strings"].items()
        for v in values
    ]
    if numbers:
        out["m_num"] = numbers
        out["m_coarse"] = list(coarse)
    if strings:
        out["m_str"] = strings
    return out


class TantivyBackend(SearchBackend):
    def __init__(
        self,
        *,
        index_dir=None,
        heap_size: int = 64_000_000,
        lock_timeout: float = 60,
        facet_cache: int | None = None,
        **options,
    ):
        super().__init__(index_dir=index_dir, **options)
        self.lock_timeout = lock_timeout
        if index_dir is None:
            raise ValueError("the tantivy backend needs an index directory (SEARCH_INDEX_DIR)")
        self.root = Path(index_dir)
        self.heap_size = heap_size
        self.schema = build_schema()
        self.analyzer = analyzer()
        self.queries = QueryBuilder(self.schema, self.analyzer)
        self._lock = threading.Lock()
        self._index = None
        self._opened = None
        self._path, self._meta = None, None
        if facet_cache is None:
            facet_cache = getattr(settings, "SEARCH_FACET_CACHE", CACHE_ENTRIES)
        self.facet_cache = FacetCache(self.schema, entries=facet_cache)

    # --- generations -----------------------------------------------------------------------------
    def _create(self, path: Path):
        path.mkdir(parents=True)
        (path / "fedcat-layout").write_text(LAYOUT)
        return self._prepare(tantivy.Index(self.schema, path=str(path), reuse=False))

    def _prepare(self, index):
        index.register_tokenizer("fedcat", self.analyzer)
        index.config_reader(reload_policy="commit")
        return index

    def _publish(self, name: str) -> None:
        temporary = self.root / f".{CURRENT}-{uuid.uuid4().hex}"
        temporary.write_text(name)
        os.replace(temporary, self.root / CURRENT)

    def _current(self) -> tuple[str, tuple]:
        pointer = self.root / CURRENT
        if not pointer.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            name = f"gen-{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
            self._create(self.root / name)
            temporary = self.root / f".{CURRENT}-{uuid.uuid4().hex}"
            temporary.write_text(name)
            try:
                os.link(temporary, pointer)  # atomic, and fails if another process was first
            except FileExistsError:
                shutil.rmtree(self.root / name, ignore_errors=True)
            finally:
                temporary.unlink()
        stat = pointer.stat()
        return pointer.read_text().strip(), (stat.st_ino, stat.st_mtime_ns)

    def _live(self):
        """The live generation's index, reopened when CURRENT changed."""
        stat = None
        with suppress(FileNotFoundError):
            stat = (self.root / CURRENT).stat()
        marker = (stat.st_ino, stat.st_mtime_ns) if stat else None
        with self._lock:
            if self._index is None or marker != self._opened:
                name, marker = self._current()
                path = self.root / name
                layout = (path / "fedcat-layout").read_text().strip()
                if layout != LAYOUT:
                    raise IndexOutOfDate(
                        f"the search index in {path} has layout {layout}, this fedcat writes "
                        f"{LAYOUT}: run `manage.py reindex`"
                    )
                self._index = self._prepare(tantivy.Index.open(str(path)))
                self._opened = marker
                self._path, self._meta = path, None
            return self._index

    def _searcher(self):
        """(a searcher on the latest commit, the index version it sees). A commit rewrites
        meta.json: when it changed the reader is reloaded at once (readers also reload by
        themselves, a moment later), so the version names what the searcher sees."""
        index = self._live()
        with self._lock:
            path = self._path
            try:
                stat = (path / "meta.json").stat()
                meta = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except FileNotFoundError:
                meta = None
            if meta != self._meta:
                index.reload()
                self._meta = meta
        return index.searcher(), (path.name, meta)

    @contextmanager
    def _writer(self, index=None, heap_size: int | None = None, threads: int = 1):
        """A writer on `index` (default: the live one), committed when the block succeeds."""
        live = index is None
        index = self._live() if live else index
        writer = self._acquire(index, heap_size or self.heap_size, threads)
        try:
            yield writer
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        if live:
            index.reload()

    def _acquire(self, index, heap_size: int, threads: int):
        """A writer, waiting up to lock_timeout seconds while another one (in this process or
        another) holds the index: writers queue up instead of failing."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                return index.writer(heap_size=heap_size, num_threads=threads)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # --- writes ----------------------------------------------------------------------------------
    def _document(self, document: dict):
        return tantivy.Document.from_dict(to_tantivy(document), self.schema)

    def index_documents(self, documents: Iterable[dict]) -> int:
        count = 0
        with self._writer() as writer:
            for document in documents:
                writer.delete_documents_by_term("pid", document["pid"])
                writer.add_document(self._document(document))
                count += 1
        return count

    def delete(self, pids: Iterable[str]) -> int:
        pids = list(pids)
        with self._writer() as writer:
            for pid in pids:
                writer.delete_documents_by_term("pid", pid)
        return len(pids)

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()

    def refresh(self) -> None:
        self._live().reload()

    @staticmethod
    def prepare(document: dict) -> str:
        """The document as tantivy JSON: the rebuild's worker processes make it, and tantivy
        parses it in Rust, so this process does little more than pass it on."""
        return json.dumps(to_tantivy(document), default=_json_value, ensure_ascii=False)

    def rebuild(self, documents: Iterable[dict]) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        pointer = self.root / CURRENT
        previous = pointer.read_text().strip() if pointer.exists() else None
        name = f"gen-{time.time_ns():x}-{uuid.uuid4().hex[:8]}"
        count = 0
        try:
            index = self._create(self.root / name)
            with self._writer(index, heap_size=max(self.heap_size, 256_000_000), threads=0) as w:
                for document in documents:
                    if isinstance(document, str):  # prepare()d
                        w.add_json(document)
                    else:
                        w.add_document(self._document(document))
                    count += 1
        except BaseException:
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
        self._publish(name)
        for old in self.root.glob("gen-*"):  # keep the previous one for readers still on it
            if old.name not in (name, previous):
                shutil.rmtree(old, ignore_errors=True)
        self.refresh()
        return count

    # --- reads -----------------------------------------------------------------------------------
    def count(self) -> int:
        return self._live().searcher().num_docs

    def versions(self) -> dict:
        searcher = self._live().searcher()
        found = {}
        if searcher.num_docs:
            everything = searcher.search(Query.all_query(), searcher.num_docs, count=False)
            for _, address in everything.hits:
                document = searcher.doc(address)
                found[document["pid"][0]] = document.get_first("d_updated_at")
        return found

    def search(self, request: SearchRequest, access: AccessFilter) -> SearchResult:
        searcher, version = self._searcher()
        query, text_query = self.queries.build(request, access, searcher)
        sort = effective_sort(request)
        counted = self.facet_cache.start(version, searcher, query, request, access)
        documents: dict = {}

        def document_at(address):
            key = (address.segment_ord, address.doc)
            if key not in documents:
                documents[key] = searcher.doc(address)
            return documents[key]

        order = PageOrder(searcher, self.schema, query, sort, lambda a: document_at(a)["pid"][0])
        page, total = order.page(request.offset, request.limit, count=counted is None)
        generators = []
        if text_query is not None:
            for name in HIGHLIGHT_FIELDS:
                generator = SnippetGenerator.create(searcher, text_query, self.schema, f"x_{name}")
                generator.set_max_num_chars(SNIPPET_CHARS)
                generators.append((name, generator))
        hits = []
        for score, address in page:
            document = document_at(address)
            highlights = {}
            for name, generator in generators:
                snippet = generator.snippet_from_doc(document)
                spans = [(r.start, r.end) for r in snippet.highlighted()]
                if spans:
                    highlights[name] = _html(snippet.fragment(), spans)
            relevance = float(score) if sort == "relevance" else None
            hits.append(Hit(document["pid"][0], relevance, highlights))
        facets = {}
        if counted is not None:
            total, facets = counted()
        return SearchResult(hits=hits, total=total, facets=facets)


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()  # RFC 3339: dates are UTC
    raise TypeError(f"not JSON: {value!r}")


def _html(fragment: str, byte_spans: list[tuple[int, int]]) -> str:
    """tantivy gives byte offsets; for ASCII text they are character offsets already."""
    if fragment.isascii():
        return render_snippet(fragment, byte_spans)
    data = fragment.encode()
    spans = [(len(data[:s].decode()), len(data[:e].decode())) for s, e in byte_spans]
    return render_snippet(fragment, spans)
