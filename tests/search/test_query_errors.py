"""Malformed queries: QueryError with the right position and a useful suggestion, never a trace."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cabledesk.errors import QueryError
from cabledesk.query import And, Not, Or, Text, parse
from cabledesk.search import search
from cabledesk.store.index import CableIndex


@pytest.mark.parametrize(
    ("query", "position", "needle"),
    [
        ("orign:mexico", 0, "did you mean 'origin:'"),
        ("cartels tgs:SNAR", 8, "did you mean 'tag:'"),
        ('"zero-sum competition', 0, "unbalanced quote"),
        ('cartels "army police', 8, "unbalanced quote"),
        ("(sedena OR semar", 0, "unbalanced '('"),
        ("sedena semar)", 12, "unbalanced ')'"),
        ("date:2009-13", 5, "bad date"),
        ("date:2009-02-30", 5, "bad date"),
        ("date:2010..2009", 5, "ends before it starts"),
        ("year:09", 5, "bad year"),
        ("class:sekret", 6, "unknown classification"),
        ("origin:", 0, "missing value"),
        ("sedena OR", 7, "OR at 7"),
        ("OR sedena", 0, "OR at 0"),
        ("NOT", 0, "NOT at 0"),
        ('"army police"~', 13, "'~'"),
        ("x*", 0, "too short"),
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("!!! ---", 0, "nothing to search for"),
    ],
)
def test_malformed_query_reports_position(index: CableIndex, query: str, position: int, needle: str) -> None:
    with pytest.raises(QueryError) as err:
        search(index, query)
    assert err.value.position == position
    assert needle in err.value.message
    assert err.value.suggestion
    assert err.value.to_dict()["position"] == position


def test_unknown_field_message_reads_like_the_spec() -> None:
    with pytest.raises(QueryError) as err:
        parse("orign:mexico")
    assert str(err.value) == "unknown field 'orign:' at 0 — did you mean 'origin:'?"


def test_words_with_colons_and_numbers_stay_words() -> None:
    assert parse("10:30") == Text("text", ("10", "30"), 0, phrase=True)
    assert parse("note: cartels") == And((Text("text", ("note",), 0), Text("text", ("cartels",), 6)))


def test_or_binds_tighter_than_implicit_and() -> None:
    a, b, c = (Text("text", (w,), p) for w, p in (("a", 0), ("b", 5), ("c", 7)))
    assert parse("a OR b c") == And((Or((a, b)), c))
    assert parse("-a") == Not(Text("text", ("a",), 1))


_ALPHABET = st.sampled_from(
    list('abcOR NOT-()"*~:.,/\\[]{}^$?+|&!é¶ \t')
    + ["origin:", "tag:", "date:", "class:", "marking:", "..", "2009", "~5", "OR ", "AND "]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=60), st.lists(_ALPHABET, max_size=25).map("".join)))
def test_any_string_gives_a_result_or_a_query_error(index: CableIndex, query: str) -> None:
    try:
        res = search(index, query, limit=3)
    except QueryError as exc:
        assert 0 <= exc.position <= max(len(query), 1) and exc.message
    else:
        assert res.total >= len(res.hits)
