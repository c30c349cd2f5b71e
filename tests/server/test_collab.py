"""Collaboration in server mode: who sees which notes and tags, CSRF, audit rows, injection."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from server_kit import PASSWORD, Server, sign_in

from cabledesk.desk import Desk
from cabledesk.errors import NotFoundError
from cabledesk.server import access, audit, collab
from cabledesk.server.accounts import Accounts, User
from cabledesk.web.auth_routes import CSRF_COOKIE
from cabledesk.web.server import create_app

CABLE = "10MEXICO83"  # in the "mexico" collection (El Pais) and, for these tests, The Guardian's
OTHER_ORG = "The Guardian"


@pytest.fixture(scope="module")
def guardian(server_db: Server) -> dict[str, str]:
    """Two members of a second newsroom that also sees the Mexico cables; their API tokens."""
    with Accounts(server_db.url) as a:
        for name, role in (("cb_gus", "editor"), ("cb_gia", "reader")):  # sharing needs the editor role
            a.create_user(name, PASSWORD, role, OTHER_ORG)
        access.grant(a, OTHER_ORG, "mexico")
        return {name: a.create_token(name, "collab tests")[1] for name in ("cb_gus", "cb_gia")}


@pytest.fixture(scope="module")
def client(server_db: Server, guardian: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(server_db.url), follow_redirects=False) as c:
        yield c


def bearer(server_db: Server, guardian: dict[str, str], name: str) -> dict[str, str]:
    token = guardian.get(name) or server_db.tokens[name]
    return {"Authorization": f"Bearer {token}"}


def view(desk: Desk, accounts: Accounts, name: str) -> tuple[access.ScopedDesk, User]:
    user = accounts.user(name)
    return access.scoped_desk(desk, accounts, user), user


def a_paragraph(desk: Desk) -> int:
    return next(p.n for p in desk.cable(CABLE).paragraphs if p.n)


def test_notes_are_seen_by_author_and_shared_with_own_organisation_only(
    desk: Desk, accounts: Accounts, guardian: dict[str, str]
) -> None:
    n, mark = a_paragraph(desk), secrets.token_hex(4)
    ana_desk, ana = view(desk, accounts, "ana")
    eva_desk, eva = view(desk, accounts, "eva")
    gus_desk, gus = view(desk, accounts, "cb_gus")
    private = collab.add_note(accounts, ana_desk, ana, CABLE, n, f"private {mark}")
    shared = collab.add_note(accounts, eva_desk, eva, CABLE, n, f"shared {mark}", shared=True)
    theirs = collab.add_note(accounts, gus_desk, gus, CABLE, 0, f"guardian {mark}", shared=True)
    gus_private = collab.add_note(accounts, gus_desk, gus, CABLE, 0, f"guardian private {mark}")

    def seen(name: str) -> set[int]:
        d, u = view(desk, accounts, name)
        return {x.id for x in collab.notes(accounts, d, u, CABLE) if mark in x.text}

    assert seen("ana") == {private.id, shared.id}  # author of the private one, colleague of the shared
    assert seen("eva") == seen("adm") == {shared.id}  # same organisation: the shared one only
    assert seen("cb_gus") == {theirs.id, gus_private.id}  # other organisation: none of El Pais's
    assert seen("cb_gia") == {theirs.id}
    for outsider in ("kai", "nil"):  # the cable is outside their collections
        d, u = view(desk, accounts, outsider)
        with pytest.raises(NotFoundError):
            collab.notes(accounts, d, u, CABLE)
    assert shared.author == "eva" and shared.paragraph == n and shared.shared and not private.shared


def test_tags_follow_the_same_visibility_as_notes(
    desk: Desk, accounts: Accounts, guardian: dict[str, str]
) -> None:
    mark = secrets.token_hex(4)
    ana_desk, ana = view(desk, accounts, "ana")
    eva_desk, eva = view(desk, accounts, "eva")
    gus_desk, gus = view(desk, accounts, "cb_gus")
    mine = collab.add_tag(accounts, ana_desk, ana, CABLE, f"lead-{mark}")
    ours = collab.add_tag(accounts, eva_desk, eva, CABLE, f"story-{mark}", shared=True)
    again = collab.add_tag(accounts, eva_desk, eva, CABLE, f"  story-{mark} ", shared=True)
    theirs = collab.add_tag(accounts, gus_desk, gus, CABLE, f"g-{mark}", shared=True)
    assert again.id == ours.id

    def seen(name: str) -> set[int]:
        d, u = view(desk, accounts, name)
        return {t.id for t in collab.tags(accounts, d, u, CABLE) if mark in t.tag}

    assert seen("ana") == {mine.id, ours.id}
    assert seen("eva") == {ours.id}  # her shared tag, not ana's private one
    assert seen("cb_gia") == {theirs.id}
    d, u = view(desk, accounts, "kai")
    with pytest.raises(NotFoundError):
        collab.tags(accounts, d, u, CABLE)


def test_notes_on_a_cable_outside_the_collections_answer_like_a_missing_cable(
    client: TestClient, server_db: Server, guardian: dict[str, str], accounts: Accounts
) -> None:
    kai = bearer(server_db, guardian, "kai")
    missing = "10MEXICO99999"
    for path in ("notes", "tags"):
        outside = client.get(f"/api/cable/{CABLE}/notes".replace("notes", path), headers=kai)
        absent = client.get(f"/api/cable/{missing}/{path}", headers=kai)
        assert outside.status_code == absent.status_code == 404
        assert outside.json()["error"].replace(CABLE, "X") == absent.json()["error"].replace(missing, "X")
    before = accounts.run("SELECT count(*) FROM notes")[0][0]
    r = client.post(f"/api/cable/{CABLE}/notes", json={"paragraph": 0, "text": "leak?"}, headers=kai)
    assert r.status_code == 404
    r = client.post(f"/api/cable/{CABLE}/tags", json={"tag": "leak?"}, headers=kai)
    assert r.status_code == 404
    assert accounts.run("SELECT count(*) FROM notes")[0][0] == before


def test_only_the_author_or_an_admin_deletes_a_note(
    client: TestClient, server_db: Server, guardian: dict[str, str], desk: Desk
) -> None:
    h = {name: bearer(server_db, guardian, name) for name in ("ana", "eva", "adm", "cb_gus")}
    made = client.post(f"/api/cable/{CABLE}/notes", headers=h["eva"],
                       json={"paragraph": a_paragraph(desk), "text": "check with the desk", "shared": True})  # fmt: skip
    assert made.status_code == 201, made.text
    note_id = made.json()["id"]
    assert client.delete(f"/api/notes/{note_id}", headers=h["cb_gus"]).status_code == 404  # cannot see it
    assert client.delete(f"/api/notes/{note_id}", headers=h["ana"]).status_code == 403  # colleague
    assert client.delete(f"/api/notes/{note_id}", headers=h["adm"]).status_code == 204  # admin
    assert client.delete(f"/api/notes/{note_id}", headers=h["eva"]).status_code == 404  # gone
    own = client.post(f"/api/cable/{CABLE}/notes", headers=h["eva"], json={"paragraph": 0, "text": "mine"})
    assert client.delete(f"/api/notes/{own.json()['id']}", headers=h["eva"]).status_code == 204


def test_every_new_post_and_delete_needs_the_csrf_token_with_a_session(server_db: Server) -> None:
    with TestClient(create_app(server_db.url), follow_redirects=False) as c:
        assert sign_in(c, "eva").status_code == 303
        good = {"X-CSRF-Token": c.cookies.get(CSRF_COOKIE) or ""}
        bad = {"X-CSRF-Token": "forged"}
        posts = {
            f"/api/cable/{CABLE}/notes": {"paragraph": 0, "text": "csrf check"},
            f"/api/cable/{CABLE}/tags": {"tag": "csrf-check"},
            "/api/stars": {"query": "sedena"},
        }
        deletes = []
        for path, body in posts.items():
            for headers in ({}, bad):
                r = c.post(path, json=body, headers=headers)
                assert r.status_code == 403 and "CSRF" in r.json()["error"], (path, r.text)
            r = c.post(path, json=body, headers=good)
            assert r.status_code == 201, (path, r.text)
            kind = path.rsplit("/", 1)[1]
            deletes.append(f"/api/{kind}/{r.json()['id']}")
        for path in deletes:
            for headers in ({}, bad):
                assert c.delete(path, headers=headers).status_code == 403, path
            assert c.delete(path, headers=good).status_code == 204, path


def test_creates_and_deletes_are_written_to_the_audit_trail_without_the_text(
    desk: Desk, accounts: Accounts
) -> None:
    d, eva = view(desk, accounts, "eva")
    last = max([r["id"] for r in audit.rows(accounts, user="eva")] or [0])
    note = collab.add_note(accounts, d, eva, CABLE, 0, "source says: meet at noon", shared=True)
    tag = collab.add_tag(accounts, d, eva, CABLE, "confidential-source")
    star = collab.add_star(accounts, eva, "sedena OR semar", "army")
    collab.delete_note(accounts, d, eva, note.id)
    collab.delete_tag(accounts, d, eva, tag.id)
    collab.delete_star(accounts, eva, star.id)
    rows = [r for r in audit.rows(accounts, user="eva") if r["id"] > last]
    assert [(r["action"], r["target"]) for r in rows] == [
        ("note_add", CABLE), ("tag_add", CABLE), ("star_add", None),
        ("note_delete", CABLE), ("tag_delete", CABLE), ("star_delete", None),
    ]  # fmt: skip
    assert rows[0]["detail"]["note"] == note.id and rows[3]["detail"]["note"] == note.id
    assert not any("noon" in str(r) or "confidential" in str(r) or "sedena" in str(r) for r in rows)


def test_sql_in_note_and_tag_text_is_stored_verbatim_and_never_run(
    client: TestClient, server_db: Server, guardian: dict[str, str], accounts: Accounts
) -> None:
    ana = bearer(server_db, guardian, "ana")
    users = accounts.run("SELECT count(*) FROM users")[0][0]
    payloads = ["'); DROP TABLE notes; --", "x' OR '1'='1", "1; DELETE FROM users WHERE '1'='1",
                "$$; TRUNCATE audit; $$", "%(me)s %s \\' \"; --"]  # fmt: skip
    for text in payloads:
        r = client.post(f"/api/cable/{CABLE}/notes", json={"paragraph": 0, "text": text}, headers=ana)
        assert r.status_code == 201 and r.json()["text"] == text
        r = client.post(f"/api/cable/{CABLE}/tags", json={"tag": text}, headers=ana)
        assert r.status_code == 201 and r.json()["tag"] == text
    notes = {n["text"] for n in client.get(f"/api/cable/{CABLE}/notes", headers=ana).json()}
    tags = {t["tag"] for t in client.get(f"/api/cable/{CABLE}/tags", headers=ana).json()}
    assert set(payloads) <= notes and set(payloads) <= tags
    assert accounts.run("SELECT count(*) FROM users")[0][0] == users
    assert audit.rows(accounts, limit=1)  # audit still there


def test_stars_belong_to_one_user_and_are_checked_for_syntax(
    client: TestClient, server_db: Server, guardian: dict[str, str]
) -> None:
    ana, eva = bearer(server_db, guardian, "ana"), bearer(server_db, guardian, "eva")
    r = client.post("/api/stars", json={"query": "calderon class:secret", "label": "calderon"}, headers=ana)
    assert r.status_code == 201, r.text
    star = r.json()
    assert star in client.get("/api/stars", headers=ana).json()
    assert star["id"] not in {s["id"] for s in client.get("/api/stars", headers=eva).json()}
    assert client.delete(f"/api/stars/{star['id']}", headers=eva).status_code == 404
    assert client.post("/api/stars", json={"query": '"unclosed'}, headers=ana).status_code == 400
    assert client.delete(f"/api/stars/{star['id']}", headers=ana).status_code == 204
    assert star not in client.get("/api/stars", headers=ana).json()


def test_empty_notes_and_paragraphs_the_cable_lacks_are_refused(
    client: TestClient, server_db: Server, guardian: dict[str, str], desk: Desk
) -> None:
    ana = bearer(server_db, guardian, "ana")
    beyond = max(p.n or 0 for p in desk.cable(CABLE).paragraphs) + 1
    r = client.post(f"/api/cable/{CABLE}/notes", json={"paragraph": beyond, "text": "x"}, headers=ana)
    assert r.status_code == 400 and f"no paragraph {beyond}" in r.json()["error"]
    r = client.post(f"/api/cable/{CABLE}/notes", json={"paragraph": 0, "text": "   "}, headers=ana)
    assert r.status_code == 400
    r = client.post(f"/api/cable/{CABLE}/tags", json={"tag": " "}, headers=ana)
    assert r.status_code == 400
