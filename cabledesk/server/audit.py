"""The audit trail: who signed in, searched, read and exported what, when, and from where.

Rows are only ever appended: a trigger (migration 0003) refuses UPDATE, DELETE and TRUNCATE on the
``audit`` table for every database role, the application's included, so an editor can later show
the trail is complete.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cabledesk.server.accounts import Accounts

#: Actions written by cabledesk (free text is allowed, these are the ones the app uses).
ACTIONS = (
    "login", "login_failed", "logout", "search", "view", "export", "api", "admin",
)  # fmt: skip


def record(
    accounts: Accounts,
    action: str,
    *,
    user: str | None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    remote: str | None = None,
) -> None:
    """Append one row (the time is the database's clock, not the caller's)."""
    accounts.run(
        "INSERT INTO audit (username, action, target, detail, remote) VALUES (%s, %s, %s, %s::jsonb, %s)",
        (user, action, target, json.dumps(detail or {}, ensure_ascii=False), remote),
    )


def rows(
    accounts: Accounts,
    *,
    user: str | None = None,
    since: datetime | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Audit rows oldest first, filtered by user, start time and action."""
    conds, params = [], []
    for sql, value in (("username = %s", user), ("at >= %s", since), ("action = %s", action)):
        if value is not None:
            conds.append(sql)
            params.append(value)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    found = accounts.run(
        f"SELECT id, at, username, action, target, detail, remote FROM audit {where} ORDER BY id LIMIT %s",
        (*params, limit),
    )
    keys = ("id", "at", "user", "action", "target", "detail", "remote")
    return [dict(zip(keys, r, strict=True)) for r in found]
