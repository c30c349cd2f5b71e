"""Entities in the store: the done-when checks on the Mexico cables, the JSON contract, incremental
runs, user merge/split/undo, exports and the CLI."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import test_entities_kit as kit
from typer.testing import CliRunner

from cabledesk.cli import app
from cabledesk.enrich import entities as ent
from cabledesk.enrich import entity_read
from cabledesk.enrich.entity_store import EntityStore
from cabledesk.store import SQLiteStore, open_store

ent_db = kit.ent_db  # session fixtures shared with the other entity tests
ent_store = kit.ent_store


def _entity(store: SQLiteStore, cable_id: str, text: str) -> dict:
    """The entity of ``cable_id`` that has a mention written ``text``."""
    for e in entity_read.entities_for_cable(store, cable_id)["entities"]:
        if any(m["text"] == text for m in e["mentions"]):
            return e
    raise AssertionError(f"no mention {text!r} in {cable_id}")


@pytest.fixture()
def rw_db(ent_db: Path, tmp_path: Path) -> Path:
    """A private writable copy of the enriched database."""
    dst = tmp_path / "e.db"
    shutil.copy(ent_db, dst)
    return dst


def test_mexico_people_are_persons_with_their_aliases_merged(ent_store: SQLiteStore) -> None:
    calderon = _entity(ent_store, "10MEXICO83", "Calderon")
    assert calderon["type"] == "person"
    assert _entity(ent_store, "09MEXICO2882", "Calderon")["entity_id"] == calderon["entity_id"]
    gutierrez = _entity(ent_store, "09MEXICO2882", "Gutierrez Fernandez")
    assert gutierrez["type"] == "person"
    assert {"Geronimo Gutierrez Fernandez", "Gutierrez"} <= set(gutierrez["aliases"])
    assert _entity(ent_store, "09MEXICO2882", "Gutierrez")["entity_id"] == gutierrez["entity_id"]
    tello = _entity(ent_store, "09MEXICO2882", "Tello Peon")
    assert tello["type"] == "person" and any("Jorge" in a or "JORGE" in a for a in tello["aliases"])
    assert _entity(ent_store, "09MEXICO2882", "Keith Mines")["type"] == "person"
    feeley = _entity(ent_store, "10MEXICO83", "FEELEY")  # the signature of 10MEXICO83
    assert feeley["type"] == "person"
    assert "John Feeley" in feeley["aliases"]


def test_mexico_institutions_are_organisations_and_cities_places(ent_store: SQLiteStore) -> None:
    for text in ("SEDENA", "SEMAR"):
        assert _entity(ent_store, "10MEXICO83", text)["type"] == "org"
    assert _entity(ent_store, "09MEXICO2882", "PGR")["type"] == "org"
    for text in ("Ciudad Juarez", "Tijuana"):
        assert _entity(ent_store, "09MEXICO2882", text)["type"] == "place"
        assert _entity(ent_store, "10MEXICO83", text)["type"] == "place"


def test_cable_entities_follow_the_json_contract_and_point_into_paragraph_text(
    ent_store: SQLiteStore,
) -> None:
    data = entity_read.entities_for_cable(ent_store, "10mexico83")
    assert set(data) == {"id", "entities"} and data["id"] == "10MEXICO83"
    cable = ent_store.get("10MEXICO83")
    for e in data["entities"]:
        assert set(e) == {"entity_id", "name", "type", "aliases", "mentions"}
        assert e["type"] in ("person", "org", "place")
        for m in e["mentions"]:
            assert set(m) == {"paragraph", "start", "end", "text"}
            if m["paragraph"] is not None:
                assert cable.paragraphs[m["paragraph"]].text[m["start"] : m["end"]] == m["text"]


def test_roles_carry_the_title_and_the_month_it_was_seen(ent_store: SQLiteStore) -> None:
    d = entity_read.entity_detail(ent_store, "Gutierrez Fernandez")
    roles = {r["title"]: r["span"] for r in d["roles"]}
    assert roles.get("Undersecretary for Governance") == "2009-10"
    assert any(
        r["title"] == "NAS Director" for r in entity_read.entity_detail(ent_store, "Keith Mines")["roles"]
    )


def test_entity_detail_lists_signed_cables_and_mentions_in_date_order(ent_store: SQLiteStore) -> None:
    d = entity_read.entity_detail(ent_store, "Feeley")
    assert "10MEXICO83" in d["signed"]
    dates = [m["created"] for m in d["mention_list"]]
    assert dates == sorted(dates)
    assert {"09MEXICO3101", "10MEXICO83"} <= set(d["cable_ids"])
    assert entity_read.cable_ids_for_entity(ent_store, "Calderón") == sorted(
        entity_read.cable_ids_for_entity(ent_store, "FCH")
    )


def test_second_enrich_processes_only_changed_cables(rw_db: Path) -> None:
    store = open_store(rw_db)
    assert isinstance(store, SQLiteStore)
    try:
        again = ent.enrich(store)
        assert again.processed == 0 and again.skipped == store.count()
        es = EntityStore(store)
        with es.transaction() as c:
            c.execute("UPDATE entity_cables SET content_hash = 'stale' WHERE cable_id = '10MEXICO83'")
        assert es.pending() == ["10MEXICO83"]
        before = entity_read.entities_for_cable(store, "10MEXICO83")
        assert ent.enrich(store).processed == 1
        assert entity_read.entities_for_cable(store, "10MEXICO83") == before
    finally:
        store.close()


def test_merge_split_and_undo_are_recorded_and_reversible(rw_db: Path) -> None:
    store = open_store(rw_db)
    assert isinstance(store, SQLiteStore)
    try:
        a = entity_read.resolve_one(store, "Keith Mines")
        b = entity_read.resolve_one(store, "Tello Peon")
        merged = ent.merge(store, a["entity_id"], b["entity_id"])
        assert (
            entity_read.resolve_one(store, "Keith Mines")["entity_id"]
            == entity_read.resolve_one(store, "Tello Peon")["entity_id"]
        )
        assert merged["entity_id"] in {a["entity_id"], b["entity_id"]}
        assert ent.undo(store)["kind"] == "merge"
        assert (
            entity_read.resolve_one(store, "Keith Mines")["entity_id"]
            != entity_read.resolve_one(store, "Tello Peon")["entity_id"]
        )
        f = entity_read.resolve_one(store, "John Feeley")
        res = ent.split(store, f["entity_id"], "FEELEY")  # the 10MEXICO83 signature, linked across cables
        assert res["detached"] and res["detached"][0] != f["entity_id"]
        assert "10MEXICO83" not in entity_read.cable_ids_for_entity(store, "John Feeley")
        assert ent.undo(store)["kind"] == "split"
        assert "10MEXICO83" in entity_read.cable_ids_for_entity(store, "John Feeley")
        assert ent.undo(store) is None
    finally:
        store.close()


def test_exports_write_csv_jsonl_and_followthemoney_shapes(ent_store: SQLiteStore) -> None:
    buf = io.StringIO()
    n = ent.export(ent_store, buf, "csv", "entities")
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(rows) == n > 100 and {"entity_id", "type", "name", "aliases"} <= set(rows[0])
    buf = io.StringIO()
    ent.export(ent_store, buf, "jsonl", "mentions")
    first = json.loads(buf.getvalue().splitlines()[0])
    assert {"entity_id", "cable_id", "paragraph", "start", "end", "text"} <= set(first)
    buf = io.StringIO()
    ent.export(ent_store, buf, "ftm")
    objs = [json.loads(line) for line in buf.getvalue().splitlines()]
    schemas = {o["schema"] for o in objs}
    assert {"Document", "Person", "Organization", "Address"} <= schemas
    docs = {o["id"] for o in objs if o["schema"] == "Document"}
    person = next(o for o in objs if o["schema"] == "Person")
    assert set(person) == {"id", "schema", "properties"}
    assert person["properties"]["proof"] and set(person["properties"]["proof"]) <= docs


def test_cli_entities_json_entity_lookup_and_errors(ent_db: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["entities", "10MEXICO83", "--json", "--db", str(ent_db)])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)) == {"id", "entities"}
    r = runner.invoke(app, ["entity", "Tello Peon", "--json", "--db", str(ent_db)])
    assert r.exit_code == 0 and json.loads(r.stdout)["type"] == "person"
    r = runner.invoke(app, ["entities", "99NOWHERE1", "--json", "--db", str(ent_db)])
    assert r.exit_code == 1 and "error" in json.loads(r.stdout)
    r = runner.invoke(app, ["entities", "export", "--format", "xml", "--db", str(ent_db)])
    assert r.exit_code == 2
