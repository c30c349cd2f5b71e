"""Paragraph searches join the cable index through ``cid`` for the cable fields paragraphs lack.

A paragraph document carries its text, number and marking plus a few of its cable's fields
(:data:`~cabledesk.store.index.PARAGRAPH_COPIES`: the keys, the facet fields, the date). A query
leaf on any other cable field (``origin:``, ``subject:``, ``to:``, ``info:``, ``signer:``,
``classifiedby:``, ``cites:``) is run on the cable index, and stands in the paragraph query as the
set of matching cable keys (or, when most cables match, as "not one of the others"). The answers
are the ones the copied fields gave; the joined leaves score a constant, like the other filters.
Hits take subject, date, origin and classification from their cable's document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tantivy

from cabledesk.query import Keyword, Node, Text, compile_query
from cabledesk.store.index import PARAGRAPH_COPIES, CableIndex, cable_hash

#: Index fields every paragraph document has: its own, and the cable fields it copies.
PARAGRAPH_FIELDS = frozenset(PARAGRAPH_COPIES) | {"text", "marking", "n", "pmark", "pos"}


def paragraph_query(index: CableIndex, ast: Node) -> tantivy.Query:
    """The paragraph-index query of ``ast``: leaves on cable-only fields joined through ``cid``."""
    schema = index.schema
    cables: tantivy.Searcher | None = None

    def join(leaf: Text | Keyword) -> tantivy.Query | None:
        nonlocal cables
        if leaf.field in PARAGRAPH_FIELDS:
            return None
        if cables is None:
            cables = index.searcher("cables")
        return _joined(cables, schema, compile_query(leaf, schema))

    return compile_query(ast, schema, join)


def _joined(cables: tantivy.Searcher, schema: tantivy.Schema, q: tantivy.Query) -> tantivy.Query:
    """Paragraphs whose cable matches ``q``: a key set of the smaller side (matching or not)."""
    Q, Occ = tantivy.Query, tantivy.Occur
    n = int(cables.num_docs)
    total = _count(cables, q)
    if total * 2 <= n:
        keys = _keys(cables, q, total)
        return Q.const_score_query(Q.term_set_query(schema, "cid", keys), 1.0) if keys else Q.empty_query()
    rest = Q.boolean_query([(Occ.Must, Q.all_query()), (Occ.MustNot, q)])
    others = _keys(cables, rest, _count(cables, rest))
    if not others:
        return Q.const_score_query(Q.all_query(), 1.0)
    return Q.boolean_query(
        [(Occ.Must, Q.const_score_query(Q.all_query(), 1.0)), (Occ.MustNot, Q.term_set_query(schema, "cid", others))]
    )


def _count(searcher: tantivy.Searcher, q: tantivy.Query) -> int:
    return int(getattr(searcher.search(q, 1, count=True), "count", 0) or 0)


def _keys(searcher: tantivy.Searcher, q: tantivy.Query, total: int) -> list[int]:
    """The ``cid`` of every document matching ``q`` (``total`` of them)."""
    if total <= 0:
        return []
    addrs = [addr for _score, addr in searcher.search(q, total, count=False).hits]
    return [int(v) for v in searcher.fast_field_values("cid", addrs) if v is not None]


def cable_fields(index: CableIndex, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{cable id: its stored fields} for the cables of a page of paragraph hits (one query)."""
    keys = [cable_hash(i) for i in dict.fromkeys(ids)]
    if not keys:
        return {}
    searcher = index.searcher("cables")
    res = searcher.search(tantivy.Query.term_set_query(index.schema, "cid", keys), len(keys), count=False)
    out: dict[str, dict[str, Any]] = {}
    for _score, addr in res.hits:
        d = searcher.doc(addr).to_dict()
        out[str(d["id"][0])] = d
    return out


__all__ = ["PARAGRAPH_FIELDS", "cable_fields", "paragraph_query"]
