"""Newsroom server: organisations, users, API tokens, sessions, collections and grants.

Revision ID: 0002_accounts
Revises: 0001_records
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

revision = "0002_accounts"
down_revision = "0001_records"
branch_labels = None
depends_on = None

_TABLES = (
    """CREATE TABLE orgs (
        id         INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE users (
        id            INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'reader')),
        org_id        INTEGER NOT NULL REFERENCES orgs(id),
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until  TIMESTAMPTZ,
        disabled      BOOLEAN NOT NULL DEFAULT false,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE api_tokens (
        id           INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users(id),
        token_hash   TEXT NOT NULL UNIQUE,
        label        TEXT NOT NULL DEFAULT '',
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        revoked_at   TIMESTAMPTZ,
        last_used_at TIMESTAMPTZ
    )""",
    """CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        csrf       TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        expires_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE collections (
        id         INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        kind       TEXT NOT NULL CHECK (kind IN ('source', 'query')),
        spec       TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )""",
    """CREATE TABLE grants (
        org_id        INTEGER NOT NULL REFERENCES orgs(id),
        collection_id INTEGER NOT NULL REFERENCES collections(id),
        PRIMARY KEY (org_id, collection_id)
    )""",
    "CREATE INDEX sessions_user ON sessions(user_id)",
    "CREATE INDEX api_tokens_user ON api_tokens(user_id)",
)


def upgrade() -> None:
    for stmt in _TABLES:
        op.execute(stmt)


def downgrade() -> None:
    for table in ("grants", "collections", "sessions", "api_tokens", "users", "orgs"):
        op.execute(f"DROP TABLE {table}")
