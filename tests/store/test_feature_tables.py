"""The feature tables (entities, source protection) on both backends: same SQL, same answers.

Enrichment of real cables is run on SQLite and on PostgreSQL and must give identical entities; the
user's decisions (entity merges, protect decisions, watch list, export log) round-trip on each
backend through the parametrised store fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from pg_kit import fresh_database
from store_kit import StoreUnderTest, load_cables

from cabledesk.enrich import entity_read as er
from cabledesk.enrich.entities import enrich
from cabledesk.enrich.entity_store import EntityStore
from cabledesk.model import Cable
from cabledesk.protect_store import ProtectStore
from cabledesk.store import SQLiteStore
from cabledesk.store.featuredb import FeatureDB
from cabledesk.store.postgres import PostgresStore

MEXICO = ["10MEXICO83", "09MEXICO2882", "09MEXICO3101"]


@pytest.fixture(scope="module")
def mexico_cables(cable_page: Callable[[str], Path]) -> list[Cable]:
    return load_cables([cable_page(i) for i in MEXICO])


@pytest.fixture(scope="module")
def enriched_pair(mexico_cables: list[Cable], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SQLiteStore, PostgresStore]]:
    """The same three cables enriched into a new SQLite file and a new PostgreSQL database."""
    with fresh_database() as url:
        lite = SQLiteStore(tmp_path_factory.mktemp("feature") / "c.db")
        pg = PostgresStore(url)
        for s in (lite, pg):
            s.add_many((c, "mexico", c.id) for c in mexico_cables)
            assert enrich(s).processed == len(MEXICO)
        yield lite, pg
        lite.close()
        pg.close()


def test_enrich_on_postgresql_gives_the_same_entities_as_on_sqlite(enriched_pair: tuple[SQLiteStore, PostgresStore]) -> None:
    lite, pg = enriched_pair
    for cid in MEXICO:
        assert er.entities_for_cable(pg, cid) == er.entities_for_cable(lite, cid)
    top = er.top_entities(lite, None, 1000)
    assert len(top) > 50 and er.top_entities(pg, None, 1000) == top
    calderon = er.resolve_one(pg, "Calderon")
    assert calderon == er.resolve_one(lite, "Calderon") and calderon["type"] == "person"
    assert er.resolve_one(pg, "FCH")["entity_id"] == calderon["entity_id"]  # curated short form
    assert er.entity_detail(pg, calderon["entity_id"]) == er.entity_detail(lite, calderon["entity_id"])
    assert er.entity_months(pg, calderon["entity_id"]) == er.entity_months(lite, calderon["entity_id"])
    facet = er.entity_facet(lite, MEXICO)
    assert facet["person"] and er.entity_facet(pg, MEXICO) == facet
    assert EntityStore(pg).pending() == [] and enrich(pg).processed == 0  # incremental on PostgreSQL too


def test_a_store_never_enriched_has_no_entities_on_either_backend(store: StoreUnderTest, mexico_cables: list[Cable]) -> None:
    store.add_many((c, "mexico", c.id) for c in mexico_cables)
    assert EntityStore(store).ready and not er.has_entities(store)
    assert er.top_entities(store) == [] and er.entity_facet(store, MEXICO) == {}
    with pytest.raises(Exception, match="cabledesk enrich"):
        er.resolve_one(store, "Calderon")


def test_entity_decisions_are_kept_and_undone_on_either_backend(store: StoreUnderTest) -> None:
    es = EntityStore(store)
    first = es.add_decision("merge", "person:a", "person:b")
    second = es.add_decision("split", "P-0000000000", "person:c")
    assert second > first
    assert [d["kind"] for d in es.decisions()] == ["merge", "split"]
    assert es.undo_last()["id"] == second  # type: ignore[index]
    assert [d["id"] for d in es.decisions()] == [first]
    assert [d["undone_at"] is None for d in es.decisions(include_undone=True)] == [True, False]
    es.set_meta("pipeline", "x")
    es.set_meta("pipeline", "y")  # an upsert on both backends
    assert es.meta("pipeline") == "y"


def test_protect_decisions_watch_list_and_exports_round_trip_on_either_backend(store: StoreUnderTest, tmp_path: Path) -> None:
    desk = SimpleNamespace(store=store, db_path=getattr(store, "path", tmp_path / "none.db"))
    ps = ProtectStore(desk)
    a = ps.decide("finding", "09LONDON2222:paragraph4:10-22", "Judith Gough", "accepted", "ed", cable_id="09LONDON2222")
    b = ps.decide("person", "gough", "Judith Gough", "rejected", "ed2")
    assert b > a
    assert {k: d["user"] for k, d in ps.active().items()} == {
        ("finding", "09LONDON2222:paragraph4:10-22"): "ed", ("person", "gough"): "ed2"}  # fmt: skip
    undone = ps.undo(user="chief")
    assert undone is not None and undone["id"] == b
    assert ps.log()[0]["undone_by"] == "chief" and set(ps.active()) == {("finding", "09LONDON2222:paragraph4:10-22")}
    # undo asks which decisions it may take back (server mode: the user's collections)
    assert ps.undo(user="chief", visible=lambda d: d["cable_id"] != "09LONDON2222") is None
    ps.watch_add("Genaro Garcia Luna", "ed")
    ps.watch_add("Genaro Garcia Luna", "ed2")  # already there: kept once, first adder kept
    assert [(w["name"], w["user"]) for w in ps.watch_list()] == [("Genaro Garcia Luna", "ed")]
    assert ps.watch_remove("Genaro Garcia Luna") and not ps.watch_remove("Genaro Garcia Luna")
    eid = ps.record_export("09LONDON2222", "jsonl", 1, {"cables": ["09LONDON2222"], "rules": []}, "ed")
    assert ps.export_manifest(eid) == {"cables": ["09LONDON2222"], "rules": []}
    assert ps.export_manifest(eid + 1) is None
    ps.close()


def test_a_read_only_postgresql_store_writes_only_an_explicit_user_action() -> None:
    with fresh_database() as url:
        PostgresStore(url).close()  # creates the schema
        with PostgresStore(url, readonly=True) as ro:
            db = FeatureDB(ro)
            with pytest.raises(Exception, match="read-only"), db.write() as tx:
                tx.exec('INSERT INTO protect_watch (name, "user", at) VALUES (?, ?, ?)', ("x", "u", "t"))
            with db.write(user_action=True) as tx:  # a protect decision from the web app
                tx.exec('INSERT INTO protect_watch (name, "user", at) VALUES (?, ?, ?)', ("x", "u", "t"))
            assert db.rows("SELECT name FROM protect_watch") == [("x",)]
