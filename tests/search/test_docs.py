"""Every example of docs/query-language.md runs against the real corpus and does what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cabledesk.errors import QueryError
from cabledesk.query import Resolvers
from cabledesk.search import matching_ids, search
from cabledesk.store.index import CableIndex

DOC = Path(__file__).resolve().parents[2] / "docs" / "query-language.md"


def examples() -> list[tuple[str, str]]:
    """(query, expectation) pairs from the ```examples block."""
    block = re.search(r"```examples\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/query-language.md lost its examples block"
    pairs = []
    for line in block.group(1).splitlines():
        if line.strip():
            query, _, expect = line.partition("→")
            pairs.append((query.strip(), expect.strip()))
    return pairs


def test_the_page_documents_every_field_and_operator() -> None:
    from cabledesk.query import FIELDS

    text = DOC.read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"`{name}:" in text, name
    queries = " ".join(q for q, _ in examples())
    for op in (" OR ", " NOT ", " -", "(", '"', "*", "~", "..", "marking:"):
        assert op in queries, op


@pytest.mark.parametrize(("query", "expect"), examples())
def test_documented_example_holds(index: CableIndex, by_id: dict, query: str, expect: str) -> None:
    def cites_of(cid: str) -> list[str]:  # what Desk passes: the ids a cable's REF lines name
        cable = by_id.get(cid.upper())
        return [r.id for r in cable.references if r.id] if cable else []

    for clause in (c.strip() for c in expect.split(";")):
        if m := re.fullmatch(r"error at (\d+)", clause):
            with pytest.raises(QueryError) as err:
                search(index, query, resolvers=Resolvers(cites_of=cites_of))
            assert err.value.position == int(m.group(1)), err.value.message
            continue
        if m := re.fullmatch(r"finds (\S+) ¶(\d+)", clause):
            hits = search(index, query, paragraphs=True, limit=1000, facets=False, resolvers=Resolvers(cites_of=cites_of)).hits
            assert (m.group(1), int(m.group(2))) in {(h["id"], h["paragraph"]) for h in hits}
            continue
        ids = set(matching_ids(index, query, resolvers=Resolvers(cites_of=cites_of)))
        if m := re.fullmatch(r"finds (.+)", clause):
            for cid in (s.strip() for s in m.group(1).split(",")):
                assert cid in ids, f"{query!r} should find {cid}"
        elif m := re.fullmatch(r"excludes (\S+)", clause):
            assert m.group(1) not in ids
        elif m := re.fullmatch(r"≥ (\d+) results", clause):
            assert len(ids) >= int(m.group(1)), len(ids)
        elif m := re.fullmatch(r"exactly (\d+) results", clause):
            assert len(ids) == int(m.group(1))
        elif clause == "no results":
            assert not ids
        else:
            pytest.fail(f"unknown expectation {clause!r} for {query!r}")
        assert search(index, query, limit=1, resolvers=Resolvers(cites_of=cites_of)).total == len(ids)
