"""The routing graph: who sends to whom, action (TO) vs information (INFO) copies, real headers."""

from __future__ import annotations

import pytest

from cabledesk.graph import normalise_address, routing_graph
from cabledesk.store import SQLiteStore


@pytest.mark.parametrize(
    ("written", "node"),
    [
        ("RUEHC/SECSTATE WASHDC IMMEDIATE 0250", "SECSTATE WASHDC"),  # CABLE-FORMAT.md's example
        ("ZEN/AMEMBASSY RIGA NIACT IMMEDIATE 0612-0615", "AMEMBASSY RIGA"),
        ("AMEMBASSY CARACAS PRIORITY 0298-0299", "AMEMBASSY CARACAS"),
        ("SECDEF WASHINGTON DC", "SECDEF WASHDC"),
        ("JOINT STAFF WASHDC//J-3/J-5", "JOINT STAFF WASHDC"),
        ("AMEMBASSY LA PAZ JAN MANAGUA", "AMEMBASSY LA PAZ"),  # damaged address in 09MADRID59's header
        ("ARAB ISRAELI COLLECTIVE", "ARAB ISRAELI COLLECTIVE"),  # collectives keep their names
        ("  amembassy   mexico ", "AMEMBASSY MEXICO"),
    ],
)
def test_addressee_spellings_collapse_to_one_node(written: str, node: str) -> None:
    assert normalise_address(written) == node


def test_empty_addressee_is_no_node() -> None:
    assert normalise_address("") is None and normalise_address(None) is None


def test_one_cable_gives_one_action_edge_per_to_and_one_info_edge_per_info(store: SQLiteStore) -> None:
    cable = store.get("10BERLIN180")
    assert cable.from_ and cable.to and cable.info
    g = routing_graph(store, ["10BERLIN180"])
    sender = normalise_address(cable.from_)
    assert sender is not None
    want = {(sender, normalise_address(a), "action") for a in cable.to}
    want |= {(sender, normalise_address(a), "info") for a in cable.info}
    assert {(s, t, a["copy"]) for s, t, a in g.edges} == want
    assert all(a["weight"] == 1 for _s, _t, a in g.edges)
    assert g.nodes[sender]["sent"] == 1


def test_edge_weights_count_cables_of_the_whole_corpus(store: SQLiteStore) -> None:
    g = routing_graph(store)
    sent: dict[str, int] = {}
    for c in store.iter_cables():
        s = normalise_address(c.from_)
        if s:
            sent[s] = sent.get(s, 0) + 1
    assert {n: a["sent"] for n, a in g.nodes.items() if a["sent"]} == sent
    oslo = [a["weight"] for s, t, a in g.edges if s == "AMEMBASSY OSLO" and t == "SECSTATE WASHDC"]
    n_oslo = sum(
        1 for c in store.iter_cables()
        if normalise_address(c.from_) == "AMEMBASSY OSLO" and any(normalise_address(a) == "SECSTATE WASHDC" for a in c.to)
    )  # fmt: skip
    assert oslo == [n_oslo] and n_oslo > 0


def test_action_and_info_copies_to_the_same_addressee_are_separate_edges(store: SQLiteStore) -> None:
    g = routing_graph(store)
    pairs: dict[tuple[str, str], set[str]] = {}
    for s, t, a in g.edges:
        pairs.setdefault((s, t), set()).add(a["copy"])
    assert any(v == {"action", "info"} for v in pairs.values())
    assert all(a["copy"] in ("action", "info") for _s, _t, a in g.edges)
