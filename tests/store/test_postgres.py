"""What is particular to PostgreSQL: alembic migrations on open, refusals, URL handling, scoped SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pg_kit import fresh_database

from cabledesk.errors import SchemaError, StoreError
from cabledesk.model import Cable
from cabledesk.store import Store, index_path_for, open_store
from cabledesk.store.pg_migrate import head_revision, is_postgres_url, redact
from cabledesk.store.postgres import PostgresStore, qmark_to_pyformat


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database() as u:
        yield u


def test_open_store_dispatches_urls_and_migrates_to_the_alembic_head(url: str) -> None:
    with open_store(url) as store:
        assert isinstance(store, PostgresStore) and isinstance(store, Store)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head_revision(),)


def test_a_foreign_database_is_refused_untouched(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(SchemaError, match="not a cabledesk database.*invoices"):
        PostgresStore(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regclass('cables')").fetchone() == (None,)


def test_a_newer_schema_is_refused(url: str) -> None:
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaError, match="newer cabledesk"):
        PostgresStore(url)


def test_read_only_open_neither_migrates_nor_writes(url: str, real_cables: list[Cable]) -> None:
    with pytest.raises(SchemaError, match="needs upgrading"):
        PostgresStore(url, readonly=True)
    PostgresStore(url).close()
    with PostgresStore(url, readonly=True) as ro, pytest.raises(StoreError):
        ro.add_many([(real_cables[0], "src", "item")])


def test_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open"):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none")


def test_urls_are_recognised_even_after_pathlib_and_passwords_are_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert is_postgres_url("postgresql://h/db") and is_postgres_url(str(Path("postgresql://h/db")))
    assert not is_postgres_url("cabledesk.db") and not is_postgres_url(Path("postgres.db"))
    assert "secret" not in redact("postgresql://u:secret@h/db")
    monkeypatch.delenv("CABLEDESK_INDEX", raising=False)
    assert index_path_for("postgresql://h:5432/news") == Path.cwd() / "cabledesk-index" / "news"
    monkeypatch.setenv("CABLEDESK_INDEX", "/srv/idx")
    assert index_path_for("postgresql://h:5432/news") == Path("/srv/idx")


def test_sqlite_style_sql_runs_with_literals_kept() -> None:
    assert qmark_to_pyformat("SELECT '?%' , x FROM t WHERE a = ? AND b LIKE 'x%'") == (
        "SELECT '?%%' , x FROM t WHERE a = %s AND b LIKE 'x%%'"
    )


def test_scoped_sql_sees_only_allowed_rows_and_leaves_nothing_behind(
    url: str, real_cables: list[Cable]
) -> None:
    with PostgresStore(url) as store:
        store.add_many([(c, "src", c.id) for c in real_cables])
        keep = {c.id for c in real_cables[:3]}
        assert {r[0] for r in store.scoped_all("SELECT id FROM cables", (), keep)} == keep
        n = store.scoped_all("SELECT count(*) FROM paragraphs WHERE cable_id <> ?", ("x",), keep)[0][0]
        assert n == sum(len(c.paragraphs) for c in real_cables[:3])
        assert store.count() == len(real_cables)
