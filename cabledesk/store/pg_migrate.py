"""Bring a PostgreSQL database to the latest cabledesk schema with alembic, programmatically, on open.

The revisions live in ``cabledesk/store/migrations_pg/versions``; no ini file is needed. Several app
processes may start at once (``uvicorn --workers N``): the upgrade runs in ONE transaction holding a
transaction-level advisory lock, so exactly one process migrates and the others then find the head
already reached (PostgreSQL DDL is transactional: a failed upgrade leaves nothing behind).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cabledesk.errors import SchemaError, StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations_pg")

#: Advisory-lock key of schema upgrades ("CBLD" as in the SQLite application_id).
MIGRATION_LOCK = 0x43424C44


_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_postgres_url(db: object) -> bool:
    """True for ``postgresql://`` / ``postgres://`` URLs (server mode), False for SQLite paths.

    Also recognises a URL that went through ``pathlib.Path`` (``postgresql:/host/db``: one slash).
    """
    text = str(db) if isinstance(db, str | Path) else ""
    return any(text.startswith(s + ":/") for s in _SCHEMES)


def libpq_url(url: str) -> str:
    """The URL as libpq (psycopg) spells it: ``postgresql://...``."""
    scheme, _colon, rest = str(url).partition(":")
    return "postgresql://" + rest.lstrip("/") if rest.startswith("/") and not rest.startswith("///") else (
        "postgresql:" + rest)  # fmt: skip


def database_name(url: str) -> str:
    """The database named by the URL (``postgresql://host/news`` -> ``news``)."""
    name = urlsplit(libpq_url(url)).path.lstrip("/")
    return name or "postgres"


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(libpq_url(url))
    if parts.password is None:
        return urlunsplit(parts)
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _config() -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest revision this cabledesk knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()  # type: ignore[arg-type]
    assert head is not None
    return head


def migrate_pg(url: str, *, readonly: bool = False) -> str:
    """Upgrade the database at ``url`` to head (unless ``readonly``) and return its revision."""
    try:
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import SQLAlchemyError
        from sqlalchemy.pool import NullPool
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StoreError(
            f"server mode needs the 'server' extra: pip install 'cabledesk[server]' ({exc})"
        ) from exc

    cfg = _config()
    script = ScriptDirectory.from_config(cfg)  # type: ignore[arg-type]
    head = script.get_current_head()
    known = {rev.revision for rev in script.walk_revisions()}
    engine = create_engine("postgresql+psycopg://" + libpq_url(url).split("://", 1)[1], poolclass=NullPool)
    shown = redact(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            tables = set(
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                ).scalars()
            )
            if tables and "alembic_version" not in tables:
                shown_tables = ", ".join(sorted(tables)[:8])
                raise SchemaError(
                    f"{shown} is a PostgreSQL database but not a cabledesk database "
                    f"(tables: {shown_tables}); choose another database"
                )
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in known:
                raise SchemaError(
                    f"{shown} was written by a newer cabledesk (schema revision {current}); "
                    "upgrade cabledesk to open it"
                )
            if current == head and head is not None:
                conn.rollback()
                return head
            if readonly:
                raise SchemaError(
                    f"{shown} is at schema revision {current or 'none'} and needs upgrading to {head}; "
                    "open it once without read-only mode (or run `cabledesk admin migrate`)"
                )
            cfg.attributes["connection"] = conn  # type: ignore[attr-defined]
            command.upgrade(cfg, "head")  # type: ignore[arg-type]
            conn.commit()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database {shown}: {exc.__class__.__name__}: {exc}") from exc
    finally:
        engine.dispose()
    assert head is not None
    return head
