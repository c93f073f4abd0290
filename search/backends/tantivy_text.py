"""Text analysis for the tantivy backend: the "fedcat" analyzer, and word pairs.

A two-word phrase ("x-ray", "in-situ", "thin film") is the common phrase, and a costly one: a
phrase query reads the positions of both words in every document holding both (half the
corpus for "x-ray"), in each text field, once for the page and once more for the facets. So
every text field ``x_<name>`` has a twin ``p_<name>`` holding the field's adjacent word pairs
as single terms ("x ray"), and a two-word phrase is one term lookup there:

- the same documents: a pair term is in ``p_<name>`` exactly when the two words are adjacent in
  ``x_<name>`` (pairs are taken from the analyzer's own tokens and positions);
- the same scores: BM25 reads a term's frequency, the field's length and the average length.
  A pair's frequency is the phrase's frequency; the twin gets PAD terms up to the field's
  token count, so its lengths (per document and on average) are the field's. Only the idf
  differs (the pair's instead of the sum of the two words'), and tantivy_query.py boosts the
  term by the ratio, so the score is the phrase's (to the last bit of an f32 at worst).
"""

from __future__ import annotations

import os
import re
from itertools import pairwise

from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

MAX_TOKEN_BYTES = 40  # tokens this long or longer are dropped (and keep their position)
PAIR = " "  # between the two words of a pair (a word never holds a space)
PAD = "."  # fills a pair field up to its text field's length (no space: never a pair)


def analyzer():
    """The "fedcat" analyzer of every x_ field (and of query words)."""
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(MAX_TOKEN_BYTES))
    return builder.filter(Filter.lowercase()).filter(Filter.ascii_fold()).build()


ASCII_WORD = re.compile(r"[a-z0-9]+")  # the simple tokenizer's words in lower-case ASCII


class PairMaker:
    """The p_ field values of a text: its adjacent word pairs, then PADs up to its length.

    ASCII text (nearly all) is split here: the simple tokenizer's words are then the runs of
    ASCII letters and digits, and folding only lowers them. Other text goes through two
    analyzers without the length filter, which give the raw and the folded words one for one
    (lowercase and ascii_fold change a word, never split or drop one). Either way a word's
    position is its index, as in "fedcat", which drops long words after numbering them."""

    def __init__(self):
        self.raw = TextAnalyzerBuilder(Tokenizer.simple()).build()
        folding = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.lowercase())
        self.folded = folding.filter(Filter.ascii_fold()).build()

    def words(self, text: str) -> tuple[list[str], list[bool]]:
        """(the folded words, whether each is short enough to be indexed)."""
        if text.isascii():
            words = ASCII_WORD.findall(text.lower())
            return words, [len(word) < MAX_TOKEN_BYTES for word in words]
        words = self.folded.analyze(text)
        raw = self.raw.analyze(text)
        if len(raw) != len(words):  # would mean a filter dropped a word: pairs would lie
            raise RuntimeError(f"the analyzers disagree on {text[:200]!r}")
        return words, [len(word.encode()) < MAX_TOKEN_BYTES for word in raw]

    def __call__(self, text: str) -> list[str]:
        words, kept = self.words(text)
        count = sum(kept)
        if count == len(words):
            values = [f"{a}{PAIR}{b}" for a, b in pairwise(words)]
        else:  # no pair across a dropped word
            values = [
                f"{words[i]}{PAIR}{words[i + 1]}"
                for i in range(len(words) - 1)
                if kept[i] and kept[i + 1]
            ]
        return values + [PAD] * (count - len(values))


_makers: dict[int, PairMaker] = {}


def pairs(text: str) -> list[str]:
    """PairMaker()(text), with one maker per process (documents are built in forked workers)."""
    maker = _makers.get(os.getpid())
    if maker is None:
        maker = _makers[os.getpid()] = PairMaker()
    return maker(text)
