"""The SQLite schema as an ordered list of migrations, so every old database can be brought forward.

A database records its version in ``meta.schema_version`` and carries ``PRAGMA application_id`` =
:data:`APPLICATION_ID` so that another program's SQLite file is never mistaken for ours. On open,
:func:`migrate` applies the missing migrations in one transaction: either all of them land or none.
Never edit a released migration; append a new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cabledesk.errors import SchemaError

#: "CBLD" in the SQLite header: marks the file as cabledesk's (see ``PRAGMA application_id``).
APPLICATION_ID = 0x43424C44


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema history: the statements that take version-1 to version."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = (
    """CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE cables (
        id                   TEXT PRIMARY KEY,          -- canonical reference id: 10MEXICO83
        version              INTEGER NOT NULL,          -- current version (see cable_versions)
        content_hash         TEXT NOT NULL,             -- sha256 of header + body
        created              TEXT,                      -- ISO 8601
        year                 INTEGER,
        released             TEXT,
        origin               TEXT,
        classification       TEXT,                      -- level: UNCLASSIFIED .. TOP SECRET
        classification_label TEXT,                      -- as written: SECRET//NOFORN
        caveats              TEXT NOT NULL DEFAULT '[]',  -- JSON list
        precedence           TEXT,
        dtg                  TEXT,
        from_addr            TEXT,
        to_addrs             TEXT NOT NULL DEFAULT '[]',  -- JSON list
        info_addrs           TEXT NOT NULL DEFAULT '[]',  -- JSON list
        subject              TEXT,
        subject_marking      TEXT,
        signer               TEXT,
        classified_by        TEXT,                      -- JSON object or NULL
        declassify           TEXT,                      -- JSON object or NULL
        conflicts            TEXT NOT NULL DEFAULT '[]',  -- JSON list
        body                 TEXT NOT NULL,
        header               TEXT NOT NULL,
        source               TEXT NOT NULL,             -- input of the current version
        item                 TEXT NOT NULL,
        ingested_at          TEXT NOT NULL              -- when the current version was stored
    )""",
    """CREATE TABLE cable_versions (
        cable_id     TEXT NOT NULL REFERENCES cables(id),
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        data         TEXT NOT NULL,                     -- Cable.to_dict() as JSON
        source       TEXT NOT NULL,
        item         TEXT NOT NULL,
        at           TEXT NOT NULL,
        PRIMARY KEY (cable_id, version)
    )""",
    """CREATE TABLE paragraphs (
        cable_id TEXT NOT NULL REFERENCES cables(id),
        idx      INTEGER NOT NULL,                      -- 0-based position in the cable
        n        INTEGER,                               -- number as written, NULL if unnumbered
        marking  TEXT,                                  -- portion marking: C, S//NF, SBU
        text     TEXT NOT NULL,
        PRIMARY KEY (cable_id, idx)
    )""",
    """CREATE TABLE tags (
        cable_id TEXT NOT NULL REFERENCES cables(id),
        pos      INTEGER NOT NULL,
        tag      TEXT NOT NULL,
        PRIMARY KEY (cable_id, pos)
    )""",
    """CREATE TABLE refs (
        cable_id    TEXT NOT NULL REFERENCES cables(id),
        pos         INTEGER NOT NULL,
        raw         TEXT NOT NULL,                      -- the REF item as written
        target_id   TEXT,                               -- canonical id of the cited cable
        year_source TEXT,                               -- stated | inferred
        kind        TEXT NOT NULL,                      -- cable | email | telcon | dtg | fam | memo | other
        label       TEXT,                               -- A, B, ...
        PRIMARY KEY (cable_id, pos)
    )""",
    """CREATE TABLE ledger (
        id           INTEGER PRIMARY KEY,
        source       TEXT NOT NULL,
        item         TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('ingested', 'duplicate', 'updated', 'failed')),
        cable_id     TEXT REFERENCES cables(id),
        reason       TEXT,
        content_hash TEXT,
        at           TEXT NOT NULL
    )""",
    "CREATE INDEX cables_origin ON cables(origin)",
    "CREATE INDEX cables_year ON cables(year)",
    "CREATE INDEX cables_created ON cables(created)",
    "CREATE INDEX cables_classification ON cables(classification)",
    "CREATE INDEX cables_classification_label ON cables(classification_label)",
    "CREATE INDEX tags_tag ON tags(tag, cable_id)",  # covering: tag facets never read the rows
    "CREATE INDEX refs_target_id ON refs(target_id)",
    "CREATE INDEX ledger_source_item ON ledger(source, item)",
    "CREATE INDEX ledger_status ON ledger(status)",
    "CREATE INDEX ledger_cable_id ON ledger(cable_id)",
    f"PRAGMA application_id = {APPLICATION_ID}",
    "INSERT INTO meta (key, value) VALUES ('application', 'cabledesk'), ('schema_version', '0')",
)

#: Every migration, oldest first; ``MIGRATIONS[-1].version`` is the version this code writes.
MIGRATIONS: list[Migration] = [Migration(1, "initial schema", _V1)]


def latest_version(migrations: list[Migration] | None = None) -> int:
    """The schema version this cabledesk writes."""
    return (migrations if migrations is not None else MIGRATIONS)[-1].version


def read_version(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version (0 = empty file); SchemaError if the file is not cabledesk's."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"{path} is not a cabledesk database: it is not an SQLite file ({exc})") from exc
    if app_id == 0 and not tables:
        return 0
    if app_id != APPLICATION_ID:
        shown = ", ".join(sorted(tables)[:8]) or "no tables"
        raise SchemaError(
            f"{path} is an SQLite database but not a cabledesk database "
            f"(application_id {app_id:#x}, tables: {shown}); choose another file name"
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise SchemaError(f"{path} is damaged: its meta table has no schema_version")
    return int(row[0])


def migrate(
    conn: sqlite3.Connection, path: Path, migrations: list[Migration] | None = None, *, readonly: bool = False
) -> int:
    """Bring the file to the latest schema in one transaction and return the version reached."""
    migrations = migrations if migrations is not None else MIGRATIONS
    latest = latest_version(migrations)
    version = read_version(conn, path)
    if version > latest:
        raise SchemaError(
            f"{path} was written by a newer cabledesk (schema version {version}; this cabledesk "
            f"reads up to version {latest}); upgrade cabledesk to open it"
        )
    if version == latest:
        return version
    if readonly:
        raise SchemaError(
            f"{path} has schema version {version} and needs upgrading to {latest}; "
            "open it once without read-only mode"
        )
    try:
        conn.execute("BEGIN IMMEDIATE")
        version = read_version(conn, path)  # another process may have migrated while we waited
        for m in migrations:
            if m.version <= version:
                continue
            for stmt in m.statements:
                conn.execute(stmt)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(m.version),))
            version = m.version
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise SchemaError(f"could not upgrade {path} to schema version {latest}: {exc}") from exc
        raise
    return version
