"""Mutated real queries: a result or a QueryError with a position, never another exception."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutate import MUTATIONS, mutate_text

from cabledesk.errors import QueryError
from cabledesk.search import search
from cabledesk.store.index import CableIndex

#: Queries a reporter would type (the seeds the mutations damage).
QUERIES = [
    'origin:"Embassy Mexico" date:2009..2010 cartel', 'tag:PGOV AND NOT class:unclassified',
    '"strictly protect" -origin:state', "cites:09STATE15113", "marking:NF year:2008 (iran OR tehran)",
    "signer:feeley subject:narco*", '"nuclear program"~5 classifiedby:ambassador', "date:2010-01-29",
    "to:secstate info:usnato caveat:noforn", "petraeus nazarbayev",
]  # fmt: skip
_SURROGATE = re.compile("[\ud800-\udfff]")
_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(which=st.integers(0, 100), mutations=MUTATIONS, facets=st.booleans(), paragraphs=st.booleans())
def test_mutated_query_gives_a_result_or_a_positioned_query_error(
    empty_index: CableIndex,
    which: int,
    mutations: list[tuple[str, float, int, str]],
    facets: bool,
    paragraphs: bool,
) -> None:
    query = mutate_text(QUERIES[which % len(QUERIES)], mutations)
    try:
        res = search(empty_index, query, limit=5, paragraphs=paragraphs, facets=facets)
    except QueryError as exc:
        assert 0 <= exc.position <= max(len(query), 1) and exc.message
    else:
        assert res.total >= len(res.hits)


def test_query_with_a_lone_surrogate_is_a_query_error_not_a_crash(empty_index: CableIndex) -> None:
    # Found by bench/fuzz.py: a non-UTF-8 shell argument becomes a lone surrogate in sys.argv.
    with pytest.raises(QueryError) as err:
        search(empty_index, "cartel \udcff", limit=5)
    assert err.value.position == 7
