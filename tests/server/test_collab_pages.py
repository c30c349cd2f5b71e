"""Notes, tags and starred searches in the web pages of the newsroom server (plain forms, CSRF, scoping)."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, sign_in

from cabledesk.desk import Desk
from cabledesk.server import access
from cabledesk.server.accounts import Accounts
from cabledesk.web.auth_routes import CSRF_COOKIE
from cabledesk.web.server import create_app

CABLE = "10MEXICO83"  # in the "mexico" collection: El Pais and, here, Le Temps see it
OTHER_ORG = "Le Temps"


@pytest.fixture(scope="module")
def app(server_db: Server) -> Iterator[object]:
    with Accounts(server_db.url) as a:
        a.create_user("lt_lea", PASSWORD, "reader", OTHER_ORG)
        access.grant(a, OTHER_ORG, "mexico")
    application = create_app(server_db.url)
    with TestClient(application):
        yield application


def client(app: object, name: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    assert sign_in(c, name).status_code == 303
    return c


def post(c: TestClient, path: str, **fields: str) -> object:
    """A form POST as the page sends it: urlencoded, with the session's CSRF token field."""
    return c.post(path, data={"csrf_token": c.cookies.get(CSRF_COOKIE) or "", **fields})


def a_paragraph(desk: Desk) -> int:
    return max(p.n for p in desk.cable(CABLE).paragraphs if p.n)


def test_a_shared_note_is_seen_by_colleagues_and_a_private_one_by_its_author_only(
    app: object, desk: Desk
) -> None:
    eva, ana, lea = client(app, "eva"), client(app, "ana"), client(app, "lt_lea")
    n, mark = a_paragraph(desk), secrets.token_hex(4)
    r = post(eva, f"/cable/{CABLE}/notes", paragraph=str(n), text=f"shared {mark}", shared="1")
    assert r.status_code == 303 and r.headers["location"] == f"/cable/{CABLE}#p{n}"  # type: ignore[attr-defined]
    post(eva, f"/cable/{CABLE}/notes", paragraph="0", text=f"private {mark}")
    mine = eva.get(f"/cable/{CABLE}").text
    assert f"shared {mark}" in mine and f"private {mark}" in mine
    colleague = ana.get(f"/cable/{CABLE}").text
    assert f"shared {mark}" in colleague and f"private {mark}" not in colleague
    para = colleague.split(f'id="p{n}"', 1)[1].split('class="para"', 1)[0]
    assert f"shared {mark}" in para and "shared with El Pais" in para  # under its paragraph
    outsider = lea.get(f"/cable/{CABLE}").text  # sees the cable, not El Pais's notes
    assert "Newsroom tags" in outsider and mark not in outsider


def test_note_text_is_escaped_and_only_its_author_gets_a_delete_button(app: object) -> None:
    eva, ana = client(app, "eva"), client(app, "ana")
    evil = f"<script>alert({secrets.randbelow(999)})</script>"
    post(eva, f"/cable/{CABLE}/notes", paragraph="0", text=evil, shared="1")
    page = ana.get(f"/cable/{CABLE}").text
    assert evil not in page and html.escape(evil) in page
    note_id = re.findall(r'action="/notes/(\d+)/delete"', eva.get(f"/cable/{CABLE}").text)[-1]
    assert f'action="/notes/{note_id}/delete"' not in page
    refused = post(ana, f"/notes/{note_id}/delete", back=f"/cable/{CABLE}")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    gone = post(eva, f"/notes/{note_id}/delete", back="https://evil.example/")
    assert gone.status_code == 303 and gone.headers["location"] == "/"  # type: ignore[attr-defined]
    assert html.escape(evil) not in ana.get(f"/cable/{CABLE}").text


def test_forms_without_the_csrf_token_are_refused(app: object) -> None:
    eva = client(app, "eva")
    for path, fields in ((f"/cable/{CABLE}/notes", {"paragraph": "0", "text": "x"}),
                         (f"/cable/{CABLE}/tags", {"tag": "x"}), ("/stars", {"query": "sedena"})):  # fmt: skip
        for token in ({}, {"csrf_token": "forged"}):
            r = eva.post(path, data={**fields, **token})
            assert r.status_code == 403 and "CSRF" in r.json()["error"]


def test_tags_shared_and_private_and_who_may_remove_them(app: object) -> None:
    eva, ana = client(app, "eva"), client(app, "ana")
    shared, private = "lead-" + secrets.token_hex(3), "mine-" + secrets.token_hex(3)
    r = post(eva, f"/cable/{CABLE}/tags", tag=shared, shared="1")
    assert r.headers["location"] == f"/cable/{CABLE}#newsroom-tags"  # type: ignore[attr-defined]
    post(eva, f"/cable/{CABLE}/tags", tag=private)
    page = ana.get(f"/cable/{CABLE}").text
    assert shared in page and private not in page
    tag_id = re.search(
        rf'action="/tags/(\d+)/delete"[^>]*>.{{0,300}}Remove tag {shared}',
        eva.get(f"/cable/{CABLE}").text,
        re.S,
    )
    assert tag_id
    assert post(ana, f"/tags/{tag_id.group(1)}/delete").status_code == 403  # type: ignore[attr-defined]
    assert post(eva, f"/tags/{tag_id.group(1)}/delete", back=f"/cable/{CABLE}").status_code == 303  # type: ignore[attr-defined]
    assert shared not in ana.get(f"/cable/{CABLE}").text


def test_bad_notes_and_foreign_cables_are_refused_like_absent_ones(app: object) -> None:
    eva, kai = client(app, "eva"), client(app, "kai")
    assert post(eva, f"/cable/{CABLE}/notes", paragraph="9999", text="x").status_code == 400  # type: ignore[attr-defined]
    assert post(eva, f"/cable/{CABLE}/notes", paragraph="0", text="  ").status_code == 400  # type: ignore[attr-defined]
    foreign = post(kai, f"/cable/{CABLE}/notes", paragraph="0", text="x")  # Der Spiegel: not its cable
    absent = post(kai, "/cable/99NOWHERE1/notes", paragraph="0", text="x")
    assert foreign.status_code == absent.status_code == 404  # type: ignore[attr-defined]
    assert foreign.text.replace(CABLE, "ID") == absent.text.replace("99NOWHERE1", "ID")  # type: ignore[attr-defined]


def test_starred_searches_on_the_search_page(app: object) -> None:
    ana, eva = client(app, "ana"), client(app, "eva")
    q = f"sedena OR {secrets.token_hex(3)}"
    assert "Star this search" in ana.get("/", params={"q": q}).text
    r = post(ana, "/stars", query=q)
    assert r.status_code == 303 and r.headers["location"].startswith("/?q=sedena")  # type: ignore[attr-defined]
    page = ana.get("/", params={"q": q}).text
    assert "★ Starred" in page and "Star this search" not in page
    assert html.escape(q) in ana.get("/").text  # listed on the start page
    assert html.escape(q) not in eva.get("/").text  # stars are personal
    assert post(ana, "/stars", query='"unclosed').status_code == 400  # type: ignore[attr-defined]
    star_id = re.findall(r'action="/stars/(\d+)/delete"', page)[-1]
    assert post(eva, f"/stars/{star_id}/delete").status_code == 404  # type: ignore[attr-defined]
    assert post(ana, f"/stars/{star_id}/delete", back="/").status_code == 303  # type: ignore[attr-defined]
    assert html.escape(q) not in ana.get("/").text


def test_the_embedded_mode_pages_have_no_collaboration_parts(refs_db: Path) -> None:
    with TestClient(create_app(refs_db)) as c:
        cable, search = c.get(f"/cable/{CABLE}").text, c.get("/", params={"q": "sedena"}).text
    assert cable.count('class="para"') > 3 and "Newsroom tags" not in cable and "note-form" not in cable
    assert "Star this search" not in search and "Sign out" not in search


def test_a_reader_annotates_privately_and_is_offered_no_sharing(app: object) -> None:
    ana, eva = client(app, "ana"), client(app, "eva")
    page = ana.get(f"/cable/{CABLE}").text
    assert 'name="shared"' not in page and "sharing needs the editor role" in page
    mark = secrets.token_hex(4)
    assert post(ana, f"/cable/{CABLE}/notes", paragraph="0", text=f"ana {mark}").status_code == 303  # type: ignore[attr-defined]
    assert post(ana, f"/cable/{CABLE}/tags", tag=f"t{mark}", shared="1").status_code == 403  # type: ignore[attr-defined]
    assert f"ana {mark}" in ana.get(f"/cable/{CABLE}").text and mark not in eva.get(f"/cable/{CABLE}").text
