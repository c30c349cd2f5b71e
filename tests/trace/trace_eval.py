"""Scoring the engine against the hand-made articles (used by the evaluation test and by hand).

    python tests/trace/trace_eval.py DB    # prints per-article and overall figures
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cabledesk.desk import Desk
from cabledesk.trace import TraceResult, trace
from cabledesk.trace_match import Matcher
from cabledesk.trace_quotes import article_text, kind_of

ARTICLES = Path(__file__).with_name("articles")


@dataclass
class Score:
    """Quote-level counts over the expected quotes of one or more articles."""

    positives: int = 0  # expected matched
    predicted: int = 0  # came out matched (any expected status)
    right_cable: int = 0  # expected matched, top match = expected cable
    right_paragraph: int = 0
    top_cable: int = 0  # articles whose first ranked cable is the expected first
    articles: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right_cable / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.right_cable / self.positives if self.positives else 1.0

    @property
    def paragraph_precision(self) -> float:
        return self.right_paragraph / self.predicted if self.predicted else 1.0

    @property
    def paragraph_recall(self) -> float:
        return self.right_paragraph / self.positives if self.positives else 1.0


def articles() -> list[tuple[Path, dict[str, Any]]]:
    """Every article with an expected file."""
    out = []
    for exp in sorted(ARTICLES.glob("*.expected.json")):
        stem = exp.name[: -len(".expected.json")]
        found = [p for p in ARTICLES.glob(stem + ".*") if p.suffix in (".md", ".txt", ".html", ".htm")]
        if found:
            out.append((found[0], json.loads(exp.read_text(encoding="utf-8"))))
    return out


def _locate(text: str, quote: str, after: int) -> int:
    i = text.find(quote, after)
    return i if i >= 0 else text.find(quote)


def _paragraph_index(text: str, offset: int) -> int:
    from cabledesk.trace_quotes import paragraphs

    return next((i for i, (a, b) in enumerate(paragraphs(text)) if a <= offset < b), -1)


def score_article(path: Path, expected: dict[str, Any], result: TraceResult, s: Score) -> None:
    """Add one article's figures to ``s``; problems name the quote and what came out."""
    text = result.text
    s.articles += 1
    if expected.get("cables") and result.cables and result.cables[0].id == expected["cables"][0]:
        s.top_cable += 1
    elif expected.get("cables"):
        got = result.cables[0].id if result.cables else None
        s.problems.append(f"{path.name}: top cable {got}, expected {expected['cables'][0]}")
    pos = 0
    for eq in expected["quotes"]:
        at = _locate(text, eq["text"], pos)
        if at < 0:
            s.problems.append(f"{path.name}: expected quote not in the article text: {eq['text'][:50]!r}")
            continue
        pos = at + 1
        end = at + len(eq["text"])
        qr = next((q for q in result.quotes if q.quote.start < end and at < q.quote.end), None)
        status = qr.status if qr else "missing"
        top = qr.matches[0] if qr and qr.matches and status == "matched" else None
        if top is not None and qr is not None and len(qr.matches) > 1 and qr.matches[0].segment is not None:
            seg = _paragraph_index(text, at)  # a quote over article paragraphs: the piece holding this text
            top = next((m for m in qr.matches if m.segment == seg), top)
        if status == "matched":
            s.predicted += 1
        if eq["status"] == "matched":
            s.positives += 1
            if top and top.id == eq["id"]:
                s.right_cable += 1
                if top.paragraph == eq["paragraph"]:
                    s.right_paragraph += 1
        ok = status == eq["status"] and (
            eq["status"] != "matched" or (top is not None and (top.id, top.paragraph) == (eq["id"], eq["paragraph"]))
        )
        if not ok:
            got = f"{status} {top.id} ¶{top.paragraph} {top.score}" if top else status
            near = f" (near miss {qr.matches[0].id} ¶{qr.matches[0].paragraph} {qr.matches[0].score})" \
                if qr and qr.matches and not top else ""
            s.problems.append(
                f"{path.name}: {eq['text'][:60]!r}: expected {eq['status']} {eq.get('id')} ¶{eq.get('paragraph')}, got {got}{near}"
            )


def evaluate(desk: Desk) -> Score:
    """Trace every article and score it."""
    s = Score()
    matcher = Matcher(desk.index)
    for path, expected in articles():
        raw = path.read_text(encoding="utf-8")
        result = trace(desk, raw, kind_of(path), matcher=matcher)
        assert result.text == article_text(raw, kind_of(path))
        score_article(path, expected, result, s)
    return s


if __name__ == "__main__":
    with Desk(sys.argv[1], readonly=True) as d:
        sc = evaluate(d)
    print(f"articles {sc.articles}; quotes expected matched {sc.positives}; came out matched {sc.predicted}")
    print(f"cable precision {sc.precision:.3f} recall {sc.recall:.3f}; paragraph precision "
          f"{sc.paragraph_precision:.3f} recall {sc.paragraph_recall:.3f}; top cable {sc.top_cable}/{sc.articles}")
    for p in sc.problems:
        print(" -", p)
