"""Entity and source-protection tables: the PostgreSQL twin of the SQLite schema version 2.

Same tables, columns and meaning as :mod:`cabledesk.store.schema` (``_ENTITY_TABLES`` and
``_PROTECT_TABLES``), so :mod:`cabledesk.enrich.entity_store` and :mod:`cabledesk.protect_store` run
the same SQL on both backends. Differences are PostgreSQL spellings only: identity columns for
SQLite's ``INTEGER PRIMARY KEY``, ``"user"`` quoted (a reserved word here), cable ids ``COLLATE "C"``
(bytewise order, as SQLite and the records tables).

Revision ID: 0005_entities_protect
Revises: 0004_collab
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005_entities_protect"
down_revision = "0004_collab"
branch_labels = None
depends_on = None

_ENTITY = (
    "CREATE TABLE entity_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE entity_cables (
        cable_id TEXT COLLATE "C" PRIMARY KEY, content_hash TEXT NOT NULL, at TEXT NOT NULL,
        heads INTEGER NOT NULL)""",
    """CREATE TABLE entity_heads (
        cable_id TEXT COLLATE "C" NOT NULL, local_id INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,
        node TEXT NOT NULL, display TEXT NOT NULL, forms TEXT NOT NULL, origin TEXT, created TEXT,
        PRIMARY KEY (cable_id, local_id))""",
    """CREATE TABLE entity_mentions (
        cable_id TEXT COLLATE "C" NOT NULL, local_id INTEGER NOT NULL, paragraph INTEGER, start INTEGER,
        "end" INTEGER, text TEXT NOT NULL, source TEXT NOT NULL)""",
    """CREATE TABLE entity_roles (
        cable_id TEXT COLLATE "C" NOT NULL, local_id INTEGER NOT NULL, title TEXT NOT NULL,
        source TEXT NOT NULL)""",
    "CREATE TABLE entity_nodes (node TEXT PRIMARY KEY, entity_id TEXT NOT NULL)",
    """CREATE TABLE entity_entities (
        entity_id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, node TEXT NOT NULL,
        aliases TEXT NOT NULL, mentions INTEGER NOT NULL, cables INTEGER NOT NULL, first TEXT, last TEXT)""",
    """CREATE TABLE entity_decisions (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
        a TEXT NOT NULL, b TEXT NOT NULL, at TEXT NOT NULL, undone_at TEXT)""",
    "CREATE INDEX entity_heads_node ON entity_heads(node)",
    "CREATE INDEX entity_mentions_cable ON entity_mentions(cable_id, local_id)",
    "CREATE INDEX entity_roles_cable ON entity_roles(cable_id, local_id)",
    "CREATE INDEX entity_nodes_entity ON entity_nodes(entity_id)",
    "CREATE INDEX entity_entities_name ON entity_entities(name)",
)
_PROTECT = (
    """CREATE TABLE protect_decisions (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('finding', 'person')),
        target TEXT NOT NULL,
        cable_id TEXT COLLATE "C",
        name TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
        "user" TEXT NOT NULL,
        at TEXT NOT NULL,
        undone_by TEXT,
        undone_at TEXT)""",
    "CREATE INDEX protect_decisions_target ON protect_decisions (target)",
    """CREATE TABLE protect_watch (name TEXT PRIMARY KEY, "user" TEXT NOT NULL, at TEXT NOT NULL)""",
    """CREATE TABLE protect_exports (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "user" TEXT NOT NULL,
        at TEXT NOT NULL,
        selection TEXT NOT NULL,
        format TEXT NOT NULL,
        cables INTEGER NOT NULL,
        manifest TEXT NOT NULL)""",
)


def upgrade() -> None:
    for stmt in _ENTITY + _PROTECT:
        op.execute(stmt)


def downgrade() -> None:
    for table in ("protect_exports", "protect_watch", "protect_decisions", "entity_decisions",
                  "entity_entities", "entity_nodes", "entity_roles", "entity_mentions",
                  "entity_heads", "entity_cables", "entity_meta"):  # fmt: skip
        op.execute(f"DROP TABLE {table}")
