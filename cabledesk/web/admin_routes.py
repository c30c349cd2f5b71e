"""The admin page of the audit trail (server mode, admin role only): filter, page, download as CSV.

``/admin/...`` is admin-only in the sign-in middleware (``ROUTE_ROLES``), so a reader or editor
gets 403 before these routes run. The queries are :mod:`cabledesk.server.audit`'s; this module only
reads the filter form and formats. Downloading the CSV is itself written to the trail.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from cabledesk.server import audit
from cabledesk.server.accounts import Accounts
from cabledesk.web.auth_routes import current_user

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
#: Rows of one CSV download at most (narrow the filter for more).
MAX_CSV_ROWS = 1_000_000

Text = Annotated[str, Query(max_length=200)]
Day = Annotated[str, Query(max_length=10)]


class FilterError(ValueError):
    """A filter field that cannot be read (a date that is not YYYY-MM-DD)."""


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FilterError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from exc


def audit_filter(user: str, action: str, date_from: str, date_to: str, cable: str) -> audit.AuditFilter:
    """The library filter of the page's form: dates are whole UTC days, ``to`` inclusive."""
    start, end = _day(date_from, "from"), _day(date_to, "to")
    return audit.AuditFilter(
        user=user.strip() or None,
        action=action.strip() or None,
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        target=cable.strip().upper() or None,
    )


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.desk.accounts
    return accounts


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, user: Text = "", action: Text = "", cable: Text = "", page: int = 1,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:  # fmt: skip
    """The audit trail, newest first, 50 rows a page, with the filter form and a CSV link."""
    from cabledesk.web.pages import render

    accounts = _accounts(request)
    form = {"user": user, "action": action, "from": date_from, "to": date_to, "cable": cable}
    ctx: dict[str, Any] = {"form": form, "actions": audit.actions(accounts), "active": "audit"}
    try:
        flt = audit_filter(user, action, date_from, date_to, cable)
    except FilterError as exc:
        return render(request, "admin_audit.html", status=400, error=str(exc), rows=[], total=0, **ctx)
    total = audit.count(accounts, flt)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = max(1, min(page, pages))
    found = audit.rows(accounts, user=flt.user, action=flt.action, since=flt.since, until=flt.until,
                       target=flt.target, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, newest_first=True)  # fmt: skip
    for r in found:
        r["when"] = r["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    kept = {k: v for k, v in form.items() if v}

    def url(n: int) -> str:
        return "/admin/audit?" + urlencode({**kept, "page": n} if n > 1 else kept)

    return render(
        request, "admin_audit.html", rows=found, total=total, page=page, pages=pages,
        prev_url=url(page - 1) if page > 1 else None, next_url=url(page + 1) if page < pages else None,
        csv_url="/admin/audit.csv" + ("?" + urlencode(kept) if kept else ""), **ctx,
    )  # fmt: skip


@router.get("/admin/audit.csv")
def audit_csv(
    request: Request, user: Text = "", action: Text = "", cable: Text = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:  # fmt: skip
    """Every matching row, oldest first, as CSV (the download is audited too)."""
    try:
        flt = audit_filter(user, action, date_from, date_to, cable)
    except FilterError as exc:
        return Response(str(exc) + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    accounts = _accounts(request)
    found = audit.rows(accounts, user=flt.user, action=flt.action, since=flt.since, until=flt.until,
                       target=flt.target, limit=MAX_CSV_ROWS)  # fmt: skip
    detail = {k: v for k, v in (("user", user), ("action", action), ("from", date_from), ("to", date_to),
                                ("cable", cable)) if v}  # fmt: skip
    audit.record(accounts, "export", user=current_user(request).name, target="audit.csv",
                 detail={**detail, "rows": len(found)}, remote=request.client.host if request.client else None)  # fmt: skip
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        audit.to_csv(found), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cabledesk-audit-{stamp}.csv"'},
    )  # fmt: skip
