"""Facet counts split into parts (what a Cablegate-sized index needs) equal the one-request counts."""

from __future__ import annotations

import pytest
import tantivy

from cabledesk.query import compile_query, parse
from cabledesk.search import _split_count, facet_count
from cabledesk.store.index import FACET_FIELDS, CableIndex

STRING_FACETS = [f for name, f in FACET_FIELDS.items() if name != "year"]


@pytest.mark.parametrize("field", STRING_FACETS)
@pytest.mark.parametrize("query", ["", "sedena OR semar", "tag:PREL -tag:PGOV", "class:secret"])
def test_counting_a_facet_in_leading_character_parts_gives_the_same_exact_counts(
    index: CableIndex, field: str, query: str
) -> None:
    # tantivy refuses one aggregation over many segments x many values ("bucket limit"); the
    # fallback counts disjoint parts of the values. On the real corpus both ways must agree.
    searcher = index.searcher("cables")
    q = tantivy.Query.all_query() if not query else compile_query(parse(query), index.schema)
    whole = facet_count(searcher, q, field, 65_000)
    assert whole, "the facet has values for this query"
    assert _split_count(searcher, q, field, 65_000, "") == dict(
        sorted(whole.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    top = _split_count(searcher, q, field, 5, "")
    assert list(top.values()) == sorted(whole.values(), reverse=True)[:5]
    assert all(whole[k] == v for k, v in top.items())


def test_a_part_split_again_keeps_every_value_including_one_ending_at_the_prefix(index: CableIndex) -> None:
    searcher = index.searcher("cables")
    q = tantivy.Query.all_query()
    whole = facet_count(searcher, q, "tag", 65_000)
    part = {k: v for k, v in whole.items() if k[:1].upper() in "ABCDEF"}
    assert part
    assert _split_count(searcher, q, "tag", 65_000, "[A-Fa-f]") == dict(
        sorted(part.items(), key=lambda kv: (-kv[1], kv[0]))
    )
