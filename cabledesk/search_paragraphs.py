"""Paragraph searches join the cable index for the cable fields paragraph documents lack.

A paragraph document carries its text, number and marking plus a few of its cable's fields
(:data:`~cabledesk.store.index.PARAGRAPH_COPIES`: the keys, the facet fields, the date). A part of
the query that only names other cable fields (``origin:``, ``subject:``, ``to:``, ``info:``,
``signer:``, ``classifiedby:``, ``cites:``, and any AND/OR/NOT of them) is run on the cable index
and stands in the paragraph query as the set of matching cables: "one of these", or, when most
cables match, "none of the others". The answers are the ones the copied fields gave; a joined part
scores a constant, like the other filters. Hits take subject, date, origin and classification
from their cable's document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tantivy

from cabledesk.query import Keyword, Node, Not, Range, Text, compile_query
from cabledesk.store.index import (
    PARAGRAPH_COPIES,
    CableIndex,
    cable_hash,
    match_count,
    matching_id_values,
    matching_keys,
)

#: Index fields every paragraph document has: its own, and the cable fields it copies.
PARAGRAPH_FIELDS = frozenset(PARAGRAPH_COPIES) | {"text", "marking", "n", "pmark", "pos"}
#: Up to this many cables, a join names them by id (a terms aggregation, then a term set on the
#: ``id`` field: 2-4 ms for 2,000 cables at 251k); beyond it by ``cid`` (read from the fast
#: column of a top-n search; a ``cid`` term set scans a column, 13+ ms even for a few keys).
ID_JOIN_MAX = 20_000


def cable_only(node: Node) -> bool:
    """True when every leaf of ``node`` names a cable field that paragraph documents lack."""
    if isinstance(node, Text | Keyword):
        return node.field not in PARAGRAPH_FIELDS
    if isinstance(node, Range):
        return False
    if isinstance(node, Not):
        return cable_only(node.item)
    return all(cable_only(it) for it in node.items)


def paragraph_query(index: CableIndex, ast: Node, id_join_max: int = ID_JOIN_MAX) -> tantivy.Query:
    """The paragraph-index query of ``ast``: its largest cable-only parts joined, the rest as is."""
    schema = index.schema
    cables: tantivy.Searcher | None = None

    def join(node: Node) -> tantivy.Query | None:
        nonlocal cables
        if not cable_only(node):
            return None
        if cables is None:
            cables = index.searcher("cables")
        return _joined(cables, schema, compile_query(node, schema), id_join_max)

    return compile_query(ast, schema, join)


def _joined(cables: tantivy.Searcher, schema: tantivy.Schema, q: tantivy.Query, id_max: int) -> tantivy.Query:
    """Paragraphs whose cable matches ``q``, named by the smaller side (the matches or the rest)."""
    Q, Occ = tantivy.Query, tantivy.Occur
    n = int(cables.num_docs)
    total = match_count(cables, q)
    if total * 2 <= n:
        return Q.const_score_query(_cable_set(cables, schema, q, total, id_max), 1.0)
    rest = Q.boolean_query([(Occ.Must, Q.all_query()), (Occ.MustNot, q)])
    return Q.boolean_query(
        [
            (Occ.Must, Q.all_query()),  # scores 1.0, like the constant-scored side above
            (Occ.MustNot, _cable_set(cables, schema, rest, match_count(cables, rest), id_max)),
        ]
    )


def _cable_set(
    cables: tantivy.Searcher, schema: tantivy.Schema, q: tantivy.Query, total: int, id_max: int
) -> tantivy.Query:
    """The paragraphs of the ``total`` cables matching ``q`` (by id when few, by ``cid`` when many)."""
    if total <= 0:
        return tantivy.Query.empty_query()
    if total <= id_max:
        return tantivy.Query.term_set_query(schema, "id", matching_id_values(cables, q, total))
    return tantivy.Query.term_set_query(schema, "cid", matching_keys(cables, q, total))


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


__all__ = ["ID_JOIN_MAX", "PARAGRAPH_FIELDS", "cable_fields", "cable_only", "paragraph_query"]
