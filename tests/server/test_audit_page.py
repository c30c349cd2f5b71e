"""The admin page of the audit trail: admin only, filters, paging, CSV download."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, sign_in

from cabledesk.server import audit
from cabledesk.server.accounts import Accounts
from cabledesk.web.admin_routes import PAGE_SIZE
from cabledesk.web.server import create_app

CABLE = "10MEXICO83"


@pytest.fixture(scope="module")
def app(server_db: Server) -> Iterator[object]:
    application = create_app(server_db.url)
    with TestClient(application):
        yield application


def client(app: object, name: str | None) -> TestClient:
    c = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    if name:
        assert sign_in(c, name).status_code == 303
    return c


@pytest.fixture(scope="module")
def reporter(server_db: Server, app: object) -> str:
    """A reporter of El Pais with a known trail: a hostile search, a view, an export, many searches."""
    name = "aud_" + secrets.token_hex(3)
    with Accounts(server_db.url) as a:
        a.create_user(name, PASSWORD, "editor", "El Pais")
        c = client(app, name)
        c.get("/api/search", params={"q": '=HYPERLINK("http://evil.example")'})
        c.get(f"/api/cable/{CABLE}")
        c.get("/api/export", params={"q": "sedena"})
        for i in range(PAGE_SIZE + 5):
            audit.record(a, "search", user=name, target=f"bulk {i}", remote="192.0.2.1")
    return name


@pytest.mark.parametrize("who", ["ana", "eva", "kai"])
@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_the_audit_page_and_csv_are_for_admins_only(app: object, who: str, path: str) -> None:
    r = client(app, who).get(path)
    assert r.status_code == 403 and "admin role" in r.json()["error"]
    assert client(app, None).get(path).status_code == 303  # anonymous: to the sign-in page


def test_admin_sees_the_trail_newest_first_with_a_nav_link(app: object, reporter: str) -> None:
    page = client(app, "adm").get("/admin/audit", params={"user": reporter})
    assert page.status_code == 200
    assert f"<strong>{PAGE_SIZE + 9}</strong> rows" in page.text  # 55 bulk + 3 requests + login
    rows = re.findall(
        r"<td>([a-z0-9_]+)</td><td><code>(\w+)</code></td><td class=\"target\">([^<]*)</td>", page.text
    )
    assert rows[0] == (reporter, "search", f"bulk {PAGE_SIZE + 4}") and len(rows) == PAGE_SIZE
    assert 'href="/admin/audit"' in page.text  # the admin's nav link
    assert 'href="/admin/audit"' not in client(app, "eva").get("/").text


def test_filters_by_action_cable_and_date_range(app: object, reporter: str) -> None:
    adm = client(app, "adm")
    today = datetime.now(UTC).date()
    by_cable = adm.get("/admin/audit", params={"user": reporter, "cable": CABLE.lower()})
    assert "<strong>1</strong> row" in by_cable.text and "<code>view</code>" in by_cable.text
    exports = adm.get("/admin/audit", params={"user": reporter, "action": "export"})
    assert "<strong>1</strong> row" in exports.text and "sedena" in exports.text
    span = {"user": reporter, "from": today.isoformat(), "to": today.isoformat()}
    assert f"<strong>{PAGE_SIZE + 9}</strong>" in adm.get("/admin/audit", params=span).text
    later = {"user": reporter, "from": (today + timedelta(days=1)).isoformat()}
    assert "<strong>0</strong> rows" in adm.get("/admin/audit", params=later).text
    earlier = {"user": reporter, "to": (today - timedelta(days=1)).isoformat()}
    assert "<strong>0</strong> rows" in adm.get("/admin/audit", params=earlier).text
    bad = adm.get("/admin/audit", params={"from": "31/01/2026"})
    assert bad.status_code == 400 and "is not a date" in bad.text


def test_paging_keeps_the_filters(app: object, reporter: str) -> None:
    adm = client(app, "adm")
    first = adm.get("/admin/audit", params={"user": reporter})
    m = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert m and f"user={reporter}" in m.group(1) and "page=2" in m.group(1)
    second = adm.get(m.group(1).replace("&amp;", "&"))
    assert "page 2 of 2" in second.text and "bulk 0" in second.text and "bulk 54" not in second.text


def test_csv_download_has_every_filtered_row_with_formulas_defused_and_is_audited(
    app: object, reporter: str, accounts: Accounts
) -> None:
    r = client(app, "adm").get("/admin/audit.csv", params={"user": reporter})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="cabledesk-audit-')
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == PAGE_SIZE + 9 and table[0]["action"] == "login"  # oldest first
    hostile = next(row for row in table if "HYPERLINK" in row["target"])
    assert hostile["target"] == '\'=HYPERLINK("http://evil.example")'
    assert [row["id"] for row in table] == sorted((row["id"] for row in table), key=int)
    logged = audit.rows(accounts, user="adm", action="export", target="audit.csv")
    assert logged[-1]["detail"] == {"user": reporter, "rows": PAGE_SIZE + 9}
