"""The conformance suite every search backend must pass (tests/search/test_conformance.py
runs it for each backend; a new backend adds one entry to BACKENDS there).

Fixtures the suite needs: ``corpus`` (tests/search/corpus.py), ``backend`` (the backend under
test, loaded with the corpus, shared by the module), ``empty_backend`` (a fresh, empty one per
test) and ``twin`` (the memory backend loaded with the corpus: the reference).
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta

import pytest

from search.access import access_filter
from search.documents import dataset_document
from search.query import FACETS, parse_query_string

from .corpus import PERSONAS, expected_facets, related

SORT_KEYS = {
    "date": lambda d: d.creation_time,
    "size": lambda d: d.size,
    "name": lambda d: d.dataset_name.lower(),
    "created": lambda d: d.created_at,  # the same for every corpus dataset: all ties
}


def ask(backend, corpus, q="", persona="admin", *, page=None, size=1000, facets=(), now=None):
    request = parse_query_string(q, page=page, size=size, facets=facets)
    return backend.search(request, access_filter(PERSONAS[persona], now=now or corpus.now))


def pids(result) -> list[str]:
    return [hit.pid for hit in result.hits]


def metadata(dataset, *path):
    value = dataset.scientific_metadata
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def si(dataset, key, unit_si):
    quantity = metadata(dataset, key)
    if isinstance(quantity, dict) and quantity.get("unitSI") == unit_si:
        return quantity["valueSI"]
    return None


# Filters, each with the predicate saying which datasets it must find (admin sees all 30).
FILTERS = {
    "keyword:xray": lambda d: "xray" in d.keywords,
    "-keyword:xray": lambda d: "xray" not in d.keywords,
    "title~COBALT": lambda d: "cobalt" in d.dataset_name.lower(),
    'technique:"powder diffraction"': lambda d: any(t["pid"] == "PaNET01102" for t in d.techniques),
    "technique:PaNET01188": lambda d: any(t["pid"] == "PaNET01188" for t in d.techniques),
    "instrument:i-d20": lambda d: d.instrument_ids == ["i-d20"],
    "facility:PSI": lambda d: bool(set(d.instrument_ids) & {"i-tomcat", "i-bl9"}),
    "sharedWith:SAM@example.org": lambda d: any(
        e.strip().lower() == "sam@example.org" for e in d.shared_with
    ),
    "accessGroups:p-readers": lambda d: "p-readers" in [g.strip() for g in d.access_groups],
    "isPublished:true": lambda d: d.is_published,
    "creationTime:[2020-01-01 TO 2020-12-31]": lambda d: d.creation_time.year == 2020,
    "year:2021": lambda d: d.creation_time.year == 2021,
    "size>20000": lambda d: d.size > 20000,
    "size:[5 kB TO 10 kB]": lambda d: 5000 <= d.size <= 10000,
    "datasetlifecycle.archivable:true": lambda d: d.datasetlifecycle["archivable"],
    "numberOfFiles:3": lambda d: d.number_of_files == 3,
    "type:raw,derived -type:derived": lambda d: d.type == "raw",
    "license:CC0-1.0 creationLocation:/ILL/D20": lambda d: (
        d.license == "CC0-1.0" and d.creation_location == "/ILL/D20"
    ),
    "-scan": lambda d: "scan" not in d.dataset_name,
    "beam time": lambda d: "beam time" in d.description or "time of the beam" in d.description,
    '"beam time"': lambda d: "beam time" in d.description,
    'beam -"beam time"': lambda d: "time of the beam" in d.description,
    "wavelength<1 Å": lambda d: (si(d, "wavelength", "m") or 1) < 1e-10,
    "wavelength>=0.1nm": lambda d: (si(d, "wavelength", "m") or 0) >= 1e-10,
    "wavelength>1 Å": lambda d: (si(d, "wavelength", "m") or 0) > 1e-10,
    "temperature:[253 K TO 280 K]": lambda d: 253 <= (si(d, "temperature", "K") or 0) <= 280,
    "temperature:{253 TO 280 K}": lambda d: 253 < (si(d, "temperature", "K") or 0) < 280,
    "temperature>=20degC": lambda d: (si(d, "temperature", "K") or 0) >= 293.15,
    "run:12": lambda d: metadata(d, "run") == 12,
    "run>25": lambda d: metadata(d, "run") > 25,
    "state:solid": lambda d: metadata(d, "state") == "solid",
    "-state:solid": lambda d: metadata(d, "state") != "solid",
    "formula~cu": lambda d: "cu" in (metadata(d, "formula") or "").lower(),
    "(state:solid OR formula~cu)": lambda d: (
        metadata(d, "state") == "solid" or "cu" in (metadata(d, "formula") or "").lower()
    ),
    "sample.mass>20 mg": lambda d: (metadata(d, "sample", "mass", "value") or 0) > 20,
    'sample.holder:"holder 1"': lambda d: metadata(d, "sample", "holder") == "holder 1",
    "wavelength<1 Å type:raw neutron": lambda d: (
        (si(d, "wavelength", "m") or 1) < 1e-10 and d.type == "raw" and "neutron" in d.keywords
    ),
}
TWIN_QUERIES = [*FILTERS, "zirconia", "beam", "scan sort:name", "neutron sort:-size", ""]
TWIN_QUERIES += ['"the beam"', "beam-time", '"time of the beam"', 'scan -"beam time"']
TIED = [f"t/{n}" for n in range(1, 7)]


NAME, KEYWORD = {"dataset_name": "tie"}, {"keywords": "tie"}
LONG_NAME = {"dataset_name": "tie in a much longer name"}


def _variant(corpus, pid: str, *, size: float, text: dict, day: int = 2, name: str = "same"):
    """A copy of the first corpus document with its own pid, size, date, name and text (the
    word "tie" alone in the name, in a longer name, or in the name and keywords: an order
    every BM25 agrees on)."""
    document = copy.deepcopy(corpus.documents[0])
    document["pid"] = pid
    document["text"] = {field: text.get(field, "") for field in document["text"]}
    document["numbers"]["size"] = size
    document["dates"]["creation_time"] = datetime(2024, 5, day, tzinfo=UTC)
    document["sort_name"] = name
    return document


class BackendConformance:
    @pytest.mark.parametrize("persona", PERSONAS)
    def test_each_persona_finds_exactly_the_datasets_it_may_read(self, backend, corpus, persona):
        result = ask(backend, corpus, persona=persona)

        assert set(pids(result)) == corpus.pids(corpus.visible(persona))
        assert result.total == len(corpus.visible(persona))

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_facet_counts_count_only_visible_datasets(self, backend, corpus, persona):
        result = ask(backend, corpus, persona=persona, facets=FACETS)

        assert result.facets == expected_facets(corpus.visible(persona), FACETS)

    @pytest.mark.parametrize("persona", ["anonymous", "member", "owner"])
    def test_facet_counts_describe_the_filtered_set(self, backend, corpus, persona):
        result = ask(backend, corpus, "type:raw", persona=persona, facets=FACETS)

        raw = [d for d in corpus.visible(persona) if d.type == "raw"]
        assert result.facets == expected_facets(raw, FACETS)
        assert result.total == len(raw)

    def test_the_corpus_covers_every_kind_of_access(self, backend, corpus):
        seen = {p: set(pids(ask(backend, corpus, persona=p))) for p in PERSONAS}

        assert "c/19" in seen["anonymous"] and "c/15" not in seen["anonymous"]  # embargo ended
        assert "c/29" in seen["anonymous"]  # published beats a running embargo
        assert {"c/11", "c/12"} <= seen["shared"] and "c/11" not in seen["outsider"]
        assert {"c/07", "c/28"} <= seen["member"] and "c/01" not in seen["member"]
        assert {"c/01", "c/03"} <= seen["owner"] and "c/30" not in seen["owner"]
        assert len(seen["admin"]) == 30

    def test_embargo_ends_by_itself_at_query_time(self, backend, corpus):
        before = ask(backend, corpus, persona="outsider")
        after = ask(backend, corpus, persona="outsider", now=corpus.now + timedelta(days=401))

        assert "c/15" not in pids(before)
        assert "c/15" in pids(after)

    def test_name_beats_keywords_beats_description_beats_metadata(self, backend, corpus):
        result = ask(backend, corpus, "zirconia", persona="anonymous")

        assert pids(result) == ["c/23", "c/24", "c/25", "c/26"]
        scores = [hit.score for hit in result.hits]
        assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4

    def test_highlights_mark_the_matched_words_in_each_field(self, backend, corpus):
        hits = {hit.pid: hit.highlights for hit in ask(backend, corpus, "zirconia").hits}

        assert hits["c/23"] == {"dataset_name": "<mark>Zirconia</mark> sample 23"}
        assert hits["c/24"] == {"keywords": "<mark>zirconia</mark>"}
        assert "of <mark>zirconia</mark> grains" in hits["c/25"]["description"]
        assert "<mark>zirconia</mark> grains" in hits["c/26"]["metadata"]

    @pytest.mark.parametrize("query", FILTERS)
    def test_filters_and_conditions_find_what_they_say(self, backend, corpus, query):
        result = ask(backend, corpus, query)

        expected = corpus.pids(d for d in corpus.datasets if FILTERS[query](d))
        assert set(pids(result)) == expected
        assert result.total == len(expected)

    def test_unit_conversion_finds_values_stored_in_nm_angstrom_and_metres(self, backend, corpus):
        found = set(pids(ask(backend, corpus, "wavelength<1 Å")))

        units = {metadata(corpus.by_pid(p), "wavelength", "unit") for p in found}
        assert units == {"nm", "Å", "m"}

    @pytest.mark.parametrize(
        "sort", ["date", "-date", "size", "-size", "name", "-name", "created", "-created"]
    )
    def test_sorts_order_every_hit(self, backend, corpus, sort):
        result = ask(backend, corpus, f"sort:{sort}")

        key = SORT_KEYS[sort.lstrip("-")]
        ordered = sorted(corpus.datasets, key=key, reverse=sort.startswith("-"))
        assert pids(result) == [d.pid for d in ordered]
        assert all(hit.score is None for hit in result.hits)

    def test_pages_are_true_pages_with_exact_totals(self, backend, corpus):
        pages = [ask(backend, corpus, "sort:size", page=n, size=7) for n in range(1, 7)]

        everything = [d.pid for d in sorted(corpus.datasets, key=lambda d: d.size)]
        assert pids(pages[1]) == everything[7:14]
        assert [pid for page in pages for pid in pids(page)] == everything
        assert [page.total for page in pages] == [30] * 6
        assert pids(pages[5]) == []

    def test_relevance_pages_continue_where_the_last_ended(self, backend, corpus):
        everything = pids(ask(backend, corpus, "beam"))
        second = ask(backend, corpus, "beam", page=2, size=3)

        assert pids(second) == everything[3:6]
        assert second.total == len(everything)

    def test_text_without_a_match_finds_nothing(self, backend, corpus):
        result = ask(backend, corpus, "unobtainium", facets=["type"])

        assert (result.hits, result.total, result.facets) == ([], 0, {"type": []})

    @pytest.mark.parametrize("query", TWIN_QUERIES)
    def test_answers_match_the_memory_twin(self, backend, twin, corpus, query):
        got = ask(backend, corpus, query, persona="member", facets=FACETS, size=50)
        want = ask(twin, corpus, query, persona="member", facets=FACETS, size=50)

        assert (pids(got), got.total, got.facets) == (pids(want), want.total, want.facets)
        assert [h.highlights for h in got.hits] == [h.highlights for h in want.hits]
        for mine, reference in zip(got.hits, want.hits, strict=True):
            assert (mine.score is None) == (reference.score is None)
            if mine.score is not None:
                assert math.isclose(mine.score, reference.score, rel_tol=1e-3)

    @pytest.mark.parametrize("sort", ["sort:size", "sort:-size", "sort:date", "sort:-name", "tie"])
    def test_ties_are_in_pid_order_on_every_page(self, empty_backend, corpus, sort):
        """Six datasets equal in date, size, name and text, written in reverse pid order over
        three commits (three tantivy segments), between two that differ: every page, and every
        backend, gives the tied ones in pid order."""
        tied = [_variant(corpus, f"t/{n}", size=5, text=NAME) for n in range(1, 7)]
        low = _variant(corpus, "t/9", size=1, text=LONG_NAME, day=1, name="aaa")
        high = _variant(corpus, "t/0", size=9, text=NAME | KEYWORD, day=3, name="zzz")
        written = [high, *reversed(tied), low]
        for start in range(0, len(written), 3):
            empty_backend.index_documents(written[start : start + 3])
        empty_backend.refresh()
        expected = {
            "sort:size": ["t/9", *TIED, "t/0"],
            "sort:-size": ["t/0", *TIED, "t/9"],
            "sort:date": ["t/9", *TIED, "t/0"],
            "sort:-name": ["t/0", *TIED, "t/9"],
            "tie": ["t/0", *TIED, "t/9"],
        }[sort]

        pages = [pids(ask(empty_backend, corpus, sort, page=n, size=3)) for n in (1, 2, 3)]
        everything = pids(ask(empty_backend, corpus, sort, size=50))

        assert pages == [expected[0:3], expected[3:6], expected[6:8]]
        assert everything == expected

    # --- writes ----------------------------------------------------------------------------------
    def test_indexing_a_document_again_replaces_it(self, empty_backend, corpus):
        document = dict(corpus.documents[0])
        empty_backend.index_documents([document])
        renamed = {**document, "text": {**document["text"], "dataset_name": "quartz"}}

        empty_backend.index_documents([renamed])
        empty_backend.refresh()

        assert empty_backend.count() == 1
        assert pids(ask(empty_backend, corpus, "quartz")) == [document["pid"]]
        assert ask(empty_backend, corpus, document["text"]["dataset_name"]).total == 0

    def test_deleted_documents_are_gone(self, empty_backend, corpus):
        empty_backend.index_documents(corpus.documents[:3])

        empty_backend.delete([corpus.documents[1]["pid"], "c/not-indexed"])
        empty_backend.refresh()

        assert empty_backend.count() == 2
        assert set(pids(ask(empty_backend, corpus))) == {"c/01", "c/03"}

    def test_versions_list_every_pid_with_its_updated_at(self, empty_backend, corpus):
        empty_backend.index_documents(corpus.documents[:2])
        empty_backend.refresh()

        assert empty_backend.versions() == {d["pid"]: d["updated_at"] for d in corpus.documents[:2]}

    def test_rebuild_and_clear_replace_everything(self, empty_backend, corpus):
        empty_backend.index_documents(corpus.documents[:5])

        assert empty_backend.rebuild(iter(corpus.documents[10:12])) == 2
        assert set(pids(ask(empty_backend, corpus))) == {"c/11", "c/12"}
        empty_backend.clear()
        empty_backend.refresh()
        assert empty_backend.count() == 0

    def test_dates_beyond_any_engines_range_are_indexed_and_compared(self, empty_backend, corpus):
        far = copy.copy(corpus.by_pid("c/02"))
        far.end_time = far.embargo_end = datetime(9999, 12, 31, tzinfo=UTC)
        empty_backend.index_documents([corpus.documents[0], dataset_document(far, related())])
        empty_backend.refresh()

        assert pids(ask(empty_backend, corpus, "endTime>=5000")) == []
        assert pids(ask(empty_backend, corpus, "endTime>=2100")) == ["c/02"]
        assert pids(ask(empty_backend, corpus, "creationTime<1500")) == []
        assert pids(ask(empty_backend, corpus, persona="outsider")) == []
