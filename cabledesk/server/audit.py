"""The audit trail: who signed in, searched, read and exported what, when, and from where.

Rows are only ever appended, behind two walls: the app's database role holds only SELECT and
INSERT on ``audit`` (:mod:`cabledesk.server.roles`, ``cabledesk admin app-role``), and a trigger
(migration 0003) refuses UPDATE, DELETE and TRUNCATE for every role, the owner's included, so an
editor can later show the trail is complete.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cabledesk.server.accounts import Accounts

#: Actions written by cabledesk (free text is allowed, these are the ones the app uses).
ACTIONS = (
    "login", "login_failed", "logout", "search", "view", "export", "api", "admin",
    "note_add", "note_delete", "tag_add", "tag_delete", "star_add", "star_delete",
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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit rows to show: every field optional; ``until`` is exclusive, ``target`` exact."""

    user: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    target: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (values as placeholders only) and its parameters."""
        conds, params = [], []
        for sql, value in (
            ("username = %s", self.user), ("action = %s", self.action), ("at >= %s", self.since),
            ("at < %s", self.until), ("target = %s", self.target),
        ):  # fmt: skip
            if value is not None and value != "":
                conds.append(sql)
                params.append(value)
        return ("WHERE " + " AND ".join(conds)) if conds else "", params


_COLUMNS = ("id", "at", "user", "action", "target", "detail", "remote")


def rows(
    accounts: Accounts,
    *,
    user: str | None = None,
    since: datetime | None = None,
    action: str | None = None,
    limit: int | None = None,
    until: datetime | None = None,
    target: str | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Audit rows oldest first (or newest first), filtered by user, action, time range and target."""
    where, params = AuditFilter(user, action, since, until, target).where()
    order = "DESC" if newest_first else ""
    found = accounts.run(
        f"SELECT id, at, username, action, target, detail, remote FROM audit {where} "
        f"ORDER BY id {order} LIMIT %s OFFSET %s",
        (*params, limit, max(0, offset)),
    )
    return [dict(zip(_COLUMNS, r, strict=True)) for r in found]


def count(accounts: Accounts, flt: AuditFilter) -> int:
    """How many rows match ``flt`` (for the admin page's pager)."""
    where, params = flt.where()
    return int(accounts.run(f"SELECT count(*) FROM audit {where}", params)[0][0])


def actions(accounts: Accounts) -> list[str]:
    """Every action name present in the trail, plus the ones cabledesk writes, sorted."""
    found = {str(r[0]) for r in accounts.run("SELECT DISTINCT action FROM audit")}
    return sorted(found | set(ACTIONS))


#: First characters that make a spreadsheet read a cell as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a search for ``=HYPERLINK(...)`` stays inert."""
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(found: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as CSV lines (header first; times in ISO 8601 UTC, detail as JSON, formulas defused)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_COLUMNS)
    for r in found:
        at = r["at"].astimezone(UTC).isoformat() if isinstance(r["at"], datetime) else r["at"]
        detail = json.dumps(r["detail"], ensure_ascii=False, sort_keys=True) if r["detail"] else ""
        texts = (r["user"] or "", r["action"], r["target"] or "", detail, r["remote"] or "")
        writer.writerow([r["id"], at, *(_cell(t) for t in texts)])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue()
