"""Sign-in lock-out per client address, and audit indexes for the admin page's filters.

Revision ID: 0006_throttle
Revises: 0005_entities_protect
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006_throttle"
down_revision = "0005_entities_protect"
branch_labels = None
depends_on = None

_STATEMENTS = (
    # One row per client address that failed to sign in: failures in the current window, and the
    # time until which every sign-in from that address is refused (password spraying).
    """CREATE TABLE login_throttle (
        remote       TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL DEFAULT 0,
        window_start TIMESTAMPTZ NOT NULL DEFAULT now(),
        locked_until TIMESTAMPTZ
    )""",
    "CREATE INDEX audit_action ON audit(action, at)",
    "CREATE INDEX audit_target ON audit(target, at)",
)


def upgrade() -> None:
    for stmt in _STATEMENTS:
        op.execute(stmt)


def downgrade() -> None:
    op.execute("DROP INDEX audit_target")
    op.execute("DROP INDEX audit_action")
    op.execute("DROP TABLE login_throttle")
