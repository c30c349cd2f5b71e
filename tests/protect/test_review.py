"""Review decisions: who and when, person-wide acceptance, reversible undo."""

from __future__ import annotations

import pytest

from cabledesk import protect as P
from cabledesk.desk import Desk
from cabledesk.protect_store import current_user


def test_accept_all_mentions_covers_every_cable_naming_the_person(review_db: str) -> None:
    with Desk(review_db) as desk:
        rv = P.review(desk)
        marker = next(f for f in rv.findings if f.cable_id == "09LONDON1707" and f.name == "Judith Gough")
        P.decide(desk, marker.key, "accepted", user="ed", all_mentions=True)
        after = [f for f in P.review(desk).findings if f.person == marker.person]
        assert {f.cable_id for f in after} >= {"09LONDON1707", "09LONDON2222", "09STATE82013"}
        assert all(f.status == "accepted" and f.decided_by == "ed" and f.decided_at for f in after)


def test_a_finding_decision_overrides_the_person_and_undo_restores(review_db: str) -> None:
    with Desk(review_db) as desk:
        f = next(f for f in P.review(desk).findings if f.cable_id == "09LONDON2222" and f.name == "Richard Freer")
        P.decide(desk, f.key, "accepted", user="ed", all_mentions=True)
        other = next(g for g in P.review(desk).findings if g.person == f.person and g.key != f.key)
        d = P.decide(desk, other.key, "rejected", user="ed2")
        st = {g.key: g for g in P.review(desk).findings}
        assert st[other.key].status == "rejected" and st[other.key].decided_by == "ed2"
        assert st[f.key].status == "accepted"
        undone = P.undo(desk, d["decision_id"], user="ed3")
        assert undone is not None and undone["id"] == d["decision_id"]
        assert {g.key: g for g in P.review(desk).findings}[other.key].status == "accepted"
        log = P._store(desk).log()
        assert log[0]["undone_by"] == "ed3"  # the log keeps the undone decision


def test_user_comes_from_option_then_environment_then_os(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLEDESK_USER", "night-editor")
    assert current_user("alice") == "alice"
    assert current_user(None) == "night-editor"
    monkeypatch.delenv("CABLEDESK_USER")
    assert current_user(None)


def test_watch_list_names_are_found_wherever_they_appear(review_db: str) -> None:
    with Desk(review_db) as desk:
        P.watch(desk, "add", "Genaro Garcia Luna", user="ed")
        hits = [f for f in P.review(desk).findings if f.kind == "watch"]
        assert any(f.name == "Genaro Garcia Luna" for f in hits)
        assert all(f.name.lower().endswith("luna") for f in hits)
        assert {f.cable_id for f in hits} <= P.protected_ids(desk)


def test_protected_ids_are_the_cables_with_markers_or_mentions(desk: Desk) -> None:
    ids = P.protected_ids(desk)
    assert {"09LONDON2222", "89PANAMA8545", "09STATE82013"} <= ids
    assert "10MEXICO83" not in ids
