"""The portal's query string -> SearchRequest (grammar: docs/search-syntax.md).

A hand-written scanner, one pass, no backtracking beyond one peeked word:

    query     := item*                       items are ANDed, separated by spaces
    item      := "-"? (condition | phrase | word) | group
    group     := "(" condition ("OR" condition)* ")"      metadata conditions only
    condition := (NAME | phrase) OP value    NAME = [A-Za-z_][\\w.-]*, a quoted name is always
                                             a metadata key; OP = : = < <= > >= ~
    value     := range | atom ("," atom)*    range := ("[" | "{") low "TO" high ("]" | "}")
    atom      := phrase | bare               bare: up to a space, "," or (in a group) ")"

A backslash escapes any character in words and values. Words that look like conditions but are
URLs (``https://…``) stay text. The same scanner, with conditions off, reads SciCat ``text`` and
PaNOSC ``query`` (words, "phrases", -exclusions).
"""

from __future__ import annotations

import re

from .model import (
    BOOL,
    BYTES,
    FIELDS,
    TERM,
    AnyOf,
    QueryError,
    SearchRequest,
    facets_named,
    field_named,
    reject_unfilterable,
    sort_named,
    squash,
)
from .values import (
    BYTE_UNITS,
    compare,
    field_value,
    high_bound,
    is_unit_word,
    low_bound,
    make_condition,
    make_range,
    page_window,
    parse_number,
    split_quantity,
    term_filter,
)

__all__ = ["MAX_QUERY_CHARS", "parse_query_string", "parse_text"]

MAX_QUERY_CHARS = 2000
NAME_RE = re.compile(r"[A-Za-z_][\w.\-]*")
OP_RE = re.compile(r"<=|>=|[:=<>~]")
_RELATION = {"=": "EQUAL_TO_NUMERIC", ">": "GREATER_THAN", "<": "LESS_THAN"}
_RELATION.update({">=": "GREATER_THAN_OR_EQUAL", "<=": "LESS_THAN_OR_EQUAL"})


class _Scanner:
    def __init__(self, text: str, *, conditions: bool):
        self.s, self.i, self.conditions = text, 0, conditions
        self.words: list[str] = []
        self.phrases: list[str] = []
        self.excluded: list[str] = []
        self.filters: list = []
        self.scientific: list = []
        self.sort: str | None = None

    # --- lexing helpers ----------------------------------------------------------------------
    def at_end(self, in_group: bool = False) -> bool:
        s, i = self.s, self.i
        return i >= len(s) or s[i].isspace() or (in_group and s[i] == ")")

    def skip_ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def read_quoted(self) -> str:
        s, out = self.s, []
        self.i += 1  # the opening quote
        while self.i < len(s):
            c = s[self.i]
            if c == "\\" and self.i + 1 < len(s):
                out.append(s[self.i + 1])
                self.i += 2
            elif c == '"':
                self.i += 1
                return "".join(out)
            else:
                out.append(c)
                self.i += 1
        raise QueryError('unbalanced quote: a " is never closed')

    def read_bare(self, stops: str) -> str:
        s, out = self.s, []
        while self.i < len(s) and not s[self.i].isspace() and s[self.i] not in stops:
            c = s[self.i]
            if c == '"':
                raise QueryError('unexpected " inside a word; put a space before "phrases"')
            if c == "\\" and self.i + 1 < len(s):
                c = s[self.i + 1]
                self.i += 1
            out.append(c)
            self.i += 1
        return "".join(out)

    def peek_unit(self, accept, in_group: bool) -> str:
        """Consume the next word if it is a unit ("1.5 Å"), else leave it and return ""."""
        s, start = self.s, self.i
        self.skip_ws()
        j = self.i
        if j == start or j >= len(s) or s[j] in '-"(' or (NAME_RE.match(s, j) and self._op_at(j)):
            self.i = start
            return ""
        end = j
        while (
            end < len(s)
            and not s[end].isspace()
            and s[end] not in '"\\' + (")" if in_group else "")
        ):
            end += 1
        word = s[j:end]
        if word and (end >= len(s) or s[end].isspace() or s[end] == ")") and accept(word):
            self.i = end
            return word
        self.i = start
        return ""

    def _op_at(self, j: int) -> bool:
        m = NAME_RE.match(self.s, j)
        op = OP_RE.match(self.s, m.end()) if m else None
        return bool(op) and not (op.group() == ":" and self.s.startswith("//", op.end()))

    # --- grammar -----------------------------------------------------------------------------
    def parse(self) -> None:
        while True:
            self.skip_ws()
            if self.i >= len(self.s):
                return
            self.item(in_group=False)

    def item(self, in_group: bool) -> None:
        s = self.s
        negate = False
        if s[self.i] == "-":
            self.i += 1
            if self.at_end(in_group) or s[self.i] in "-)":
                raise QueryError("'-' must be followed directly by a word, phrase or condition")
            negate = True
        if self.conditions and s[self.i] == "(" and not in_group:
            if negate:
                raise QueryError("( … OR … ) cannot be negated; negate the conditions inside")
            return self.group()
        if self.conditions and s[self.i] == ")":
            raise QueryError("unbalanced ')'")
        if s[self.i] == '"':
            text = self.read_quoted()
            if self.conditions and OP_RE.match(s, self.i):
                return self.condition(text, quoted=True, negate=negate, in_group=in_group)
            if not self.at_end(in_group):
                raise QueryError('put a space after a closing "')
            return self.add_text(text, negate, in_group)
        if self.conditions and self._op_at(self.i):
            name = NAME_RE.match(s, self.i).group()
            self.i += len(name)
            return self.condition(name, quoted=False, negate=negate, in_group=in_group)
        self.add_text(self.read_bare(")" if in_group else ""), negate, in_group)

    def add_text(self, text: str, negate: bool, in_group: bool) -> None:
        if in_group:
            raise QueryError("only metadata conditions can be combined with OR")
        text = " ".join(text.split())
        if not text:
            return
        if negate:
            self.excluded.append(text)
        else:
            (self.phrases if " " in text else self.words).append(text)

    def group(self) -> None:
        self.i += 1
        found: list = []
        want_condition = True
        while True:
            self.skip_ws()
            if self.i >= len(self.s):
                raise QueryError("unbalanced '(': a ( is never closed")
            if self.s[self.i] == ")":
                if want_condition:
                    raise QueryError("write ( condition OR condition … )")
                self.i += 1
                break
            if not want_condition:
                after = self.i + 2
                if self.s[self.i : after].upper() != "OR" or not self._at(after, str.isspace):
                    raise QueryError("write OR between the conditions in ( … )")
                self.i += 2
                want_condition = True
                continue
            if self.s[self.i] == "(":
                raise QueryError("( … ) groups cannot be nested")
            before = len(self.scientific)
            self.item(in_group=True)
            if len(self.scientific) != before + 1:
                raise QueryError("only metadata conditions can be combined with OR")
            found.append(self.scientific.pop())
            want_condition = False
        if not self.at_end():
            raise QueryError("put a space after ')'")
        self.scientific.append(found[0] if len(found) == 1 else AnyOf(tuple(found)))

    def _at(self, j: int, test) -> bool:
        """The end of the text, or a character that passes test."""
        return j >= len(self.s) or test(self.s[j])

    def condition(self, name: str, *, quoted: bool, negate: bool, in_group: bool) -> None:
        op = OP_RE.match(self.s, self.i).group()
        self.i += len(op)
        if self.at_end(in_group):
            raise QueryError(
                f"nothing after '{name}{op}'; to search for the text, write it in quotes",
                field=name,
            )
        if self.s[self.i] in "[{":
            rng, atoms = self.read_range(in_group), None
        else:
            rng, atoms = None, self.read_atoms(in_group)
        if not quoted and squash(name) == "sort":
            if in_group or negate or op != ":" or rng or len(atoms) != 1:
                raise QueryError("write sort:relevance, sort:-date, sort:size or sort:name")
            if self.sort is not None:
                raise QueryError("sort is given twice", field="sort")
            text = atoms[0][0]
            self.sort = sort_named(text.removeprefix("-"), text.startswith("-"))
            return
        year = not quoted and squash(name) == "year"
        field = None if quoted else (FIELDS["creation_time"] if year else field_named(name))
        if field is None:
            if not quoted:
                reject_unfilterable(name)
            self.scientific.append(self.metadata(name, op, atoms, rng, negate, in_group))
        elif in_group:
            raise QueryError(
                f"{name}: fields cannot be combined with OR; write {name}:a,b for any of a, b",
                field=name,
            )
        else:
            self.filters.append(self.field(field, name, op, atoms, rng, negate, year))

    def read_atoms(self, in_group: bool) -> list[tuple[str, bool]]:
        atoms = []
        while True:
            if self.i < len(self.s) and self.s[self.i] == '"':
                atoms.append((self.read_quoted(), True))
            else:
                text = self.read_bare(",)" if in_group else ",")
                if not text:
                    raise QueryError("empty value in a list; write field:a,b")
                atoms.append((text, False))
            if self.i < len(self.s) and self.s[self.i] == ",":
                self.i += 1
                if self.at_end(in_group):
                    raise QueryError("a list of values must not end with ','")
                continue
            if not self.at_end(in_group):
                raise QueryError(f"unexpected {self.s[self.i]!r} after a value")
            return atoms

    def read_range(self, in_group: bool):
        s, opening = self.s, self.s[self.i]
        close = min((j for j in (s.find("]", self.i), s.find("}", self.i)) if j >= 0), default=-1)
        if close < 0:
            raise QueryError(f"unbalanced '{opening}': write a range as [low TO high]")
        content = s[self.i + 1 : close]
        if any(c in content for c in '"[{'):
            raise QueryError("write a range as [low TO high], without quotes or brackets inside")
        self.i = close + 1
        if not self.at_end(in_group):
            raise QueryError("put a space after a range")
        parts = content.split()
        tos = [k for k, p in enumerate(parts) if p.upper() == "TO"]
        if len(tos) != 1 or tos[0] in (0, len(parts) - 1):
            raise QueryError("write a range as [low TO high], with * for an open end")
        k = tos[0]
        return " ".join(parts[:k]), " ".join(parts[k + 1 :]), opening == "[", s[close] == "]"

    # --- meaning -----------------------------------------------------------------------------
    def field(self, field, name, op, atoms, rng, negate, year):
        if field.kind in (TERM, BOOL):
            if rng or op not in (":", "=", "~"):
                raise QueryError(f"{name} takes values like {name}:a,b, not comparisons", name)
            values = [text for text, _ in atoms]
            return term_filter(field, values, op="contains" if op == "~" else "eq", negate=negate)
        if op == "~":
            raise QueryError(f"{name} takes a number or a date, not text", field=name)

        def value(text):
            if year and not re.fullmatch(r"\d{4}", text):
                raise QueryError("year takes a year like 2021", field=name)
            return field_value(field, text)

        if rng:
            low_text, high_text, low_incl, high_incl = rng
            if op != ":":
                raise QueryError(f"write {name}:[low TO high]", field=name)
            low = None if low_text == "*" else low_bound(value(low_text), low_incl)
            high = None if high_text == "*" else high_bound(value(high_text), high_incl)
            return make_range(field, low, high, negate=negate)
        if len(atoms) != 1:
            raise QueryError(f"{name} takes one value", field=name)
        text, quoted = atoms[0]
        if field.kind == BYTES and not quoted and parse_number(text) is not None:
            text += self.peek_unit(lambda w: w.lower() in BYTE_UNITS, False)
        return compare(field, op, value(text), negate=negate)

    def metadata(self, key, op, atoms, rng, negate, in_group):
        if rng:
            if op != ":":
                raise QueryError(f"write {key}:[low TO high]", field=key)
            low_text, high_text, low_incl, high_incl = rng
            low = None if low_text == "*" else _quantity(key, low_text)
            high = None if high_text == "*" else _quantity(key, high_text)
            if low and high and low[1] and high[1] and low[1] != high[1]:
                raise QueryError(f"{key}: use the same unit on both ends of a range", field=key)
            if low is None and high is None:
                raise QueryError("a range needs at least one bound", field=key)
            if high is None:
                relation = "GREATER_THAN_OR_EQUAL" if low_incl else "GREATER_THAN"
                return make_condition(key, relation, low[0], low[1], negate=negate)
            if low is None:
                relation = "LESS_THAN_OR_EQUAL" if high_incl else "LESS_THAN"
                return make_condition(key, relation, high[0], high[1], negate=negate)
            bounds = ("[" if low_incl else "(") + ("]" if high_incl else ")")
            unit = low[1] or high[1]
            return make_condition(
                key, "RANGE", (low[0], high[0]), unit, bounds=bounds, negate=negate
            )
        if len(atoms) != 1:
            raise QueryError(f"{key}: a metadata condition takes one value", field=key)
        text, quoted = atoms[0]
        if op == "~":
            return make_condition(key, "CONTAINS_STRING", text, negate=negate)
        n = None if quoted else parse_number(text)
        if op == ":" and n is None:
            return make_condition(key, "EQUAL_TO_STRING", text, negate=negate)
        quantity = (n, "") if n is not None else _quantity(key, text)
        unit = quantity[1]
        if n is not None:
            unit = self.peek_unit(is_unit_word, in_group)
        relation = _RELATION.get(op, "EQUAL_TO_NUMERIC")
        return make_condition(key, relation, quantity[0], unit, negate=negate)


def _quantity(key: str, text: str) -> tuple:
    q = split_quantity(text)
    if q is None:
        raise QueryError(f"{key}: {text!r} is not a number (with an optional unit)", field=key)
    return q


def parse_text(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Free text only (SciCat ``text``, PaNOSC ``query``) -> (words, phrases, excluded)."""
    if not isinstance(text, str):
        raise QueryError("text must be a string", field="text")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the text is longer than {MAX_QUERY_CHARS} characters", field="text")
    scanner = _Scanner(text, conditions=False)
    scanner.parse()
    return tuple(scanner.words), tuple(scanner.phrases), tuple(scanner.excluded)


def parse_query_string(q, *, page=None, size=None, facets=()) -> SearchRequest:
    """The portal search box (``q``), the page number (from 1) and page size, and the facets
    the page shows -> SearchRequest, or QueryError with a message for the user."""
    if q is None:
        q = ""
    if not isinstance(q, str):
        raise QueryError("the query must be text")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    scanner = _Scanner(q, conditions=True)
    scanner.parse()
    offset, limit = page_window(page, size)
    return SearchRequest(
        words=tuple(scanner.words),
        phrases=tuple(scanner.phrases),
        excluded=tuple(scanner.excluded),
        filters=tuple(scanner.filters),
        scientific=tuple(scanner.scientific),
        facets=facets_named(facets),
        sort=scanner.sort,
        offset=offset,
        limit=limit,
    )
