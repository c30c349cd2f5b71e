"""Trace a published article back to the cables and paragraphs behind it.

:func:`trace` extracts every quotation (:mod:`cabledesk.trace_quotes`), matches each one to a cable
paragraph or reports it unmatched with its best near miss (:mod:`cabledesk.trace_match`), then ranks
the cables behind the story by combining quote matches with the article's other evidence
(:mod:`cabledesk.trace_evidence`): dates, signers and their roles, posts, paraphrased facts.
``TraceResult.to_dict()`` is the JSON contract of ``cabledesk trace --json`` and ``/api/trace``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cabledesk.desk import Desk
from cabledesk.trace_evidence import CableRank, rank_cables
from cabledesk.trace_match import Match, Matcher
from cabledesk.trace_quotes import ArticleKind, Quote, article_text, extract, kind_of

Status = Literal["matched", "unmatched", "too_short"]
#: A second cable (the same text sent twice) is listed when it scores within this of the best match.
SAME_TEXT_MARGIN = 1.0
#: Short quotes (fewer than SHORT_WORDS words) are generic: any cable scoring above the threshold
#: and within SHORT_MARGIN of the best stays a candidate, and the article's context picks among them.
SHORT_WORDS, SHORT_MARGIN = 10, 10.0
MAX_MATCHES = 3


@dataclass(slots=True)
class QuoteResult:
    """One quotation and its verdict: matched (with matches), unmatched (best near miss) or too_short."""

    quote: Quote
    status: Status
    matches: list[Match] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """One entry of ``quotes`` in the trace JSON contract."""
        q = self.quote
        return {
            "text": q.text,
            "start": q.start,
            "end": q.end,
            "status": self.status,
            "matches": [m.to_dict() for m in self.matches],
        }


@dataclass(slots=True)
class TraceResult:
    """Everything traced from one article: its text, its quotes in order, its cables in rank order."""

    text: str
    quotes: list[QuoteResult]
    cables: list[CableRank]
    elapsed_ms: float = 0.0
    threshold: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``cabledesk trace --json`` (names fixed; other tools read them)."""
        return {"quotes": [q.to_dict() for q in self.quotes], "cables": [c.to_dict() for c in self.cables]}

    def counts(self) -> dict[str, int]:
        """Quotes by status (for summaries)."""
        out = {"matched": 0, "unmatched": 0, "too_short": 0}
        for q in self.quotes:
            out[q.status] += 1
        return out


def match_quote(matcher: Matcher, quote: Quote) -> QuoteResult:
    """Verdict for one quote; a multi-paragraph quote may match each of its paragraphs separately."""
    if quote.too_short:
        return QuoteResult(quote, "too_short")
    scored = matcher.match(quote.parts)
    best = scored[0] if scored else None
    if best is not None and best.score >= matcher.threshold:
        margin = SHORT_MARGIN if quote.words < SHORT_WORDS else SAME_TEXT_MARGIN
        same = [m for m in scored[1:] if m.score >= max(matcher.threshold, best.score - margin)]
        return QuoteResult(quote, "matched", [best, *same][:MAX_MATCHES])
    if len(set(quote.segments)) > 1:  # quoted across article paragraphs: try each piece on its own
        pieces = []
        for seg in dict.fromkeys(quote.segments):
            parts = [p for p, s in zip(quote.parts, quote.segments, strict=True) if s == seg]
            got = matcher.match(parts)
            if got:
                got[0].segment = seg
                pieces.append(got[0])
        if pieces and all(m.score >= matcher.threshold for m in pieces):
            return QuoteResult(quote, "matched", pieces[:MAX_MATCHES])
    return QuoteResult(quote, "unmatched", [best] if best is not None else [])


def prefer_supported(results: list[QuoteResult]) -> None:
    """When a quote's text is in several cables with the same score, put first the cable that the
    article's other quotes come from (a sentence repeated across cables is attributed in context)."""
    support: dict[str, int] = {}
    for r in results:
        if r.status == "matched":
            for cid in {m.id for m in r.matches}:
                support[cid] = support.get(cid, 0) + 1
    for r in results:
        if r.status == "matched" and len({m.id for m in r.matches}) > 1 and r.matches[0].segment is None:
            # Support from the *other* quotes: this quote's own candidates each count once.
            r.matches.sort(key=lambda m: (-support.get(m.id, 0), -m.score))


def trace(desk: Desk, raw: str, kind: ArticleKind = "txt", *, matcher: Matcher | None = None) -> TraceResult:
    """Trace one article (plain text, Markdown or HTML) against the desk's cables."""
    t0 = time.perf_counter()
    text = article_text(raw, kind)
    matcher = matcher or Matcher(desk.index)
    results = [match_quote(matcher, q) for q in extract(text)]
    prefer_supported(results)
    cables = rank_cables(desk, matcher, text, results)
    return TraceResult(text, results, cables, round((time.perf_counter() - t0) * 1000, 1), matcher.threshold)


def trace_file(desk: Desk, path: str | Path, *, matcher: Matcher | None = None) -> TraceResult:
    """Trace an article file; its kind (txt, md, html) comes from the file name."""
    p = Path(path)
    return trace(desk, p.read_text(encoding="utf-8", errors="replace"), kind_of(p), matcher=matcher)
