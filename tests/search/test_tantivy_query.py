"""The tantivy backend's shortcuts must give exactly what the plain queries give: word pairs for
two-word phrases, and access keys for "published, or the embargo ended by then"."""

import math
import random
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from search.backends.base import TEXT_BOOSTS
from search.backends.tantivy_backend import TantivyBackend, to_tantivy
from search.backends.tantivy_query import access_keys, public_keys
from search.backends.tantivy_text import PAD, PairMaker, analyzer, pairs
from search.documents import EARLIEST, LATEST

from .corpus import build_corpus

# Words that collide in odd ways: repeats, case and accents folded together, a 41-byte word
# that "fedcat" drops (keeping its position), non-Latin letters, digits, hyphens.
WORDS = ["x", "ray", "X-ray", "Ray", "ráy", "x ray", "in-situ", "situ", "in", "a" * 41, "ß", "1"]
WORDS += ["Ⅻ", "ﬁlm", "film", "thin-film", "straße", "ÉCOLE", "école", "ǅ"]


def random_text(rng: random.Random) -> str:
    separators = [" ", "-", ", ", "/", "_", ".", "  "]
    return "".join(rng.choice(WORDS) + rng.choice(separators) for _ in range(rng.randint(0, 12)))


@pytest.fixture(scope="module")
def phrase_index(tmp_path_factory):
    """60 documents of random text in every text field, over three commits (three segments),
    the last replacing ten of them (deleted documents still count in tantivy's BM25)."""
    rng = random.Random(5)
    base = build_corpus().documents[0]
    backend = TantivyBackend(index_dir=tmp_path_factory.mktemp("phrases"))
    documents = []
    for n in range(60):
        text = {name: random_text(rng) for name in TEXT_BOOSTS}
        documents.append({**base, "pid": f"p/{n:02d}", "text": text})
    backend.index_documents(documents[:30])
    backend.index_documents(documents[30:])
    backend.index_documents(documents[20:40:2])
    backend.refresh()
    return backend


def _found(backend, query) -> dict[str, float]:
    searcher = backend._searcher()[0]
    result = searcher.search(query, 100)
    return {searcher.doc(address)["pid"][0]: score for score, address in result.hits}


ABSENT = [["fi", "lm"], ["a" * 41, "x"], ["nothing", "here"]]  # "ﬁlm" is one word "film"
PHRASES = [["x", "ray"], ["ray", "x"], ["in", "situ"], ["thin", "film"], ["ray", "ray"]]
PHRASES += [["strasse", "x"], ["ecole", "ecole"], ["x", "1"], ["ⅻ", "x"], ["dz", "ray"]]
PHRASES += [["ray", "dz"], *ABSENT]


@pytest.mark.parametrize("tokens", PHRASES, ids=" ".join)
def test_a_two_word_phrase_as_a_pair_finds_and_scores_as_the_phrase(phrase_index, tokens):
    searcher = phrase_index._searcher()[0]
    as_phrase = _found(phrase_index, phrase_index.queries.text(tokens))
    as_pair = _found(phrase_index, phrase_index.queries.text(tokens, searcher))

    assert as_pair.keys() == as_phrase.keys()
    for pid, score in as_phrase.items():
        assert math.isclose(as_pair[pid], score, rel_tol=1e-6), pid


def test_the_random_texts_hold_every_phrase_but_the_absent_ones(phrase_index):
    searcher = phrase_index._searcher()[0]
    queries = phrase_index.queries
    missing = [t for t in PHRASES if not _found(phrase_index, queries.text(t, searcher))]

    assert missing == ABSENT  # so the test above compares real matches, not empty sets


def test_pairs_fill_the_field_to_its_length_and_skip_dropped_words():
    long = "b" * 40  # 40 bytes: dropped by "fedcat", which keeps its position

    assert pairs("X-ray, x RAY") == ["x ray", "ray x", "x ray", PAD]
    assert pairs(f"x {long} ray") == [PAD, PAD]
    assert pairs("Straße école") == ["strasse ecole", PAD]
    assert pairs("") == [] and pairs("-- /") == []


def test_ascii_text_is_split_into_the_words_the_analyzer_finds():
    maker, fedcat, rng = PairMaker(), analyzer(), random.Random(7)
    alphabet = string.ascii_letters + string.digits + " -_./,:;'\"()[]\t\n"

    for _ in range(300):
        parts = [rng.choice(alphabet) for _ in range(rng.randint(0, 60))]
        parts.insert(rng.randint(0, len(parts)), "Ab1" * rng.randint(12, 15))  # 36 to 45 bytes
        text = "".join(parts)
        words, kept = maker.words(text)

        assert words == maker.folded.analyze(text)
        assert [w for w, k in zip(words, kept, strict=True) if k] == fedcat.analyze(text)


def test_pairs_are_indexed_with_the_text_fields():
    document = build_corpus().documents[0]

    fields = to_tantivy(document)

    for name, text in document["text"].items():
        assert fields.get(f"p_{name}", []) == (pairs(text) if text else [])


# --- access keys ---------------------------------------------------------------------------------


def _keys(embargo_end: datetime) -> set[str]:
    access = {"owner_group": "g", "access_groups": [], "shared_with": []}
    return set(access_keys({**access, "is_published": False, "embargo_end": embargo_end}))


def _public(embargo_end: datetime, moment: datetime) -> bool:
    return bool(_keys(embargo_end) & set(public_keys(moment)))


def _boundaries(rng: random.Random) -> list[datetime]:
    """Moments on and around the ends of seconds, minutes, ..., years, decades and centuries."""
    found = [EARLIEST, LATEST]
    found += [datetime(y, 1, 1, tzinfo=UTC) for y in (1800, 1970, 2000, 2010, 2019, 2020, 2100)]
    for _ in range(40):
        moment = datetime(rng.randint(1701, 2261), rng.randint(1, 12), 1, tzinfo=UTC)
        moment += timedelta(seconds=rng.randint(0, 31 * 86400))
        found.append(moment)
    for moment in list(found):
        found += [moment + timedelta(seconds=d) for d in (-3601, -61, -1, 1, 60, 86400)]
    return [m for m in found if EARLIEST <= m <= LATEST]


def test_public_keys_hold_exactly_the_embargoes_ended_by_then():
    moments = _boundaries(random.Random(3))
    visible = {moment: set(public_keys(moment)) for moment in moments}

    for end in moments:
        keys = _keys(end)
        for moment in moments:
            assert bool(keys & visible[moment]) == (end <= moment), (end, moment)


def test_public_keys_judge_at_whole_seconds_and_within_the_storable_dates():
    end = datetime(2030, 5, 14, 10, 23, 45, tzinfo=UTC)

    assert _public(end, end + timedelta(microseconds=999_999))
    assert not _public(end, end - timedelta(microseconds=1))
    assert _public(LATEST, datetime(9999, 1, 1, tzinfo=UTC))
    assert not _public(EARLIEST, datetime(1600, 1, 1, tzinfo=UTC))


def test_published_datasets_are_public_at_any_moment():
    access = {"owner_group": "g", "access_groups": ["a"], "shared_with": ["u@example.org"]}
    keys = access_keys({**access, "is_published": True, "embargo_end": LATEST})

    assert keys == ["*", "o:g", "g:a", "s:u@example.org", "p:published"]
    for moment in (datetime(1600, 1, 1, tzinfo=UTC), EARLIEST, LATEST):
        assert "p:published" in public_keys(moment)


def test_a_moment_in_another_time_zone_is_judged_in_utc():
    end = datetime(2030, 1, 1, 0, 30, tzinfo=UTC)  # 01:30 in Berlin
    before = datetime(2030, 1, 1, 1, 29, tzinfo=ZoneInfo("Europe/Berlin"))  # 00:29 UTC

    assert not _public(end, before)
    assert _public(end, before + timedelta(hours=1))
