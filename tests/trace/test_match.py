"""Matching quotes to real cable paragraphs, with the perturbations reporters apply, and honest misses.

Each quote is cut from the real cable text here, then perturbed by the test itself; the expected
cable and paragraph are the ones the text was cut from.
"""

from __future__ import annotations

import re

import pytest

from cabledesk.desk import Desk
from cabledesk.trace import match_quote
from cabledesk.trace_match import THRESHOLD, Matcher, word_diff
from cabledesk.trace_quotes import extract


def _sentence(desk: Desk, cable_id: str, n: int, k: int = 0) -> str:
    """The k-th sentence of paragraph n of a real cable (whitespace collapsed)."""
    para = next(p for p in desk.cable(cable_id).paragraphs if p.n == n)
    sents = re.split(r"(?<=[.!?])\s+", " ".join(para.text.split()))
    return sents[k]


def _verdict(matcher: Matcher, quote: str):
    q = extract(f"The cable said “{quote}” on the record.")[0]
    return match_quote(matcher, q)


def _assert_matched(matcher: Matcher, quote: str, cable_id: str, n: int) -> None:
    v = _verdict(matcher, quote)
    assert v.status == "matched", (quote, [(m.id, m.paragraph, m.score) for m in v.matches])
    assert (v.matches[0].id, v.matches[0].paragraph) == (cable_id, n)
    assert v.matches[0].score >= THRESHOLD


def test_verbatim_sentence_matches_its_paragraph_with_score_100(desk: Desk, matcher: Matcher) -> None:
    s = _sentence(desk, "10MEXICO83", 5, 2)
    v = _verdict(matcher, s)
    assert v.status == "matched" and v.matches[0].score == 100
    assert (v.matches[0].id, v.matches[0].paragraph) == ("10MEXICO83", 5)
    assert v.matches[0].excerpt == s.rstrip(".") or v.matches[0].excerpt == s
    assert all(op["op"] == "equal" for op in v.matches[0].diff)


def test_case_and_punctuation_and_quote_style_changes_still_match(desk: Desk, matcher: Matcher) -> None:
    s = _sentence(desk, "10MEXICO83", 5, 2)
    changed = s.lower().replace(",", "").replace("’", "'").replace("-", " ")
    _assert_matched(matcher, changed, "10MEXICO83", 5)


def test_ellipsis_gap_matches_and_the_diff_shows_the_omitted_words(desk: Desk, matcher: Matcher) -> None:
    words = _sentence(desk, "10MEXICO83", 5, 0).split()
    omitted = words[8:12]
    quote = " ".join(words[:8]) + " ... " + " ".join(words[12:])
    v = _verdict(matcher, quote)
    assert v.status == "matched" and (v.matches[0].id, v.matches[0].paragraph) == ("10MEXICO83", 5)
    deleted = " ".join(op["cable"] for op in v.matches[0].diff if op["op"] == "delete")
    assert deleted == " ".join(omitted)


def test_a_changed_word_matches_and_is_reported_as_a_replacement(desk: Desk, matcher: Matcher) -> None:
    words = _sentence(desk, "10MEXICO83", 6, 3).split()
    original = words[5]
    words[5] = "elephants"
    v = _verdict(matcher, " ".join(words))
    assert v.status == "matched" and (v.matches[0].id, v.matches[0].paragraph) == ("10MEXICO83", 6)
    assert {"op": "replace", "cable": original, "quote": "elephants"} in v.matches[0].diff


@pytest.mark.parametrize(("cable_id", "n", "k"), [("79TEHRAN8980", 3, 0), ("01PRETORIA1173", 8, 0)])
def test_all_caps_cables_match_a_quote_in_sentence_case(
    desk: Desk, matcher: Matcher, cable_id: str, n: int, k: int
) -> None:
    s = _sentence(desk, cable_id, n, k)
    assert s.isupper()
    sentence_case = s[0] + s[1:].lower()
    v = _verdict(matcher, sentence_case)
    assert v.status == "matched" and (v.matches[0].id, v.matches[0].paragraph) == (cable_id, n)
    assert v.matches[0].excerpt.isupper()  # the excerpt is the cable's own text


def test_a_word_hyphenated_across_a_line_wrap_folds_to_one_word() -> None:
    from cabledesk.trace_match import align, fold

    assert fold("the govern-\n   ment of Mexico’s") == "the government of mexicos"
    score, a, b = align(["the government of Mexico's army"], "SAID THE GOVERN-\n  MENT OF MEXICO'S ARMY WAS")
    assert score == 100


def test_public_statement_not_in_any_cable_is_unmatched_with_a_near_miss(matcher: Matcher) -> None:
    statement = (
        "The United States strongly condemns the illegal disclosure of classified information, "
        "which puts lives at risk and threatens our national security."
    )
    v = _verdict(matcher, statement)
    assert v.status == "unmatched"
    assert len(v.matches) == 1 and v.matches[0].score < THRESHOLD  # the near miss, shown as such


def test_too_short_quote_is_never_matched(matcher: Matcher) -> None:
    v = _verdict(matcher, "risk averse")
    assert v.status == "too_short" and v.matches == []


def test_word_diff_ops_go_from_cable_words_to_quote_words() -> None:
    ops = word_diff("Calderon has aggressively attacked the cartels", ["Calderon has attacked the CARTELS today"])
    assert [o["op"] for o in ops] == ["equal", "delete", "equal", "insert"]
    assert ops[1] == {"op": "delete", "cable": "aggressively", "quote": ""}
    assert ops[3] == {"op": "insert", "cable": "", "quote": "today"}
