"""Quote extraction: find what an article puts between quote marks, as a reporter quotes a cable.

Reporters trim and stitch quotations: ellipses and ``[...]`` mark gaps, ``[T]he`` / ``(t)he`` change
case, ``[the government]`` replaces a word, an attribution splits one sentence in two
(``"...," he wrote, "..."``), and a quote running over several paragraphs reopens each paragraph
without closing the previous one. Each :class:`Quote` keeps those gaps as separate *parts* so the
matcher aligns every part and never asks the cable to contain the reporter's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cabledesk import textnorm

ArticleKind = Literal["txt", "md", "html"]

#: Quotes with fewer words than this are scare quotes ("risk averse"): reported too_short, never matched.
MIN_WORDS = 5
#: An attribution between two quotes ("he wrote") has at most this many words.
ATTRIBUTION_WORDS = 14

_OPEN = "“„«"  # ‘ is also an apostrophe: single quotes are never outer quote marks
_CLOSE = "”»"
_MARKS = set('"“”„«»')
_PARA_SPLIT = re.compile(r"\n[ \t]*\n\s*")
# Gap markers inside a quote: [...], […], (...), ..., . . ., …
_GAP = re.compile(r"\s*(?:[\[(]\s*(?:\.\s*){3}[\])]|[\[(]\s*…\s*[\])]|(?:\.\s?){2}\.|…)\s*")
_BRACKET = re.compile(r"\[([^\[\]]{0,80})\]")
_PAREN_LETTER = re.compile(r"\(([A-Za-z])\)(?=[A-Za-z])")
_MD_MARKUP = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)")
_ABBREV = re.compile(r"\b(?:[A-Z][a-z]{0,3}|[A-Z](?:\.[A-Z])+|[a-z])\.")
_BLOCKS = "p, h1, h2, h3, h4, h5, h6, li, pre, figcaption, dt, dd, td, th, blockquote"


@dataclass(slots=True)
class Quote:
    """One quotation: its article span, its words as quoted, and the gap-separated parts to match."""

    text: str  # the quoted words; parts joined by " … " where the article has a gap or attribution
    start: int  # offset of the first quoted character in the article text
    end: int  # offset just after the last quoted character
    parts: list[str] = field(default_factory=list)  # gap-free runs, editorial brackets resolved
    segments: list[int] = field(default_factory=list)  # article paragraph index of each part

    @property
    def words(self) -> int:
        """Number of words actually quoted (what decides too_short)."""
        return sum(len(textnorm.terms(p)) for p in self.parts)

    @property
    def too_short(self) -> bool:
        """A scare-quoted word or phrase: too few words to attribute without guessing."""
        return self.words < MIN_WORDS


def kind_of(path: str | Path) -> ArticleKind:
    """Article kind from a file name (.html/.htm, .md/.markdown, anything else plain text)."""
    suffix = Path(str(path)).suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "md"
    return "txt"


def article_text(raw: str, kind: ArticleKind = "txt") -> str:
    """The article as plain text (HTML: block elements become paragraphs); offsets refer to this."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if kind != "html":
        return raw
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(raw)
    for node in tree.css("script, style, noscript, template, nav, footer, aside"):
        node.decompose()
    blocks = [n for n in tree.css(_BLOCKS) if not n.css_first(_BLOCKS.replace("blockquote", "pre"))]
    root = tree.body or tree.root
    if not blocks:
        return _squash(root.text(separator=" ") if root else "")
    return "\n\n".join(t for t in (_squash(b.text(separator=" ")) for b in blocks) if t)


def _squash(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def paragraphs(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of the article's paragraphs: blank-line separated, else one per line."""
    sep = _PARA_SPLIT if _PARA_SPLIT.search(text) else re.compile(r"\n\s*")
    spans, pos = [], 0
    for m in sep.finditer(text):
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _raw_quotes(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int | None]:
    """(closed (open, close) mark pairs, offset of a mark left open at the paragraph end)."""
    pairs: list[tuple[int, int]] = []
    opened: int | None = None
    depth = 0  # curly quotes nested inside an open quotation
    for i in range(start, end):
        ch = text[i]
        if ch not in _MARKS:
            continue
        prev = text[i - 1] if i > start else " "
        nxt = text[i + 1] if i + 1 < end else " "
        if opened is None:
            if ch in _CLOSE and not (prev.isspace() or prev in "([—-"):
                continue  # a stray closing mark (or inch sign) with nothing open
            if ch == '"' and prev.isalnum() and not nxt.isalnum():
                continue  # 5" or a closing mark after a lost opener
            opened = i
        else:
            curly = text[opened] != '"'
            if ch == '"' and curly:  # straight marks inside a curly quotation are a quotation in it
                depth += 1 if depth % 2 == 0 else -1
                continue
            if ch in _OPEN and not (nxt.isspace() or nxt in ",.;:!?)—"):
                depth += 1  # a quotation inside the quotation
                continue
            if ch in _CLOSE and depth:
                depth -= 1
                continue
            pairs.append((opened, i))
            opened, depth = None, 0
    return pairs, opened


def _starts_with_open(text: str, start: int, end: int) -> int | None:
    """Offset of an opening mark that starts the paragraph (a continued quotation), else None."""
    i = start
    while i < end and text[i] in " \t>*_":
        i += 1
    if i < end and text[i] in '"“„«':
        return i
    return None


def _clean_part(s: str) -> list[str]:
    """Split quoted text at gaps and resolve editorial brackets; returns the gap-free parts."""
    s = _MD_MARKUP.sub("", s)
    s = _PAREN_LETTER.sub(r"\1", s)

    def bracket(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if not inner or re.fullmatch(r"(?:\.\s*){3}|…", inner):
            return " \x00 "
        if len(inner.split()) == 1:
            return inner  # [the], [T]he, [Calderon]: one word, kept for matching
        return " \x00 "  # several words of the reporter's own: a gap

    s = _BRACKET.sub(bracket, s)
    s = _GAP.sub(" \x00 ", s)
    return [p for p in (" ".join(x.split()) for x in s.split("\x00")) if textnorm.terms(p)]


def _content(text: str, a: int, b: int) -> tuple[int, int]:
    """Trim whitespace inside a quote's marks: [a, b) of the quoted characters."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _is_attribution(between: str, first: str) -> bool:
    """`"...," he wrote, "..."`: short text ending in a comma or colon joins two halves of one quote."""
    b = between.strip()
    plain = _ABBREV.sub("", b)  # "Jan." "Amb." "U.S." are not sentence ends
    if not b or len(b.split()) > ATTRIBUTION_WORDS or any(c in plain for c in ".!?\n"):
        return False
    ends_open = first.rstrip().endswith((",", "—", "--", "–")) or b.startswith((",", "—", "–"))
    return ends_open and b.endswith((",", ":", "—", "–"))


def extract(text: str) -> list[Quote]:
    """Every quotation of an article, in order, with gaps, attributions and continuations resolved."""
    spans = paragraphs(text)
    # Raw runs: (content start, content end, paragraph index, continues_next)
    runs: list[tuple[int, int, int, bool]] = []
    for pi, (ps, pe) in enumerate(spans):
        pairs, left_open = _raw_quotes(text, ps, pe)
        for a, b in pairs:
            s, e = _content(text, a + 1, b)
            if e > s:
                runs.append((s, e, pi, False))
        if left_open is not None:
            s, e = _content(text, left_open + 1, pe)
            nxt = spans[pi + 1] if pi + 1 < len(spans) else None
            continues = nxt is not None and _starts_with_open(text, nxt[0], nxt[1]) is not None
            if e > s:
                runs.append((s, e, pi, continues))
    return _assemble(text, runs)


def _assemble(text: str, runs: list[tuple[int, int, int, bool]]) -> list[Quote]:
    """Join continued paragraphs and attribution-split halves into single quotes."""
    quotes: list[Quote] = []
    i = 0
    while i < len(runs):
        s, e, pi, cont = runs[i]
        pieces = [(s, e, pi)]
        while True:
            j = i + len(pieces)
            if j >= len(runs):
                break
            ps, pe, ppi, _ = runs[j - 1]
            ns, ne, npi, _ = runs[j]
            continued = runs[j - 1][3] and npi == ppi + 1
            split = npi == ppi and _is_attribution(text[pe + 1 : ns - 1], text[ps:pe])
            if not (continued or split):
                break
            pieces.append((ns, ne, npi))
        parts: list[str] = []
        segs: list[int] = []
        for a, b, p in pieces:
            for part in _clean_part(text[a:b]):
                parts.append(part)
                segs.append(p)
        shown = " … ".join(_squash(text[a:b]).rstrip(",—–-").rstrip() for a, b, _ in pieces)
        quotes.append(Quote(shown if len(pieces) > 1 else text[s:e], s, pieces[-1][1], parts, segs))
        i += len(pieces)
    return quotes
