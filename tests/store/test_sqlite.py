"""What is particular to the SQLite file: schema and migrations, write failures, readers meanwhile."""

from __future__ import annotations

import dataclasses
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
    v2 = Migration(2, "notes", ("CREATE TABLE notes (cable_id TEXT REFERENCES cables(id), text TEXT)",))
    v3 = Migration(3, "notes index", ("CREATE INDEX notes_cable ON notes(cable_id)",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*MIGRATIONS, v2, v3])
    with SQLiteStore(db) as store:
        assert store.schema_version == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "3"
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'notes_cable'").fetchone()


def test_failing_migration_leaves_the_file_at_its_old_version(
    db: Path, monkeypatch: pytest.MonkeyPatch, real_cables: list[Cable]
) -> None:
    with SQLiteStore(db) as store:
        store.add_many(triples(real_cables[:3]))
    good = Migration(2, "ok", ("CREATE TABLE notes (text TEXT)",))
    bad = Migration(3, "broken", ("CREATE TABLE cables (id TEXT)",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*MIGRATIONS, good, bad])
    with pytest.raises(SchemaError, match="schema version 3"):
        SQLiteStore(db)
    monkeypatch.setattr(schema_mod, "MIGRATIONS", MIGRATIONS)
    with SQLiteStore(db) as store:
        assert store.schema_version == 1 and store.count() == 3
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
