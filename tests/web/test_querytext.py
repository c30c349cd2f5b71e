"""Query editing behind facet and timeline links, and safe highlight cutting."""

from __future__ import annotations

from cabledesk.web.querytext import facet_term, segments, toggle_term, with_date_range


def test_facet_terms_quote_values_with_spaces_and_lower_levels() -> None:
    assert facet_term("tag", "SNAR") == "tag:SNAR"
    assert facet_term("origin", "Embassy Mexico") == 'origin:"Embassy Mexico"'
    assert facet_term("classification", "TOP SECRET") == 'class:"top secret"'
    assert facet_term("signer", 'A "B"') == 'signer:"A  B"'


def test_toggle_adds_then_removes_only_the_whole_term() -> None:
    q = toggle_term("mexico", "tag:SNAR")
    assert q == "mexico tag:SNAR"
    assert toggle_term(q, "tag:SNAR") == "mexico"
    assert toggle_term("mexico tag:SNARX", "tag:SNAR") == "mexico tag:SNARX tag:SNAR"


def test_date_range_replaces_an_existing_date_term() -> None:
    assert with_date_range("a date:2001 b", "2009-10", "2010-01") == "a b date:2009-10..2010-01"
    assert with_date_range("a date:2009-10..2010-01", "", "") == "a"
    assert with_date_range("a", "junk", "2010-01") == "a date:..2010-01"


def test_segments_follow_offsets_and_ignore_bad_spans() -> None:
    assert segments("abcdef", [[1, 3]]) == [("a", False), ("bc", True), ("def", False)]
    assert segments("abc", [[2, 99], [1, 2], [5, 4]]) == [("a", False), ("b", True), ("c", True)]
    assert segments("abc", None) == [("abc", False)]
