"""Evaluation on the hand-made articles (tests/trace/articles/*.expected.json, written independently).

Figures at the time of writing (14 articles, 146 quotes expected matched): right cable precision
1.000 and recall 1.000, right paragraph 0.993 / 0.993, top-ranked cable right for 14/14 articles.
The floors below leave room for new articles, not for regressions on these.
"""

from __future__ import annotations

import pytest
from trace_eval import articles, evaluate

from cabledesk.desk import Desk

MIN_PRECISION = 0.95  # right cable among quotes that come out matched
MIN_RECALL = 0.90  # right cable among quotes expected matched
MIN_PARAGRAPH_RECALL = 0.90
MIN_TOP_CABLE = 0.9  # share of articles whose first ranked cable is the expected first


def test_articles_are_traced_to_the_right_cables_and_paragraphs(desk: Desk) -> None:
    if not articles():
        pytest.skip("no expected articles yet")
    s = evaluate(desk)
    report = "\n".join(s.problems)
    assert s.precision >= MIN_PRECISION, report
    assert s.recall >= MIN_RECALL, report
    assert s.paragraph_recall >= MIN_PARAGRAPH_RECALL, report
    assert s.top_cable >= MIN_TOP_CABLE * s.articles, report


def test_unmatched_and_too_short_quotes_come_out_exactly_so(desk: Desk) -> None:
    if not articles():
        pytest.skip("no expected articles yet")
    s = evaluate(desk)
    wrong = [p for p in s.problems if ": expected unmatched" in p or ": expected too_short" in p]
    assert not wrong, "\n".join(wrong)
