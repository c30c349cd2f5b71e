"""Conversations on the real corpus: components of the in-corpus citation graph, in date order."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from cabledesk.enrich import threads as T
from cabledesk.errors import NotFoundError
from cabledesk.store import SQLiteStore


def links(store: SQLiteStore) -> set[frozenset[str]]:
    """Undirected in-corpus citation links, read straight from the database file."""
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT r.cable_id, r.target_id FROM refs r JOIN cables c ON c.id = r.target_id "
            "WHERE r.cable_id != r.target_id"
        ).fetchall()
    finally:
        conn.close()
    return {frozenset(r) for r in rows}


def by_date(store: SQLiteStore, ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda i: (store.get(i).created is None, store.get(i).created or 0, i))


def test_thread_of_08oslo670_holds_the_oslo_fighter_conversation_in_date_order(store: SQLiteStore) -> None:
    got = T.thread(store, "08OSLO670")
    assert {"08OSLO522", "08OSLO585", "08OSLO629", "08OSLO670"} <= set(got)
    assert got == by_date(store, got)


def test_thread_of_08london1115_includes_both_cables_that_cite_it(store: SQLiteStore) -> None:
    got = T.thread(store, "08london1115")
    assert {"08LONDON1115", "08LONDON1350", "08LONDON1412"} <= set(got)
    assert got == by_date(store, got)


def test_thread_is_a_connected_component_reached_from_any_member(store: SQLiteStore) -> None:
    edges = links(store)
    got = T.thread(store, "10BERLIN180")
    members = set(got)
    assert {"10BERLIN128", "10BERLIN180"} <= members
    for m in members:  # closed: no in-corpus link leaves the thread
        assert all(e <= members for e in edges if m in e)
        if m != "10BERLIN180":
            assert any(m in e for e in edges)
    for m in got:  # same thread from every member (no hub in this conversation)
        assert T.thread(store, m) == got


def test_cable_without_in_corpus_citations_stands_alone(store: SQLiteStore) -> None:
    linked = {i for e in links(store) for i in e}
    alone = next(i for i in store.ids() if i not in linked)
    assert T.thread(store, alone) == [alone]
    assert T.thread_view(store, alone)["cables"] == []


def test_size_cap_cuts_the_thread_and_says_so(store: SQLiteStore) -> None:
    full = T.thread_info(store, "10BERLIN180")
    assert len(full.ids) > 3 and not full.truncated
    cut = T.thread_info(store, "10BERLIN180", max_size=3)
    assert len(cut.ids) == 3 and cut.truncated and "10BERLIN180" in cut.ids
    assert set(cut.ids) <= set(full.ids)


def test_hub_joins_the_thread_but_is_not_walked_through(store: SQLiteStore) -> None:
    full = T.thread_info(store, "10BERLIN180")
    hubby = T.thread_info(store, "10BERLIN180", hub_degree=1)
    assert hubby.hubs and set(hubby.hubs) <= set(hubby.ids)
    assert len(hubby.ids) < len(full.ids)


def test_thread_view_marks_the_current_cable_and_carries_subjects(store: SQLiteStore) -> None:
    view = T.thread_view(store, "08OSLO670")
    assert [c["id"] for c in view["cables"]] == T.thread(store, "08OSLO670")
    current = [c for c in view["cables"] if c["current"]]
    assert [c["id"] for c in current] == ["08OSLO670"]
    assert current[0]["subject"] == store.get("08OSLO670").subject
    assert view["size"] == len(view["cables"])


def test_refs_report_has_exactly_the_cli_contract(store: SQLiteStore) -> None:
    rep: dict[str, Any] = T.refs_report(store, "08OSLO670")
    assert set(rep) == {"id", "cites", "cited_by", "thread"}
    assert all(set(c) == {"id", "raw", "in_corpus", "year_source"} for c in rep["cites"])
    rep2 = T.refs_report(store, "08LONDON1115")
    assert all(set(c) == {"id", "created"} for c in rep2["cited_by"]) and rep2["cited_by"]


def test_unknown_cable_has_no_thread(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError):
        T.thread(store, "99NOWHERE1")
    with pytest.raises(NotFoundError):
        T.refs_report(store, "99NOWHERE1")
