"""Paragraph documents no longer copy every cable field: paragraph searches join the cable index
through ``cid`` and give exactly what an index whose paragraphs copy every field gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy

from cabledesk import textnorm
from cabledesk.model import Cable
from cabledesk.query import compile_query, expand_derived, parse
from cabledesk.search import _count, _first, _top, search
from cabledesk.search_paragraphs import cable_only, paragraph_query
from cabledesk.store.index import (
    FACET_FIELDS,
    PARAGRAPH_COPIES,
    CableIndex,
    _common_fields,
    _document,
    _own_fields,
    build_schema,
    cable_document,
    cable_documents,
)

#: Paragraph queries on every joined field, alone, combined, negated and in OR with body words.
QUERIES = [
    "origin:mexico",
    "cartels origin:mexico",
    "from:mexico marking:S",
    "subject:drug",
    "army subject:police",
    "to:secstate violence",
    "info:guatemala",
    "signer:garza",
    "classifiedby:ambassador",
    "cites:09MEXICO*",
    "cartels -origin:mexico",
    "NOT to:secstate",
    "cartels OR subject:election",
    "(origin:mexico OR origin:bogota) -subject:drug army",
    "subject:drug date:2009",
    "tag:SNAR NOT info:*",
    "origin:nowhereatall",
]


@pytest.fixture(scope="module")
def copied_index(tmp_path_factory: pytest.TempPathFactory, cables: list[Cable]) -> Iterator[CableIndex]:
    """An index as earlier versions wrote it: every paragraph document copies every cable field."""
    path = tmp_path_factory.mktemp("copied") / "cabledesk.db.index"
    for kind, schema in (("cables", build_schema(store_text=False)), ("paragraphs", build_schema())):
        (path / kind).mkdir(parents=True)
        ix = tantivy.Index(schema, path=str(path / kind))
        ix.register_tokenizer(textnorm.FOLD, textnorm.analyzer())
        w = ix.writer(50_000_000, 1)
        for c in cables:
            if kind == "cables":
                w.add_document(cable_document(c))
            else:
                for p in _own_fields(c)[1]:
                    w.add_document(_document({**_common_fields(c), **p}))
        w.commit()
        w.wait_merging_threads()
    ix = CableIndex(path)
    yield ix
    ix.close()


def _joined(index: CableIndex, query: str) -> tuple[int, list[tuple[str, int, str]], dict[str, object], set[tuple]]:
    """What a paragraph search answers now (cable-only fields joined through the cable index)."""
    res = search(index, query, paragraphs=True, limit=100_000)
    found = sorted((h["id"], h["paragraph"] or 0, h["marking"] or "") for h in res.hits)
    shown = {(h["id"], h["subject"], h["created"], h["origin"], h["classification"]) for h in res.hits}
    return res.total, found, res.facets, shown


def _copied(index: CableIndex, query: str) -> tuple[int, list[tuple[str, int, str]], dict[str, object], set[tuple]]:
    """What the paragraph search of earlier versions answered: the query as it is, on copied fields."""
    tq = compile_query(expand_derived(parse(query), None), index.schema)
    searcher = index.searcher("paragraphs")
    res = searcher.search(tq, 100_000, count=True)
    docs = [searcher.doc(addr).to_dict() for _score, addr in res.hits]
    found = sorted((d["id"][0], _first(d, "n") or 0, _first(d, "pmark") or "") for d in docs)
    shown = {
        (d["id"][0], _first(d, "subject"), _first(d, "created"), _first(d, "origin_f"), _first(d, "label") or _first(d, "class"))
        for d in docs
    }
    facets = _top(_count(searcher, tq, 1000)) if res.count else {name: {} for name in FACET_FIELDS}
    return int(res.count), found, facets, shown


@pytest.mark.parametrize("query", QUERIES)
def test_joined_paragraph_search_answers_what_copied_fields_answered(
    index: CableIndex, copied_index: CableIndex, query: str
) -> None:
    assert _joined(index, query) == _copied(copied_index, query)
    assert _joined(copied_index, query) == _copied(copied_index, query)  # old indexes, new search


def test_the_join_queries_match_something_and_filter_something(index: CableIndex) -> None:
    everything = index.stats()["paragraphs"]
    totals = {q: search(index, q, paragraphs=True, limit=0, facets=False).total for q in QUERIES}
    assert totals["origin:nowhereatall"] == 0
    assert sum(0 < t < everything for t in totals.values()) >= len(QUERIES) - 3, totals


def test_origin_filter_in_paragraph_mode_equals_brute_force(index: CableIndex, by_id: dict[str, Cable]) -> None:
    res = search(index, "army -origin:mexico", paragraphs=True, limit=100_000, facets=False)
    want = sorted(
        (c.id, p.n or 0)
        for c in by_id.values()
        if "mexico" not in textnorm.terms(c.origin or "")
        for p in c.paragraphs
        if "army" in textnorm.terms(p.text)
    )  # a list: some cables number two paragraphs alike
    assert sorted((h["id"], h["paragraph"] or 0) for h in res.hits) == want
    assert res.total == len(want) > 0


def test_paragraph_documents_copy_only_keys_facets_and_date(cables: list[Cable]) -> None:
    for c in cables[:100]:
        _id, _cable, paras = cable_documents(c)
        for doc in paras:
            copied = set(json.loads(doc)) - {"text", "pos", "n", "pmark", "marking"}
            assert copied <= set(PARAGRAPH_COPIES), c.id
            assert {"id", "cid"} <= copied


def test_paragraph_hits_show_their_cable_fields(index: CableIndex, by_id: dict[str, Cable]) -> None:
    for h in search(index, "cartels", paragraphs=True, limit=50, facets=False).hits:
        c = by_id[h["id"]]
        assert h["subject"] == c.subject
        assert h["created"] == (c.created.isoformat() if c.created else None)
        assert h["origin"] == c.origin


def test_new_paragraph_index_stores_no_cable_fields(tmp_path: Path, cables: list[Cable]) -> None:
    with CableIndex(tmp_path / "x.index") as ix:
        ix.add(cables[:20])
        ix.commit()
        s = ix.searcher("paragraphs")
        hit = s.search(tantivy.Query.all_query(), 1).hits[0][1]
        assert set(s.doc(hit).to_dict()) <= {"id", "text", "n", "pmark", "pos"}


@pytest.mark.parametrize("query", [q for q in QUERIES if not q.startswith("origin:nowhere")])
def test_joins_by_cable_key_and_by_id_select_the_same_paragraphs(index: CableIndex, query: str) -> None:
    ast = expand_derived(parse(query), None)
    searcher = index.searcher("paragraphs")

    def found(q: tantivy.Query) -> list[tuple[str, int]]:
        hits = searcher.search(q, 100_000, count=True).hits
        return sorted((searcher.doc(a)["id"][0], searcher.doc(a).to_dict().get("pos", [0])[0]) for _s, a in hits)

    by_id = found(paragraph_query(index, ast))  # the real sample's joins are all small: by id
    by_key = found(paragraph_query(index, ast, id_join_max=0))  # what large joins do
    assert by_id == by_key


def test_the_largest_cable_only_parts_are_joined_whole() -> None:
    assert cable_only(parse("subject:(visit OR meeting)"))
    assert cable_only(parse("-to:secstate origin:mexico"))
    assert not cable_only(parse("subject:visit year:2009"))  # the date is on every paragraph
    assert not cable_only(parse("origin:mexico cartels"))
    assert not cable_only(parse("tag:SNAR"))
