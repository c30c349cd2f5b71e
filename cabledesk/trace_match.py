"""Quote matching: find the cable paragraph a quotation came from, or say plainly that none did.

Two steps, so a whole corpus is never scanned: (1) candidate retrieval from the paragraph index with
the quote's rarest word pairs as phrase queries (plus its rarest words), top :data:`CANDIDATES`;
(2) alignment of every gap-free part of the quote against each candidate with rapidfuzz's
``partial_ratio_alignment`` on folded text (case, accents, punctuation, quote styles and line wraps
vanish in the folding), weighted by part length. A match below :data:`THRESHOLD` is reported as a
near miss, never as a match: ``bench/trace.py --calibrate`` measured the threshold.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import tantivy
from rapidfuzz import fuzz

from cabledesk import textnorm
from cabledesk.store.index import CableIndex

#: Score (0-100) from which a quote counts as matched; calibrated by ``bench/trace.py --calibrate``.
THRESHOLD = 90.0
#: Paragraphs aligned per quote (retrieved by rare word pairs).
CANDIDATES = 20
#: Phrase queries (rarest word pairs) and single rare terms per quote.
MAX_PAIRS = 12
MAX_TERMS = 8
#: A word in more than this share of paragraphs says nothing about where a quote came from.
COMMON_SHARE = 0.2
#: Cable subjects aligned per quote, and the ``pos`` that marks a subject line (not a paragraph).
SUBJECTS = 3
SUBJECT = -1
_APOSTROPHES = ("'", "’", "‘", "`")
_WRAP_HYPHEN = re.compile(r"-[ \t]*\n[ \t]*")


@dataclass(slots=True)
class Para:
    """A candidate paragraph: its cable, number (None when unnumbered), 0-based position and text."""

    id: str
    n: int | None
    pos: int
    text: str


@dataclass(slots=True)
class Match:
    """A quote aligned to a paragraph: score 0-100, the aligned excerpt and a word diff."""

    id: str
    paragraph: int | None
    pos: int  # 0-based paragraph position; SUBJECT (-1) for the subject line
    score: float
    excerpt: str
    diff: list[dict[str, str]] = field(default_factory=list)
    segment: int | None = None  # article paragraph of the quote piece matched (multi-paragraph quotes)

    def to_dict(self) -> dict[str, Any]:
        """One entry of a quote's ``matches`` in the trace JSON contract."""
        return {
            "id": self.id,
            "paragraph": self.paragraph,
            "score": self.score,
            "excerpt": self.excerpt,
            "diff": self.diff,
        }


def _words(text: str) -> list[tuple[str, int, int]]:
    """Folded words with original spans; "GOM's" and a word hyphenated across a line wrap are one word."""
    out: list[tuple[str, int, int]] = []
    for s in textnorm.spans(text):
        if out:
            term, a, b = out[-1]
            gap = text[b : s.start]
            if (gap in _APOSTROPHES and s.start == b + 1) or _WRAP_HYPHEN.fullmatch(gap):
                out[-1] = (term + s.term, a, s.end)
                continue
        out.append((s.term, s.start, s.end))
    return out


def fold(text: str) -> str:
    """Folded text for alignment: lower case, accents off, punctuation to single spaces."""
    return " ".join(w for w, _, _ in _words(text))


@lru_cache(maxsize=4096)
def _folded_tokens(text: str) -> tuple[str, tuple[int, ...], tuple[tuple[int, int], ...]]:
    """(folded text, folded start offset of each token, original span of each token)."""
    words = _words(text)
    starts, pos = [], 0
    for w, _, _ in words:
        starts.append(pos)
        pos += len(w) + 1
    return " ".join(w for w, _, _ in words), tuple(starts), tuple((a, b) for _, a, b in words)


def _token_range(starts: tuple[int, ...], a: int, b: int) -> tuple[int, int]:
    """Indexes [i, j) of the tokens overlapping folded offsets [a, b)."""
    i = next((k for k in range(len(starts) - 1, -1, -1) if starts[k] <= a), 0)
    j = next((k for k in range(len(starts)) if starts[k] >= b), len(starts))
    return i, max(j, i + 1)


def align(parts: list[str], text: str) -> tuple[float, int, int]:
    """(score 0-100, start, end): how well the quote's parts occur in ``text``, and where (original offsets)."""
    folded, starts, spans = _folded_tokens(text)
    if not folded or not spans:
        return 0.0, 0, 0
    total = weight = 0.0
    lo, hi = len(text), 0
    for part in parts:
        q = fold(part)
        if not q:
            continue
        if len(q) <= len(folded):
            r = fuzz.partial_ratio_alignment(q, folded)
            score, a, b = (r.score, r.dest_start, r.dest_end) if r else (0.0, 0, 0)
        else:  # the paragraph is shorter than the quote: only part of the quote can come from it
            r = fuzz.partial_ratio_alignment(folded, q)
            score, a, b = (r.score if r else 0.0) * len(folded) / len(q), 0, len(folded)
        i, j = _token_range(starts, a, b)
        lo, hi = min(lo, spans[i][0]), max(hi, spans[j - 1][1])
        total += score * len(q)
        weight += len(q)
    if not weight:
        return 0.0, 0, 0
    return round(total / weight, 1), lo, hi


def _widen(text: str, a: int, b: int, words: int = 3) -> str:
    """``text[a:b]`` widened by up to ``words`` whitespace-separated words on each side."""
    for _ in range(words):
        a = text.rfind(" ", 0, max(0, a - 1)) + 1 if a > 0 else 0
    for _ in range(words):
        nxt = text.find(" ", b + 1)
        b = len(text) if nxt < 0 else nxt
    return text[a:b]


def word_diff(excerpt: str, parts: list[str]) -> list[dict[str, str]]:
    """Word-level edits from the cable excerpt to the quote: equal / replace / delete (cable words the
    quote leaves out) / insert (quote words the cable does not have); compared on folded words."""
    cw = excerpt.split()
    qw = " ".join(parts).split()
    ck, qk = [fold(w) for w in cw], [fold(w) for w in qw]
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ck, qk, autojunk=False).get_opcodes():
        ops.append({"op": tag, "cable": " ".join(cw[i1:i2]), "quote": " ".join(qw[j1:j2])})
    return ops


class Matcher:
    """Matches quotes against the paragraph index of one database."""

    def __init__(self, index: CableIndex, *, threshold: float = THRESHOLD, candidates: int = CANDIDATES) -> None:
        self.index = index
        self.threshold = threshold
        self.candidates_n = candidates
        self.searcher = index.searcher("paragraphs")
        self.n_docs = max(1, int(self.searcher.num_docs))
        self._df: dict[str, int] = {}

    def df(self, term: str) -> int:
        """Paragraphs containing ``term`` (cached per matcher)."""
        v = self._df.get(term)
        if v is None:
            v = self._df[term] = int(self.searcher.doc_freq("text", term))
        return v

    def idf(self, term: str) -> float:
        return math.log(self.n_docs / (1 + self.df(term)))

    def query(self, parts: list[str], field: str = "text") -> tantivy.Query | None:
        """OR of the rarest word pairs (as phrases) and rarest words of the quote's parts."""
        schema, Q, Occ = self.index.schema, tantivy.Query, tantivy.Occur
        common = COMMON_SHARE * self.n_docs
        pairs: dict[tuple[str, str], float] = {}
        singles: dict[str, float] = {}
        for part in parts:
            ts = textnorm.terms(part)
            for t in ts:
                if 0 < self.df(t) <= common:
                    singles[t] = self.idf(t)
            for a, b in zip(ts, ts[1:], strict=False):
                da, db = self.df(a), self.df(b)
                if da and db and min(da, db) <= common:
                    pairs[(a, b)] = self.idf(a) + self.idf(b)
        top_pairs = sorted(pairs, key=lambda p: -pairs[p])[:MAX_PAIRS]
        top_terms = sorted(singles, key=lambda t: -singles[t])[:MAX_TERMS]
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = [
            (Occ.Should, Q.boost_query(Q.phrase_query(schema, field, list(p)), 2.0)) for p in top_pairs
        ]
        clauses += [(Occ.Should, Q.term_query(schema, field, t)) for t in top_terms]
        return Q.boolean_query(clauses) if clauses else None

    def candidates(self, parts: list[str], limit: int | None = None) -> list[Para]:
        """The paragraphs most likely to hold the quote, best first; then a few cable subjects
        (reporters quote subject lines too), which come back with ``pos`` = SUBJECT."""
        q = self.query(parts)
        if q is None:
            return []
        res = self.searcher.search(q, limit or self.candidates_n, count=False)
        out = []
        for _, addr in res.hits:
            d = self.searcher.doc(addr).to_dict()
            out.append(Para(d["id"][0], (d.get("n") or [None])[0], (d.get("pos") or [0])[0], d["text"][0]))
        sq = self.query(parts, field="subject")
        if sq is not None:
            cables = self.index.searcher("cables")
            for _, addr in cables.search(sq, SUBJECTS, count=False).hits:
                d = cables.doc(addr).to_dict()
                if d.get("subject"):
                    out.append(Para(d["id"][0], None, SUBJECT, d["subject"][0]))
        return out

    def score(self, parts: list[str], para: Para) -> Match:
        """Align the quote against one paragraph and build the match (whatever its score)."""
        score, a, b = align(parts, para.text)
        words = _widen(para.text, a, b).split()
        diff = word_diff(" ".join(words), parts)
        # The window of a character alignment may cut or overshoot the quote: widen by a few
        # words, then drop the cable words before the first and after the last word quoted.
        head = diff[0]["cable"].split() if diff and diff[0]["op"] == "delete" else []
        tail = diff[-1]["cable"].split() if len(diff) > 1 and diff[-1]["op"] == "delete" else []
        words = words[len(head) : len(words) - len(tail)]
        diff = diff[(1 if head else 0) : len(diff) - (1 if tail else 0)]
        return Match(para.id, para.n, para.pos, score, " ".join(words), diff)

    def match(self, parts: list[str], paras: list[Para] | None = None) -> list[Match]:
        """Every candidate scored, best first (ties: lower cable id, then paragraph order)."""
        paras = self.candidates(parts) if paras is None else paras
        scored = [self.score(parts, p) for p in paras]
        scored.sort(key=lambda m: (-m.score, m.id, m.pos))
        return scored
