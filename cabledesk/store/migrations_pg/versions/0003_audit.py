"""Append-only audit trail: a trigger refuses UPDATE, DELETE and TRUNCATE for every role.

Revision ID: 0003_audit
Revises: 0002_accounts
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

revision = "0003_audit"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

_STATEMENTS = (
    """CREATE TABLE audit (
        id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at       TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
        username TEXT,
        action   TEXT NOT NULL,
        target   TEXT,
        detail   JSONB NOT NULL DEFAULT '{}'::jsonb,
        remote   TEXT
    )""",
    "CREATE INDEX audit_at ON audit(at)",
    "CREATE INDEX audit_username ON audit(username, at)",
    """CREATE FUNCTION cabledesk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$""",
    """CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION cabledesk_audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION cabledesk_audit_append_only()""",
)


def upgrade() -> None:
    for stmt in _STATEMENTS:
        op.execute(stmt)


def downgrade() -> None:
    op.execute("DROP TABLE audit")
    op.execute("DROP FUNCTION cabledesk_audit_append_only()")
