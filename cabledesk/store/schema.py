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
    #: True when it only adds tables that features check for before reading, so a read-only open
    #: of a file that lacks it may go on (it cannot write the upgrade) instead of refusing the file.
    readers_may_skip: bool = False


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

# Version 2: the feature tables, declared here instead of created lazily by each feature (a read-only
# web server must never write the user's file). IF NOT EXISTS: files that ran those features before
# version 2 already hold them, with exactly these definitions.
_ENTITY_TABLES = (
    # Entities (cabledesk.enrich.entity_store): derived, rebuildable by `cabledesk enrich --rebuild`,
    # except entity_decisions (the user's merges and splits).
    """CREATE TABLE IF NOT EXISTS entity_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entity_cables (
        cable_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, at TEXT NOT NULL, heads INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entity_heads (
        cable_id TEXT NOT NULL, local_id INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,
        node TEXT NOT NULL, display TEXT NOT NULL, forms TEXT NOT NULL, origin TEXT, created TEXT,
        PRIMARY KEY (cable_id, local_id))""",
    """CREATE TABLE IF NOT EXISTS entity_mentions (
        cable_id TEXT NOT NULL, local_id INTEGER NOT NULL, paragraph INTEGER, start INTEGER, "end" INTEGER,
        text TEXT NOT NULL, source TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entity_roles (
        cable_id TEXT NOT NULL, local_id INTEGER NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entity_nodes (node TEXT PRIMARY KEY, entity_id TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entity_entities (
        entity_id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL,
        aliases TEXT NOT NULL, mentions INTEGER NOT NULL, cables INTEGER NOT NULL, first TEXT, last TEXT)""",
    """CREATE TABLE IF NOT EXISTS entity_decisions (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
        a TEXT NOT NULL, b TEXT NOT NULL, at TEXT NOT NULL, undone_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS entity_heads_node ON entity_heads(node)",
    "CREATE INDEX IF NOT EXISTS entity_mentions_cable ON entity_mentions(cable_id, local_id)",
    "CREATE INDEX IF NOT EXISTS entity_roles_cable ON entity_roles(cable_id, local_id)",
    "CREATE INDEX IF NOT EXISTS entity_nodes_entity ON entity_nodes(entity_id)",
    "CREATE INDEX IF NOT EXISTS entity_entities_name ON entity_entities(name)",
)
_PROTECT_TABLES = (
    # Source protection (cabledesk.protect_store): the user's decisions (append-only, undo marks a
    # row), the watch list and the export log. Never derived: never dropped.
    """CREATE TABLE IF NOT EXISTS protect_decisions (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('finding', 'person')),
    target TEXT NOT NULL,          -- finding key (cable:fieldN:start-end) or person key
    cable_id TEXT,                 -- the finding's cable (NULL for person decisions)
    name TEXT NOT NULL,            -- the name as written / the person's display name
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
)""",
    "CREATE INDEX IF NOT EXISTS protect_decisions_target ON protect_decisions (target)",
    """CREATE TABLE IF NOT EXISTS protect_watch (
    name TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    at TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS protect_exports (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    at TEXT NOT NULL,
    selection TEXT NOT NULL,       -- the cable id or query exported
    format TEXT NOT NULL,
    cables INTEGER NOT NULL,
    manifest TEXT NOT NULL         -- JSON: what was masked, where, by whose decision
)""",
)

#: Tables a feature reads only after checking they exist (a read-only open of a version-1 file lacks them).
ENTITY_TABLES: tuple[str, ...] = (
    "entity_meta",
    "entity_cables",
    "entity_heads",
    "entity_mentions",
    "entity_roles",
    "entity_nodes",
    "entity_entities",
    "entity_decisions",
)
PROTECT_TABLES: tuple[str, ...] = ("protect_decisions", "protect_watch", "protect_exports")

#: Every migration, oldest first; ``MIGRATIONS[-1].version`` is the version this code writes.
MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _V1),
    Migration(2, "entity and protect tables", _ENTITY_TABLES + _PROTECT_TABLES, readers_may_skip=True),
]


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
    if readonly and all(m.readers_may_skip for m in migrations if m.version > version):
        return version  # readable as it is; the next writable open upgrades it
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
