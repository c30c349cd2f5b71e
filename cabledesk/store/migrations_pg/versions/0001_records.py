"""Records schema: the PostgreSQL twin of the SQLite schema version 1 (cables, versions, ledger).

Revision ID: 0001_records
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

revision = "0001_records"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = (
    """CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE cables (
        id                   TEXT COLLATE "C" PRIMARY KEY,
        version              INTEGER NOT NULL,
        content_hash         TEXT NOT NULL,
        created              TEXT,
        year                 INTEGER,
        released             TEXT,
        origin               TEXT,
        classification       TEXT,
        classification_label TEXT,
        caveats              TEXT NOT NULL DEFAULT '[]',
        precedence           TEXT,
        dtg                  TEXT,
        from_addr            TEXT,
        to_addrs             TEXT NOT NULL DEFAULT '[]',
        info_addrs           TEXT NOT NULL DEFAULT '[]',
        subject              TEXT,
        subject_marking      TEXT,
        signer               TEXT,
        classified_by        TEXT,
        declassify           TEXT,
        conflicts            TEXT NOT NULL DEFAULT '[]',
        body                 TEXT NOT NULL,
        header               TEXT NOT NULL,
        source               TEXT NOT NULL,
        item                 TEXT NOT NULL,
        ingested_at          TEXT NOT NULL
    )""",
    """CREATE TABLE cable_versions (
        cable_id     TEXT COLLATE "C" NOT NULL REFERENCES cables(id),
        version      INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        data         BYTEA NOT NULL,
        source       TEXT NOT NULL,
        item         TEXT NOT NULL,
        at           TEXT NOT NULL,
        PRIMARY KEY (cable_id, version)
    )""",
    """CREATE TABLE paragraphs (
        cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables(id),
        idx      INTEGER NOT NULL,
        n        INTEGER,
        marking  TEXT,
        text     TEXT NOT NULL,
        PRIMARY KEY (cable_id, idx)
    )""",
    """CREATE TABLE tags (
        cable_id TEXT COLLATE "C" NOT NULL REFERENCES cables(id),
        pos      INTEGER NOT NULL,
        tag      TEXT NOT NULL,
        PRIMARY KEY (cable_id, pos)
    )""",
    """CREATE TABLE refs (
        cable_id    TEXT COLLATE "C" NOT NULL REFERENCES cables(id),
        pos         INTEGER NOT NULL,
        raw         TEXT NOT NULL,
        target_id   TEXT COLLATE "C",
        year_source TEXT,
        kind        TEXT NOT NULL,
        label       TEXT,
        PRIMARY KEY (cable_id, pos)
    )""",
    """CREATE TABLE ledger (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source       TEXT NOT NULL,
        item         TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('ingested', 'duplicate', 'updated', 'failed')),
        cable_id     TEXT COLLATE "C" REFERENCES cables(id),
        reason       TEXT,
        content_hash TEXT,
        at           TEXT NOT NULL
    )""",
    "CREATE INDEX cables_origin ON cables(origin)",
    "CREATE INDEX cables_year ON cables(year)",
    "CREATE INDEX cables_created ON cables(created)",
    "CREATE INDEX cables_classification ON cables(classification)",
    "CREATE INDEX cables_classification_label ON cables(classification_label)",
    "CREATE INDEX tags_tag ON tags(tag, cable_id)",
    "CREATE INDEX refs_target_id ON refs(target_id)",
    "CREATE INDEX ledger_source_item ON ledger(source, item)",
    "CREATE INDEX ledger_status ON ledger(status)",
    "CREATE INDEX ledger_cable_id ON ledger(cable_id)",
    "CREATE INDEX cable_versions_source ON cable_versions(source)",
    "INSERT INTO meta (key, value) VALUES ('application', 'cabledesk')",
)


def upgrade() -> None:
    for stmt in _TABLES:
        op.execute(stmt)


def downgrade() -> None:
    for table in ("ledger", "refs", "tags", "paragraphs", "cable_versions", "cables", "meta"):
        op.execute(f"DROP TABLE {table}")
