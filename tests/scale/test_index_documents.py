"""Ingest hands tantivy JSON documents (cheap to send from parser processes); they index exactly
what the field-by-field Documents index, and the cable index no longer stores the body text."""

from __future__ import annotations

import json
import pickle
import re
from itertools import islice
from pathlib import Path

import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from cabledesk import textnorm
from cabledesk.ingest import parse_record
from cabledesk.model import Cable
from cabledesk.readers import read_source
from cabledesk.store.index import (
    CableIndex,
    cable_document,
    cable_documents,
    cable_hash,
    paragraph_documents,
)


def _cables(corpus_tgz: Path, n: int = 60) -> list[Cable]:
    parsed = (parse_record(r) for r in read_source(corpus_tgz))
    return list(islice((c for c in parsed if isinstance(c, Cable)), n))


def test_json_documents_hold_the_same_fields_as_tantivy_documents(corpus_tgz: Path) -> None:
    for c in _cables(corpus_tgz):
        cid, cable_json, para_json = cable_documents(c)
        assert cid == c.id
        want = cable_document(c).to_dict()
        got = json.loads(cable_json)
        assert got.pop("cid") == [cable_hash(c.id)]
        want.pop("cid")
        assert got == want
        paras = [p.to_dict() for p in paragraph_documents(c)]
        assert len(para_json) == len(paras) >= 1
        for js, doc in zip(para_json, paras, strict=True):
            one = json.loads(js)
            one.pop("cid")
            doc.pop("cid")
            assert one == doc


def test_prepared_documents_pickle_small_for_worker_processes(corpus_tgz: Path) -> None:
    cables = _cables(corpus_tgz)
    prepared = [cable_documents(c) for c in cables]
    assert pickle.loads(pickle.dumps(prepared)) == prepared
    text = sum(len(c.body) + len(c.subject or "") for c in cables)
    # the body is sent twice (cable text + paragraphs) plus field copies, never a heavy object graph
    assert len(pickle.dumps(prepared)) < 6 * text


def test_an_index_fed_json_finds_and_joins_like_one_fed_documents(tmp_path: Path, corpus_tgz: Path) -> None:
    cables = _cables(corpus_tgz)
    with CableIndex(tmp_path / "ix") as index:
        index.add(cables)
        index.commit()
        assert index.ids() == {c.id for c in cables}
        assert index.stats()["paragraphs"] == sum(len(cable_documents(c)[2]) for c in cables)
        searcher = index.searcher("cables")
        probe = cables[0]
        hit = searcher.search(tantivy.Query.term_query(index.schema, "id", probe.id), 1).hits
        stored = searcher.doc(hit[0][1]).to_dict()
        assert "text" not in stored  # searched, never shown: not stored in cables/
        assert stored["subject"] == [probe.subject]
        assert searcher.fast_field_values("cid", [hit[0][1]]) == [cable_hash(probe.id)]
        paras = index.searcher("paragraphs")
        q = tantivy.Query.term_query(index.schema, "cid", cable_hash(probe.id))
        texts = [paras.doc(a).to_dict()["text"][0] for _, a in paras.search(q, 100).hits]
        assert sorted(texts) == sorted(json.loads(d)["text"][0] for d in cable_documents(probe)[2])
        year = probe.created.year if probe.created else None
        if year is not None:
            by_year = searcher.search(tantivy.Query.term_query(index.schema, "year", year), 1000)
            assert by_year.count == sum(1 for c in cables if c.created and c.created.year == year)


def test_fresh_ids_are_added_without_a_delete_and_updates_replace(tmp_path: Path, corpus_tgz: Path) -> None:
    cables = _cables(corpus_tgz, 5)
    with CableIndex(tmp_path / "ix") as index:
        docs = [cable_documents(c) for c in cables]
        index.add_documents(docs, {d[0] for d in docs})
        index.commit()
        index.add_documents(docs[:2])  # an update: the old documents are replaced, not doubled
        index.commit()
        assert index.count() == len(cables)
        assert index.stats()["paragraphs"] == sum(len(d[2]) for d in docs)


def test_an_index_that_still_stores_cable_text_opens_as_it_is_and_searches(
    tmp_path: Path, corpus_tgz: Path
) -> None:
    from cabledesk import textnorm
    from cabledesk.store.index import build_schema

    cables = _cables(corpus_tgz, 10)
    # an index written before cables/ stopped storing text: same folders, same fields, text stored
    old = tmp_path / "old"
    for kind in CableIndex.KINDS:
        (old / kind).mkdir(parents=True)
        ix = tantivy.Index(build_schema(store_text=True), path=str(old / kind))
        ix.register_tokenizer(textnorm.FOLD, textnorm.analyzer())
        w = ix.writer(50_000_000, 1)
        for c in cables:
            docs = [cable_document(c)] if kind == "cables" else paragraph_documents(c)
            for d in docs:
                w.add_document(d)
        w.commit()
        w.wait_merging_threads()
    with CableIndex(old) as index:
        assert not index.rebuilt
        assert index.ids() == {c.id for c in cables}
        index.add(cables[:2])  # upserts into the old layout work too
        index.commit()
        assert index.count() == len(cables)
        searcher = index.searcher("cables")
        word = textnorm.terms(cables[0].subject or cables[0].body)[0]
        hits = searcher.search(tantivy.Query.term_query(index.schema, "text", word), 20).hits
        assert cables[0].id in {searcher.doc(a).to_dict()["id"][0] for _, a in hits}


#: The multiline regex strip_section_breaks replaced (it tried every character of the body).
_SECTION_LINE = re.compile(r"^[ \t]*[A-Z][A-Z .'-]* \d{6,8} \d{3} OF \d{3}[ \t]*$", re.MULTILINE)


def test_section_breaks_are_stripped_as_the_multiline_regex_strips_them(corpus_tgz: Path) -> None:
    bodies = [c.body for c in _cables(corpus_tgz, 2000)]
    changed = 0
    for body in bodies:
        got = textnorm.strip_section_breaks(body)
        assert got == _SECTION_LINE.sub("", body)
        changed += got != body
    assert changed > 100  # the real sample has plenty of multi-section cables


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["MEXICO 00000083 002 OF 005", " \tBAGHDAD 00012345 010 OF 012 ", "X 1234567 001 OF 002",
             "THE ARMY 00000001 002 OF 003 SAID", "PARIS 0000008 002 of 003", "\n", "\r\n", " OF ", "text",
             "A 000000001 002 OF 005", "O'BRIEN-X 000001 001 OF 001", "1. (C) ", "\t"]
        ),
        max_size=12,
    )
)
def test_section_break_stripping_matches_the_regex_on_any_layout(pieces: list[str]) -> None:
    body = "".join(pieces)
    assert textnorm.strip_section_breaks(body) == _SECTION_LINE.sub("", body)
