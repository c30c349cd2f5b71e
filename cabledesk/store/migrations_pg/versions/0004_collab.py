"""Newsroom collaboration: notes on cable paragraphs, tags on cables, starred searches.

Revision ID: 0004_collab
Revises: 0003_audit
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

revision = "0004_collab"
down_revision = "0003_audit"
branch_labels = None
depends_on = None

_TABLES = (
    """CREATE TABLE notes (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        cable_id   TEXT NOT NULL,
        paragraph  INTEGER NOT NULL CHECK (paragraph >= 0),
        body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
        author_id  INTEGER NOT NULL REFERENCES users(id),
        shared     BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE cable_tags (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        cable_id   TEXT NOT NULL,
        tag        TEXT NOT NULL CHECK (length(tag) BETWEEN 1 AND 100),
        author_id  INTEGER NOT NULL REFERENCES users(id),
        shared     BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (cable_id, tag, author_id, shared)
    )""",
    """CREATE TABLE stars (
        id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        query      TEXT NOT NULL CHECK (length(query) BETWEEN 1 AND 2000),
        label      TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (user_id, query)
    )""",
    "CREATE INDEX notes_cable ON notes(cable_id)",
    "CREATE INDEX cable_tags_cable ON cable_tags(cable_id)",
)


def upgrade() -> None:
    for stmt in _TABLES:
        op.execute(stmt)


def downgrade() -> None:
    for table in ("stars", "cable_tags", "notes"):
        op.execute(f"DROP TABLE {table}")
