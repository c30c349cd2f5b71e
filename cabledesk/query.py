"""The query language: text -> AST (dataclasses) -> tantivy query, with errors that point at a column.

Grammar (see docs/query-language.md)::

    query   := and
    and     := chain+                      (implicit AND; a bare "AND" is allowed and ignored)
    chain   := unary ("OR" unary)*         (OR binds tighter than AND, as in web search)
    unary   := "-" unary | "NOT" unary | primary
    primary := "(" or ")" | FIELD ":" value | phrase | word
    value   := word | phrase | "(" or ")"  (a group inherits the field)
    phrase  := '"' ... '"' ["~" N | "*"]
    word    := chars ["*"]

Words and phrases are folded by the index's own analyzer (lower case, accents removed, split on
punctuation), so "zero-sum" is the phrase "zero sum" and "CALDERÓN" is "calderon".
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import tantivy

from cabledesk import textnorm
from cabledesk.errors import QueryError

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_SLOP = 1000

FieldKind = Literal["text", "keyword", "class", "marking", "date", "year", "before", "after"]

#: Query field -> (kind, index field). Aliases share an index field.
FIELDS: dict[str, tuple[FieldKind, str]] = {
    "text": ("text", "text"),
    "id": ("keyword", "id"),
    "origin": ("text", "origin"),
    "from": ("text", "origin"),
    "to": ("text", "to"),
    "info": ("text", "info"),
    "tag": ("keyword", "tag"),
    "class": ("class", "class"),
    "caveat": ("keyword", "caveat"),
    "subject": ("text", "subject"),
    "signer": ("text", "signer"),
    "classifiedby": ("text", "classifiedby"),
    "cites": ("keyword", "cites"),
    "citedby": ("keyword", "citedby"),  # expanded to id: terms by expand_citedby() before compiling
    "protected": ("keyword", "protected"),  # protected:yes / protected:no, expanded the same way
    "person": ("keyword", "person"),  # entities (cabledesk enrich), expanded to the cables naming them
    "org": ("keyword", "org"),
    "place": ("keyword", "place"),
    "marking": ("marking", "marking"),
    "date": ("date", "ts"),
    "year": ("year", "ts"),
    "before": ("before", "ts"),
    "after": ("after", "ts"),
}
_ALIASES = {"tags": "tag", "classification": "class", "level": "class", "ref": "cites", "body": "text"}

_LEVELS = {
    "UNCLASSIFIED": "UNCLASSIFIED", "UNCLAS": "UNCLASSIFIED", "U": "UNCLASSIFIED",
    "CONFIDENTIAL": "CONFIDENTIAL", "C": "CONFIDENTIAL",
    "SECRET": "SECRET", "S": "SECRET",
    "TOP SECRET": "TOP SECRET", "TOPSECRET": "TOP SECRET", "TS": "TOP SECRET",
}  # fmt: skip
_CAVEATS = {"NF": "NOFORN"}
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_STOP = set(' \t\r\n()"')


# -- AST -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Text:
    """Folded words on a text field: one term, a phrase (slop = proximity) or a prefix."""

    field: str
    terms: tuple[str, ...]
    pos: int
    phrase: bool = False
    slop: int = 0
    prefix: bool = False

    def __str__(self) -> str:
        body = " ".join(self.terms)
        body = f'"{body}"' if len(self.terms) > 1 or self.phrase else body
        body += "*" if self.prefix else (f"~{self.slop}" if self.slop else "")
        return body if self.field == "text" else f"{self.field}:{body}"


@dataclass(frozen=True, slots=True)
class Keyword:
    """An exact (upper-cased) value of a keyword field: id, tag, caveat, cites, class, marking."""

    field: str
    value: str
    pos: int
    prefix: bool = False

    def __str__(self) -> str:
        v = f'"{self.value}"' if " " in self.value else self.value
        return f"{self.field}:{v}{'*' if self.prefix else ''}"


@dataclass(frozen=True, slots=True)
class Range:
    """Created-time range in seconds since 1970, bounds inclusive, None = open."""

    lo: int | None
    hi: int | None
    pos: int

    def __str__(self) -> str:
        def day(ts: int | None) -> str:
            return datetime.fromtimestamp(ts, UTC).date().isoformat() if ts is not None else ""

        return f"date:{day(self.lo)}..{day(self.hi)}"


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " ".join(map(str, self.items)) + ")"


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(map(str, self.items)) + ")"


@dataclass(frozen=True, slots=True)
class Not:
    item: Node

    def __str__(self) -> str:
        return f"-{self.item}"


Node = Text | Keyword | Range | And | Or | Not

#: Looks up the reference ids a cable cites (the records know them; the index does not store them).
CitesLookup = Callable[[str], list[str]]
#: The ids of cables with protected sources (derived by cabledesk.protect from the records).
ProtectedLookup = Callable[[], set[str]]
#: (entity type "person" | "org" | "place", name) -> ids of the cables that name that entity.
EntityLookup = Callable[[str, str], list[str]]

_NOTHING = "\x00NONE"  # an id no cable has: a filter that matches nothing
_DERIVED = ("citedby", "protected", "person", "org", "place")


@dataclass(frozen=True, slots=True)
class Resolvers:
    """Answers for the fields the index cannot (derived from the records); Desk supplies them."""

    cites_of: CitesLookup | None = None
    protected: ProtectedLookup | None = None
    entity: EntityLookup | None = None


def _ids_node(ids: list[str], pos: int) -> Node:
    if not ids:
        return Keyword("id", _NOTHING, pos)
    if len(ids) == 1:
        return Keyword("id", ids[0], pos)
    return Or(tuple(Keyword("id", i, pos) for i in ids))


def expand_derived(node: Node, resolvers: Resolvers | None) -> Node:
    """Replace ``citedby:``, ``protected:``, ``person:``, ``org:``, ``place:`` with id filters."""
    r = resolvers or Resolvers()
    if isinstance(node, Keyword) and node.field in _DERIVED:
        return _expand_leaf(node, r)
    if isinstance(node, And):
        return And(tuple(expand_derived(n, r) for n in node.items))
    if isinstance(node, Or):
        return Or(tuple(expand_derived(n, r) for n in node.items))
    if isinstance(node, Not):
        return Not(expand_derived(node.item, r))
    return node


def _expand_leaf(node: Keyword, r: Resolvers) -> Node:
    hint = "search through cabledesk.Desk(db), which knows the records"
    if node.field == "citedby":
        if r.cites_of is None:
            raise QueryError("citedby: needs the cable records", node.pos, hint)
        return _ids_node(sorted(set(r.cites_of(node.value))), node.pos)
    if node.field == "protected":
        value = node.value.upper()
        if value not in ("YES", "NO", "TRUE", "FALSE"):
            raise QueryError(f"protected: takes yes or no, not '{node.value}'", node.pos, "protected:yes")
        if r.protected is None:
            raise QueryError("protected: needs the cable records", node.pos, hint)
        marked = _ids_node(sorted(r.protected()), node.pos)
        return marked if value in ("YES", "TRUE") else Not(marked)
    if r.entity is None:
        raise QueryError(f"{node.field}: needs the entity tables", node.pos, "run `cabledesk enrich` first")
    try:
        ids = r.entity(node.field, node.value)
    except QueryError as exc:  # the lookup knows what is wrong, the parser knows where
        raise QueryError(exc.message, node.pos, exc.suggestion) from exc
    return _ids_node(sorted(set(ids)), node.pos)


# -- parser ----------------------------------------------------------------------------------------
def parse(query: str) -> Node:
    """Parse a query string; raises QueryError(message, position, suggestion) when malformed."""
    if len(query) > MAX_LENGTH:
        raise QueryError(f"query too long ({len(query)} characters, at most {MAX_LENGTH})", MAX_LENGTH)
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:  # e.g. a shell argument that was not valid UTF-8
        raise QueryError("the query holds a character that is not valid text", exc.start,
                         "retype the query; it may have come from a file in another encoding") from None
    node = _Parser(query).parse()
    return node


class _Parser:
    """Recursive descent over the raw string, keeping character positions for error messages."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.depth = 0

    # helpers
    def _ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _at_end(self) -> bool:
        self._ws()
        return self.i >= len(self.s)

    def _peek_op(self) -> str | None:
        """'OR', 'AND' or 'NOT' when the next bare word is that (upper-case) operator."""
        self._ws()
        for op in ("OR", "AND", "NOT"):
            j = self.i + len(op)
            if self.s.startswith(op, self.i) and (j >= len(self.s) or self.s[j] in _STOP):
                return op
        return None

    def parse(self) -> Node:
        if self._at_end():
            raise QueryError("empty query", 0, 'type a word, a "phrase" or a field such as origin:mexico')
        node = self._or("text")
        if not self._at_end():  # only a stray ')' stops _or before the end
            raise QueryError(f"unbalanced ')' at {self.i}", self.i, "remove it or add a matching '('")
        if node is None:
            raise QueryError("nothing to search for: the query has no words", 0, "type at least one word")
        return node

    def _or(self, field: str) -> Node | None:
        """An implicit-AND sequence of OR chains (OR binds tighter, as in web search engines)."""
        items: list[Node] = []
        while not self._at_end() and self.s[self.i] != ")":
            op = self._peek_op()
            if op == "OR":
                raise QueryError(
                    f"OR at {self.i} needs a term before it", self.i, "write: cartels OR narcotics"
                )
            if op == "AND":
                pos = self.i
                self.i += 3
                if self._at_end() or self.s[self.i] == ")" or self._peek_op() in ("OR", "AND"):
                    raise QueryError(f"AND at {pos} needs a term after it", pos, "write: cartels AND police")
                continue
            node = self._chain(field)
            if node is not None:
                items.append(node)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def _chain(self, field: str) -> Node | None:
        """unary ("OR" unary)*."""
        items: list[Node] = []
        first = self._unary(field)
        if first is not None:
            items.append(first)
        while self._peek_op() == "OR":
            pos = self.i
            self.i += 2
            if self._at_end() or self.s[self.i] == ")" or self._peek_op() in ("OR", "AND"):
                raise QueryError(f"OR at {pos} needs a term after it", pos, "write: cartels OR narcotics")
            nxt = self._unary(field)
            if nxt is not None:
                items.append(nxt)
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _unary(self, field: str) -> Node | None:
        self._ws()
        pos = self.i
        if self.s[self.i] == "-" and self.i + 1 < len(self.s) and not self.s[self.i + 1].isspace():
            self.i += 1
            child = self._unary(field)
            return Not(child) if child is not None else None
        if self._peek_op() == "NOT":
            self.i += 3
            if self._at_end() or self.s[self.i] == ")":
                raise QueryError(f"NOT at {pos} needs a term after it", pos, "write: cartels NOT police")
            child = self._unary(field)
            return Not(child) if child is not None else None
        return self._primary(field)

    def _group(self, field: str) -> Node | None:
        pos = self.i
        self.i += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"parentheses nested too deeply at {pos}", pos, "simplify the query")
        node = self._or(field)
        if self._at_end() or self.s[self.i] != ")":
            raise QueryError(f"unbalanced '(' at {pos}", pos, "close it with ')'")
        self.i += 1
        self.depth -= 1
        return node

    def _primary(self, field: str) -> Node | None:
        c = self.s[self.i]
        if c == "(":
            return self._group(field)
        if c == '"':
            return self._phrase(field)
        m = _FIELD_RE.match(self.s, self.i)
        if m:
            name = m.group(1).lower()
            name = _ALIASES.get(name, name)
            after = m.end()
            attached = after < len(self.s) and not self.s[after].isspace() and self.s[after] != ")"
            if name in FIELDS:
                if not attached:
                    raise QueryError(
                        f"missing value after '{m.group(0)}' at {self.i}",
                        self.i,
                        f"write {name}:VALUE, e.g. {_example(name)}",
                    )
                self.i = after
                if self.s[self.i] == "(":
                    return self._group(name)
                if self.s[self.i] == '"':
                    return self._phrase(name)
                return self._word(name)
            if attached:
                raise _unknown_field(m.group(0), self.i)
        return self._word(field)

    def _phrase(self, field: str) -> Node | None:
        pos = self.i
        end = self.s.find('"', pos + 1)
        if end < 0:
            raise QueryError(f"unbalanced quote at {pos}", pos, 'close the phrase with "')
        text = self.s[pos + 1 : end]
        self.i = end + 1
        slop, prefix = 0, False
        if self.i < len(self.s) and self.s[self.i] == "~":
            m = re.compile(r"~(\d{1,6})").match(self.s, self.i)
            if not m:
                raise QueryError(f"'~' at {self.i} needs a number of words", self.i, 'write "army police"~10')
            slop = int(m.group(1))
            if slop > MAX_SLOP:
                raise QueryError(
                    f"proximity {slop} at {self.i} is too large", self.i, f"use at most ~{MAX_SLOP}"
                )
            self.i = m.end()
        elif self.i < len(self.s) and self.s[self.i] == "*":
            prefix = True
            self.i += 1
        return _leaf(field, text, pos, phrase=True, slop=slop, prefix=prefix)

    def _word(self, field: str) -> Node | None:
        pos = self.i
        while self.i < len(self.s) and self.s[self.i] not in _STOP and not self.s[self.i].isspace():
            self.i += 1
        text = self.s[pos : self.i]
        prefix = len(text) > 1 and text.endswith("*")
        return _leaf(field, text[:-1] if prefix else text, pos, prefix=prefix)


def _example(name: str) -> str:
    return {
        "id": "id:10MEXICO83", "origin": "origin:mexico", "from": "from:mexico", "to": "to:secstate",
        "info": "info:moscow", "tag": "tag:SNAR", "class": "class:secret", "caveat": "caveat:noforn",
        "subject": "subject:scenesetter", "signer": "signer:FEELEY", "classifiedby": "classifiedby:feeley",
        "cites": "cites:09MEXICO3125", "marking": "marking:S", "date": "date:2009-10..2010-01",
        "year": "year:2009", "before": "before:2009-05", "after": "after:2009-05", "text": "text:cartels",
    }.get(name, f"{name}:value")  # fmt: skip


def _unknown_field(written: str, pos: int) -> QueryError:
    name = written[:-1].lower()
    close = difflib.get_close_matches(name, list(FIELDS) + list(_ALIASES), n=1, cutoff=0.6)
    if close:
        real = _ALIASES.get(close[0], close[0])
        return QueryError(f"unknown field '{written}' at {pos} — did you mean '{real}:'?", pos, f"{real}:")
    return QueryError(
        f"unknown field '{written}' at {pos}",
        pos,
        "fields: " + ", ".join(f"{f}:" for f in FIELDS) + "; to search the word itself, put it in quotes",
    )


# -- leaves ----------------------------------------------------------------------------------------
def _leaf(
    field: str, text: str, pos: int, *, phrase: bool = False, slop: int = 0, prefix: bool = False
) -> Node | None:
    """Turn a typed value into the leaf its field needs; None when nothing searchable remains."""
    kind, target = FIELDS[field]
    if kind == "text":
        terms = tuple(textnorm.terms(text))
        if not terms:
            return None
        if prefix and len(terms[-1]) < 2 and len(terms) == 1:
            raise QueryError(
                f"prefix '{text}*' at {pos} is too short", pos, "type at least 2 letters before *"
            )
        return Text(target, terms, pos, phrase=phrase or len(terms) > 1, slop=slop, prefix=prefix)
    if kind in ("date", "year", "before", "after"):
        lo, hi = _date_bounds(kind, text, pos)
        return Range(lo, hi, pos)
    value = textnorm.keyword(text)
    if not value:
        if phrase:
            raise QueryError(f"empty value for '{field}:' at {pos}", pos, f"e.g. {_example(field)}")
        return None
    if kind == "class":
        level = _LEVELS.get(value)
        if level is None:
            close = difflib.get_close_matches(value, list(_LEVELS), n=1, cutoff=0.6)
            hint = (
                f"did you mean class:{close[0].lower()}?"
                if close
                else 'use unclassified, confidential, secret or "top secret"'
            )
            raise QueryError(f"unknown classification '{text}' at {pos}", pos, hint)
        return Keyword(target, level, pos)
    if kind == "marking":
        value = textnorm.normalize_marking(value)
    elif target == "caveat":
        value = _CAVEATS.get(value, value)
    return Keyword(target, value, pos, prefix=prefix)


def _period(text: str, pos: int) -> tuple[datetime, datetime]:
    """[start, end) of YYYY, YYYY-MM or YYYY-MM-DD."""
    m = _DATE_RE.fullmatch(text)
    if not m:
        raise _bad_date(text, pos)
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            return datetime(y, 1, 1), datetime(y + 1, 1, 1)
        month = int(mo)
        if d is None:
            start = datetime(y, month, 1)
            return start, start + timedelta(days=calendar.monthrange(y, month)[1])
        start = datetime(y, month, int(d))
        return start, start + timedelta(days=1)
    except (ValueError, OverflowError):
        raise _bad_date(text, pos) from None


def _bad_date(text: str, pos: int) -> QueryError:
    return QueryError(
        f"bad date '{text}' at {pos}", pos, "use YYYY, YYYY-MM or YYYY-MM-DD; a range is A..B, ..B or A.."
    )


def _ts(dt: datetime) -> int:
    return int(dt.replace(tzinfo=UTC).timestamp())


def _date_bounds(kind: str, text: str, pos: int) -> tuple[int | None, int | None]:
    """Inclusive [lo, hi] seconds of a date value; open sides are None."""
    if kind in ("before", "after"):
        start, end = _period(text, pos)
        return (None, _ts(start) - 1) if kind == "before" else (_ts(end), None)
    if kind == "year" and not re.fullmatch(r"\d{4}(\.\.\d{4})?|\.\.\d{4}|\d{4}\.\.", text):
        raise QueryError(f"bad year '{text}' at {pos}", pos, "write year:2009 or year:2008..2010")
    if ".." not in text:
        start, end = _period(text, pos)
        return _ts(start), _ts(end) - 1
    a, _, b = text.partition("..")
    if not a and not b:
        raise _bad_date(text, pos)
    lo = _ts(_period(a, pos)[0]) if a else None
    hi = _ts(_period(b, pos + len(a) + 2)[1]) - 1 if b else None
    if lo is not None and hi is not None and lo > hi:
        raise QueryError(
            f"date range '{text}' at {pos} ends before it starts", pos, "write the earlier date first"
        )
    return lo, hi


# -- compiler --------------------------------------------------------------------------------------
_RX_META = set("\\.+*?()|[]{}^$#&-~")


def _rx_escape(s: str) -> str:
    """Escape for tantivy's (Rust) regex syntax."""
    return "".join("\\" + ch if ch in _RX_META else ch for ch in s)


#: A compile hook: the query standing for a part the target index cannot answer itself (a join), or None.
NodeHook = Callable[[Node], tantivy.Query | None]


def compile_query(node: Node, schema: tantivy.Schema, hook: NodeHook | None = None) -> tantivy.Query:
    """The tantivy query of an AST; filters (keywords, dates) score a constant so text decides rank.

    ``hook`` is asked first for every node, top down (paragraph searches join the cable fields
    their documents lack through it, see :mod:`cabledesk.search_paragraphs`).
    """
    Q = tantivy.Query
    if hook is not None:
        joined = hook(node)
        if joined is not None:
            return joined
    if isinstance(node, Text):
        if len(node.terms) > 1:
            if node.prefix:
                return Q.phrase_prefix_query(schema, node.field, list(node.terms))
            return Q.phrase_query(schema, node.field, list(node.terms), node.slop)
        if node.prefix:
            return Q.regex_query(schema, node.field, _rx_escape(node.terms[0]) + ".*")
        return Q.term_query(schema, node.field, node.terms[0])
    if isinstance(node, Keyword):
        if node.prefix:
            q = Q.regex_query(schema, node.field, _rx_escape(node.value) + ".*")
        else:
            q = Q.term_query(schema, node.field, node.value)
        return Q.const_score_query(q, 1.0)
    if isinstance(node, Range):
        return Q.const_score_query(
            Q.range_query(schema, "ts", tantivy.FieldType.Integer, node.lo, node.hi), 1.0
        )
    if isinstance(node, Not):
        return Q.boolean_query(
            [(tantivy.Occur.Must, Q.all_query()), (tantivy.Occur.MustNot, compile_query(node.item, schema, hook))]
        )
    if isinstance(node, And):
        clauses = [
            (tantivy.Occur.MustNot, compile_query(it.item, schema, hook))
            if isinstance(it, Not)
            else (tantivy.Occur.Must, compile_query(it, schema, hook))
            for it in node.items
        ]
        if all(occ == tantivy.Occur.MustNot for occ, _ in clauses):
            clauses.append((tantivy.Occur.Must, Q.all_query()))
        return Q.boolean_query(clauses)
    return Q.boolean_query([(tantivy.Occur.Should, compile_query(it, schema, hook)) for it in node.items])


def positive_leaves(node: Node, negated: bool = False) -> list[Text | Keyword]:
    """Text and keyword leaves that must or may match (not under NOT): what snippets highlight."""
    if isinstance(node, Not):
        return positive_leaves(node.item, not negated)
    if isinstance(node, And | Or):
        return [leaf for it in node.items for leaf in positive_leaves(it, negated)]
    if isinstance(node, Text | Keyword) and not negated:
        return [node]
    return []
