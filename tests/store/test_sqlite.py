"""What is particular to the SQLite file: schema and migrations, write failures, readers meanwhile."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from cabledesk.errors import SchemaError, StoreError, StoreWriteError
from cabledesk.model import Cable
from cabledesk.store import SQLiteStore, Store, index_path_for, open_store
from cabledesk.store import schema as schema_mod
from cabledesk.store.schema import APPLICATION_ID, MIGRATIONS, Migration, latest_version

SRC = "/data/mirror.tar.gz"


def triples(cables: list[Cable], source: str = SRC) -> list[tuple[Cable, str, str]]:
    return [(c, source, f"cable/{c.id}.html") for c in cables]


def rows(db: Path) -> dict[str, int]:
    """Row count of every table, read through a separate connection."""
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cabledesk.db"


def test_open_store_satisfies_the_protocol_and_index_sits_beside_the_file(db: Path) -> None:
    with open_store(db) as store:
        assert isinstance(store, Store)
    assert index_path_for(db) == db.parent / "cabledesk.db.index"
    assert index_path_for("x/cabledesk.db") == Path("x/cabledesk.db.index")


def test_empty_file_is_migrated_to_latest_schema_in_wal_mode(db: Path) -> None:
    db.touch()
    with SQLiteStore(db) as store:
        assert store.schema_version == latest_version() == MIGRATIONS[-1].version
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["schema_version"] == str(latest_version())
    assert {"cables", "cable_versions", "paragraphs", "tags", "refs", "ledger", "meta"} <= set(rows(db))


def test_pending_migrations_are_applied_in_order_on_open(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SQLiteStore(db).close()
    n = latest_version()
    v2 = Migration(n + 1, "notes", ("CREATE TABLE notes (cable_id TEXT REFERENCES cables(id), text TEXT)",))
    v3 = Migration(n + 2, "notes index", ("CREATE INDEX notes_cable ON notes(cable_id)",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*MIGRATIONS, v2, v3])
    with SQLiteStore(db) as store:
        assert store.schema_version == n + 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(n + 2)
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'notes_cable'").fetchone()


def test_failing_migration_leaves_the_file_at_its_old_version(
    db: Path, monkeypatch: pytest.MonkeyPatch, real_cables: list[Cable]
) -> None:
    with SQLiteStore(db) as store:
        store.add_many(triples(real_cables[:3]))
    n = latest_version()
    good = Migration(n + 1, "ok", ("CREATE TABLE notes (text TEXT)",))
    bad = Migration(n + 2, "broken", ("CREATE TABLE cables (id TEXT)",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*MIGRATIONS, good, bad])
    with pytest.raises(SchemaError, match=f"schema version {n + 2}"):
        SQLiteStore(db)
    monkeypatch.setattr(schema_mod, "MIGRATIONS", MIGRATIONS)
    with SQLiteStore(db) as store:
        assert store.schema_version == n and store.count() == 3
    assert "notes" not in rows(db)


def test_database_from_a_newer_cabledesk_raises_schema_error(db: Path) -> None:
    SQLiteStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaError, match=r"newer cabledesk \(schema version 99"):
        SQLiteStore(db)
    with pytest.raises(SchemaError, match="newer cabledesk"):
        SQLiteStore(db, readonly=True)


@pytest.mark.parametrize("content", [b"this is a CSV file\n1,2,3\n", b"\x00\xff" * 3000, b"SQLite format 3"])
def test_file_that_is_not_sqlite_raises_schema_error(db: Path, content: bytes) -> None:
    db.write_bytes(content)
    with pytest.raises(SchemaError, match="not a cabledesk database"):
        SQLiteStore(db)
    assert db.read_bytes() == content  # left untouched


def test_someone_elses_sqlite_database_raises_schema_error(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    before = db.read_bytes()
    with pytest.raises(SchemaError, match="not a cabledesk database.*photos"):
        SQLiteStore(db)
    assert db.read_bytes() == before  # not even switched to WAL


def test_duplicates_write_no_rows_but_the_ledger_row(db: Path, real_cables: list[Cable]) -> None:
    with SQLiteStore(db) as store:
        store.add_many(triples(real_cables))
        before = rows(db)
        store.add_many(triples(real_cables))
    after = rows(db)
    assert after.pop("ledger") == before.pop("ledger") + len(real_cables)
    assert after == before


def test_update_replaces_child_rows_and_keeps_both_versions(db: Path, real_cables: list[Cable]) -> None:
    cable = next(c for c in real_cables if c.paragraphs and c.references and c.tags)
    changed = dataclasses.replace(
        cable, body=cable.body + "\nX", paragraphs=cable.paragraphs[:1], tags=["ZZ"]
    )
    with SQLiteStore(db) as store:
        store.add_many(triples([cable]))
        store.add_many(triples([changed]))
    with sqlite3.connect(db) as conn:
        q = "SELECT count(*) FROM {} WHERE cable_id = ?"
        assert conn.execute(q.format("paragraphs"), (cable.id,)).fetchone()[0] == 1
        assert conn.execute("SELECT tag FROM tags WHERE cable_id = ?", (cable.id,)).fetchall() == [("ZZ",)]
        assert conn.execute(q.format("refs"), (cable.id,)).fetchone()[0] == len(cable.references)
        assert conn.execute(q.format("cable_versions"), (cable.id,)).fetchone()[0] == 2
        assert conn.execute("SELECT version, body FROM cables WHERE id = ?", (cable.id,)).fetchone() == (
            2,
            changed.body,
        )


def test_disk_full_raises_store_write_error_and_keeps_previous_contents(
    db: Path, all_cables: list[Cable]
) -> None:
    first, second = all_cables[:20], all_cables[20:220]
    with SQLiteStore(db) as store:
        store.add_many(triples(first))
        before = (store.content_hashes(), store.ledger(), rows(db))
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 5}")
        with pytest.raises(StoreWriteError, match="the database disk is full") as info:
            store.add_many(triples(second))
        assert str(db) in str(info.value)
        assert (store.content_hashes(), store.ledger(), rows(db)) == before
        store._conn.execute("PRAGMA max_page_count = 1073741823")
        assert {e.status for e in store.add_many(triples(second))} == {"ingested"}
        assert store.count() == len(first) + len(second)


def test_readonly_store_reads_but_refuses_writes(db: Path, real_cables: list[Cable]) -> None:
    with SQLiteStore(db) as store:
        store.add_many(triples(real_cables[:5]))
    with SQLiteStore(db, readonly=True) as ro:
        assert ro.count() == 5 and ro.get(real_cables[0].id).to_dict() == real_cables[0].to_dict()
        with pytest.raises(StoreWriteError, match="read-only"):
            ro.add_many(triples(real_cables[5:7]))
        with pytest.raises(StoreWriteError, match="read-only"):
            ro.record_failures([(SRC, "x", "y")])
        assert ro.count() == 5 and len(ro.ledger()) == 5


def test_readonly_open_of_a_missing_file_is_a_store_error(db: Path) -> None:
    with pytest.raises(StoreError, match="no cabledesk database"):
        SQLiteStore(db, readonly=True)
    assert not db.exists()


def test_second_writer_gets_a_clear_locked_error(db: Path, real_cables: list[Cable]) -> None:
    with SQLiteStore(db) as store, SQLiteStore(db, busy_timeout=0.1) as other:
        store._conn.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreWriteError, match="locked by another writer"):
                other.add_many(triples(real_cables[:2]))
        finally:
            store._conn.execute("ROLLBACK")
        assert other.count() == 0


def test_reader_sees_only_committed_batches(db: Path, real_cables: list[Cable]) -> None:
    seen_during: list[tuple[int, int]] = []
    with SQLiteStore(db) as writer:
        writer.add_many(triples(real_cables[:10]))
        reader = SQLiteStore(db, readonly=True)

        def peek(sql: str) -> None:
            if sql.startswith("INSERT INTO ledger") and not seen_during:
                seen_during.append((reader.count(), len(reader.ledger())))

        writer._conn.set_trace_callback(peek)
        writer.add_many(triples(real_cables[10:20]))
        writer._conn.set_trace_callback(None)
        assert seen_during == [(10, 10)]  # mid-transaction: only the first batch is visible
        assert reader.count() == 20 and reader.has(real_cables[15].id)
        reader.close()


def test_reader_thread_never_sees_a_partial_batch(db: Path, all_cables: list[Cable]) -> None:
    batch = 100
    batches = [all_cables[i : i + batch] for i in range(0, 1200, batch)]
    observed: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            with SQLiteStore(db, readonly=True) as reader:
                while not done.is_set():
                    n = reader.count()
                    assert len(reader.ledger()) >= n
                    observed.append(n)
        except BaseException as exc:  # collected and asserted in the test's thread
            errors.append(exc)

    with SQLiteStore(db) as writer:
        writer.add_many(triples(batches[0]))
        thread = threading.Thread(target=read)
        thread.start()
        try:
            for b in batches[1:]:
                writer.add_many(triples(b))
        finally:
            done.set()
            thread.join()
    assert errors == []
    assert observed and all(n % batch == 0 for n in observed)
    assert len(set(observed)) > 1  # the reader really ran while batches landed


def test_one_store_can_be_shared_between_threads(db: Path, real_cables: list[Cable]) -> None:
    errors: list[BaseException] = []
    with SQLiteStore(db) as store:
        store.add_many(triples(real_cables))

        def work() -> None:
            try:
                for c in real_cables:
                    assert store.get(c.id).id == c.id
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


# -- the feature tables (schema version 2) ------------------------------------------------------

FEATURE_TABLES = {*schema_mod.ENTITY_TABLES, *schema_mod.PROTECT_TABLES}
FEATURE_INDEXES = {
    "entity_heads_node",
    "entity_mentions_cable",
    "entity_roles_cable",
    "entity_nodes_entity",
    "entity_entities_name",
    "protect_decisions_target",
}


def names(db: Path, kind: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}


def version_1_file(db: Path, monkeypatch: pytest.MonkeyPatch, cables: list[Cable]) -> None:
    """A file as cabledesk wrote it before the feature tables joined the schema."""
    monkeypatch.setattr(schema_mod, "MIGRATIONS", MIGRATIONS[:1])
    with SQLiteStore(db) as store:
        store.add_many(triples(cables))
        assert store.schema_version == 1
    monkeypatch.setattr(schema_mod, "MIGRATIONS", MIGRATIONS)


def test_fresh_database_has_the_entity_and_protect_tables_empty(db: Path) -> None:
    with SQLiteStore(db) as store:
        assert store.has_tables(*FEATURE_TABLES)
    assert FEATURE_TABLES <= names(db, "table") and FEATURE_INDEXES <= names(db, "index")
    assert all(rows(db)[t] == 0 for t in FEATURE_TABLES)


def test_version_1_file_gains_the_feature_tables_and_keeps_its_cables(
    db: Path, monkeypatch: pytest.MonkeyPatch, real_cables: list[Cable]
) -> None:
    version_1_file(db, monkeypatch, real_cables[:4])
    before = rows(db)
    assert not FEATURE_TABLES & set(before)
    with SQLiteStore(db) as store:
        assert store.schema_version == latest_version() == 2
        assert store.get(real_cables[0].id).to_dict() == real_cables[0].to_dict()
    after = rows(db)
    assert {t: after[t] for t in before} == before and FEATURE_TABLES <= set(after)
    assert FEATURE_INDEXES <= names(db, "index")


def test_version_1_file_whose_features_made_their_tables_migrates_with_their_rows(
    db: Path, monkeypatch: pytest.MonkeyPatch, real_cables: list[Cable]
) -> None:
    """Before version 2 the features created their own tables: those files must upgrade cleanly."""
    version_1_file(db, monkeypatch, real_cables[:2])
    with sqlite3.connect(db) as conn:
        for stmt in schema_mod.MIGRATIONS[1].statements:  # the features' very statements
            conn.execute(stmt)
        conn.execute("INSERT INTO entity_decisions (kind, a, b, at) VALUES ('merge', 'p:a', 'p:b', 'now')")
        conn.execute(
            "INSERT INTO protect_decisions (scope, target, cable_id, name, decision, user, at) "
            "VALUES ('person', 'gough', NULL, 'Gough', 'accepted', 'ed', 'now')"
        )
    before = rows(db)
    with SQLiteStore(db) as store:
        assert store.schema_version == 2
    assert rows(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT user, name FROM protect_decisions").fetchall() == [("ed", "Gough")]


def test_readonly_open_of_a_version_1_file_reads_it_and_writes_nothing(
    db: Path, monkeypatch: pytest.MonkeyPatch, real_cables: list[Cable]
) -> None:
    from cabledesk.enrich.entity_store import EntityStore

    version_1_file(db, monkeypatch, real_cables[:3])
    before = db.read_bytes()
    with SQLiteStore(db, readonly=True) as ro:
        assert ro.schema_version == 1 and ro.count() == 3
        assert not ro.has_tables(*FEATURE_TABLES) and not EntityStore(ro).ready
    assert db.read_bytes() == before and not FEATURE_TABLES & names(db, "table")


def test_readonly_open_still_refuses_a_file_missing_a_migration_readers_need(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SQLiteStore(db).close()
    needed = Migration(latest_version() + 1, "a column", ("ALTER TABLE cables ADD COLUMN x TEXT",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*MIGRATIONS, needed])
    with pytest.raises(SchemaError, match="open it once without read-only mode"):
        SQLiteStore(db, readonly=True)


def marked_cable() -> str:
    """A cable with a protection marker, from the hand-checked list in tests/protect/markers.json."""
    markers = json.loads((Path(__file__).parents[1] / "protect" / "markers.json").read_text(encoding="utf-8"))
    return str(markers["markers"][0]["id"])


@pytest.fixture(scope="module")
def web_db(tmp_path_factory: pytest.TempPathFactory, cable_page: object) -> Path:
    """Three real cables, one with a protection marker (tests/protect/markers.json), and their index."""
    from cabledesk.desk import Desk

    marked = marked_cable()
    db = tmp_path_factory.mktemp("ro_web") / "c.db"
    with Desk(db) as desk:
        desk.ingest([cable_page(c) for c in (marked, "10MEXICO83", "09STATE82013")])  # type: ignore[operator]
    return db


def version_1_copy(db: Path, to: Path) -> Path:
    """The same database as a version-1 file: no feature tables, schema_version 1."""
    shutil.copytree(index_path_for(db), index_path_for(to))
    src, dst = sqlite3.connect(db), sqlite3.connect(to)
    src.backup(dst)
    src.close()
    with dst:
        for t in FEATURE_TABLES:
            dst.execute(f"DROP TABLE {t}")
        dst.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    dst.close()  # the last connection: checkpoints, so the WAL is gone before the test looks
    return to


@pytest.mark.parametrize("old", [False, True], ids=["current", "version-1"])
def test_readonly_web_app_serves_cables_and_protected_search_without_writing(
    web_db: Path, tmp_path: Path, old: bool
) -> None:
    from fastapi.testclient import TestClient

    from cabledesk.web.server import create_app

    if old:
        web_db = version_1_copy(web_db, tmp_path / "old.db")
    marked = marked_cable()
    files = [web_db, web_db.with_name(web_db.name + "-wal")]
    stamps = [(f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in files]
    watcher = sqlite3.connect(web_db)
    try:
        version = watcher.execute("PRAGMA data_version").fetchone()[0]
        tables = names(web_db, "table")
        with TestClient(create_app(web_db)) as client:
            assert client.get("/cable/10MEXICO83").status_code == 200
            found = client.get("/api/search", params={"q": "protected:yes"})
            assert found.status_code == 200 and marked in found.text
            assert client.get("/", params={"q": "protected:yes"}).status_code == 200
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == version  # nobody committed
    finally:
        watcher.close()
    assert [(f.stat().st_mtime_ns, f.stat().st_size) if f.exists() else None for f in files] == stamps
    assert names(web_db, "table") == tables
