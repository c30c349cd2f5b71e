"""The access-control matrix: EVERY route of the newsroom server x role x collection membership.

The route list is read from the real server-mode app (``route_table``), so a route added without a
row here fails :func:`test_every_route_of_the_server_app_has_a_matrix_row`. Each row says the
lowest role it needs and, for a route that names a cable (or a query), what a cable inside the
user's collections and one outside them must give. Every response of every case is searched for:

- the id of any cable outside the user's collections that no allowed cable mentions (cable ids the
  user typed into the request itself are the user's own words and are left out of this check),
- the subjects of the outside cables nearest to the allowed ones (those that cite an allowed cable,
  those an allowed cable cites);

and a request naming the outside cable must answer exactly as the same request naming a cable id
that exists nowhere (same status, same body once the id is blanked): no count, facet, graph node,
trace hit or export row can then differ. The newsroom of these tests ("Kommersant") sees the
Moscow cables; a cable of theirs is cited by a cable outside (the indirect leaks: cited-by lists,
graphs, refs), and one of theirs cites a cable outside (shown as an id only, never as a cable).
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from server_kit import PASSWORD, Server, csrf_headers, route_table, sign_in

from cabledesk.desk import Desk
from cabledesk.server import access, collab
from cabledesk.server.accounts import Accounts
from cabledesk.web.server import create_app

ORG, COLLECTION, COLLECTION_Q = "Kommersant", "moscow", "origin:moscow"
OUTSIDER_ORG = "Outsider Desk"  # sees every cable; its activity must never show to Kommersant
#: identity -> (how it authenticates, user, role); the user names are unique to this module.
IDENTITIES: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("session", "mx_adm", "admin"),
    "editor": ("session", "mx_eva", "editor"),
    "reader": ("session", "mx_ana", "reader"),
    "token": ("token", "mx_ana", "reader"),  # a reader's API token (scripts)
    "revoked": ("revoked", "mx_eva", None),  # an editor's token, revoked
    "anonymous": ("none", None, None),
}
RANK = {"reader": 0, "editor": 1, "admin": 2}
SAFE = {"GET", "HEAD", "OPTIONS"}
_ID = re.compile(r"\d{2}[A-Z]{2,}\d+")
_CSRF = re.compile(r'name="csrf_token" value="[^"]*"')


def _page_ids(text: str) -> set[str]:
    """Cable ids a page names; a random CSRF token can happen to look like one (09AB1), so it is left out."""
    return set(_ID.findall(_CSRF.sub("", text)))


@dataclass
class World:
    """The fixture newsroom: its allowed ids, the chosen cables, signed-in clients and tokens."""

    app: Any
    accounts: Accounts
    desk: Desk  # unscoped: the truth the answers are checked against
    allowed: frozenset[str]
    inside: str  # allowed, and cited by an outside cable
    outside: str  # outside the collections, cites ``inside``
    absent: str  # an id no cable has and no cable cites
    cited_outside: str  # outside cable that an allowed cable cites (its id may show, nothing else)
    inside_citers: set[str]  # allowed cables citing ``inside``
    secret_ids: frozenset[str]
    secret_words: list[str]
    clients: dict[str, TestClient]
    tokens: dict[str, str]
    outsider_note: int
    outsider_tag: int
    paragraphs: dict[str, str]  # cable id -> a long paragraph of it (for trace)
    other_token: str  # a reader of another newsroom (Der Spiegel): static answers must not differ
    exports: dict[str, int]  # cable id -> a redacted export of it (inside: by mx_eva; outside: by mx_out)


def shipped_examples() -> set[str]:
    """Cable ids written into the package's own pages and docs as examples (the same for everyone)."""
    import cabledesk

    root = Path(cabledesk.__file__).parent
    found: set[str] = set()
    for pattern in ("web/templates/*.html", "web/*.py", "data/*.md", "web/static/*.js"):
        for f in root.glob(pattern):
            found.update(_ID.findall(f.read_text(encoding="utf-8", errors="replace")))
    return found


def _phrase(subject: str) -> str:
    """The longest plain run of a subject (what a page would show, whatever it escapes)."""
    runs = re.findall(r"[A-Za-z0-9][A-Za-z0-9 ,.-]{10,}[A-Za-z0-9]", subject)
    return max(runs, key=len).lower() if runs else ""


@pytest.fixture(scope="module")
def world(server_db: Server) -> Iterator[World]:
    """Kommersant (admin, editor, reader) sees the Moscow cables; an outsider desk works on others."""
    desk = Desk(server_db.url, readonly=True)
    accounts = Accounts(server_db.url)
    with TestClient(create_app(server_db.url), follow_redirects=False) as main:
        access.create_collection(accounts, COLLECTION, "query", COLLECTION_Q)
        access.grant(accounts, ORG, COLLECTION)
        for name, role in {n: r for _k, n, r in IDENTITIES.values() if n and r}.items():
            accounts.create_user(name, PASSWORD, role, ORG)
        accounts.create_user("mx_out", PASSWORD, "editor", OUTSIDER_ORG)
        access.grant(accounts, OUTSIDER_ORG, "mirror")  # every cable of the corpus
        allowed = access.allowed_ids(desk, [access.collection(accounts, COLLECTION)])
        corpus = set(desk.store.ids())
        refs = [(s, t) for s, t in desk.store._all("SELECT cable_id, target_id FROM refs WHERE target_id IS NOT NULL")
                if t in corpus and s != t]  # fmt: skip
        cross = sorted((t, s) for s, t in refs if t in allowed and s not in allowed)
        assert cross, "the fixture needs an allowed cable cited from outside"
        inside, outside = max(cross, key=lambda ts: (any(s in allowed and t == ts[0] for s, t in refs), ts))
        cited_out = sorted(t for s, t in refs if s in allowed and t not in allowed)
        assert cited_out, "the fixture needs an allowed cable citing one outside"
        absent = inside[:2] + "NOWHERE" + "1"
        assert absent not in corpus and not desk.store._all("SELECT 1 FROM refs WHERE target_id = ?", (absent,))
        mentioned = {t for s, t in desk.store._all("SELECT cable_id, target_id FROM refs") if s in allowed and t}
        for c in desk.store.get_many(sorted(allowed)).values():
            mentioned.update(_ID.findall(json.dumps(c.to_dict()).upper()))
        secret_ids = frozenset(corpus - allowed - mentioned - shipped_examples())
        assert outside in secret_ids
        near = {s for _t, s in cross} | set(cited_out)
        subjects = {c.subject or "" for c in desk.store.get_many(sorted(near)).values()}
        secret_words = sorted(p for p in map(_phrase, subjects) if p)
        out_user = accounts.user("mx_out")
        out_desk = access.scoped_desk(desk, accounts, out_user)
        note = collab.add_note(accounts, out_desk, out_user, outside, 0, "outsider note", shared=True)
        tag = collab.add_tag(accounts, out_desk, out_user, outside, "outsider tag", shared=True)
        marker = f"outsider-secret-{secrets.token_hex(4)}"  # the outsider's words on an ALLOWED cable
        collab.add_note(accounts, out_desk, out_user, inside, 0, marker, shared=True)
        collab.add_tag(accounts, out_desk, out_user, inside, marker, shared=True)
        secret_words.append(marker)
        clients: dict[str, TestClient] = {}
        tokens: dict[str, str] = {}
        for ident, (kind, name, _role) in IDENTITIES.items():
            c = TestClient(main.app, follow_redirects=False)
            if kind == "session" and name:
                assert sign_in(c, name).status_code == 303
            elif kind in ("token", "revoked") and name:
                token_id, tokens[ident] = accounts.create_token(name, "matrix")
                if kind == "revoked":
                    accounts.revoke_token(token_id)
            clients[ident] = c
        out_client = TestClient(main.app, follow_redirects=False)
        out_token = accounts.create_token("mx_out", "matrix")[1]
        for path in (f"/api/cable/{outside}", f"/cable/{cited_out[0]}", f"/api/search?q=id:{outside}"):
            assert out_client.get(path, headers={"Authorization": f"Bearer {out_token}"}).status_code == 200
        exports = {absent: 2_000_000_000}
        for cid, token in ((outside, out_token), (inside, accounts.create_token("mx_eva", "matrix")[1])):
            made = out_client.get(f"/protect/export?cable={cid}", headers={"Authorization": f"Bearer {token}"})
            exports[cid] = int(made.headers.get("x-cabledesk-export-id") or 1_999_999_999)  # none yet: robust row
        paragraphs = {}
        for cid in (inside, outside):
            paragraphs[cid] = max((p.text for p in desk.cable(cid).paragraphs), key=len)
        yield World(
            main.app, accounts, desk, allowed, inside, outside, absent, cited_out[0],
            {s for s, t in refs if t == inside and s in allowed}, secret_ids, secret_words, clients, tokens,
            note.id, tag.id, paragraphs, server_db.tokens["kai"], exports,
        )  # fmt: skip
    accounts.close()
    desk.close()


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    """One request of a row: method, URL, body; ``need`` overrides the row's role; ``ok`` its success."""

    method: str
    url: str
    json: Any = None
    form: dict[str, str] | None = None
    need: str | None = None
    ok: int = 200
    outside: int | None = None  # status for the outside cable (None: same as ``ok``)
    twin: bool = True  # the outside answer must equal the absent id's answer


Build = Callable[[World, str, str], Req]  # (world, identity, cable id) -> request


@dataclass(frozen=True)
class Row:
    """How one route is called and judged.

    ``cable``: the route names a cable (path, query or body) and the membership axis applies:
    inside gives ``ok``, outside answers exactly like an absent id. ``robust``: a feature that may
    answer "not available" on PostgreSQL (any status but 500); it must still never leak.
    """

    need: str  # public, reader, editor, admin
    builds: tuple[Build, ...]
    cable: bool = False
    check: Callable[[World, bool, Response], None] | None = None
    robust: bool = False
    static: bool = False  # documentation: example ids, the same whoever asks (checked against another newsroom)


def q_of(w: World, cid: str) -> str:
    """Inside: the inside OR the outside cable (so a count including the outside one shows 2)."""
    return f"id:{cid} OR id:{w.outside}" if cid == w.inside else f"id:{cid}"


def get(url: str, need: str | None = None, ok: int = 200) -> Build:
    """A GET; a URL naming the cable in its path answers 404 for the outside one."""
    outside = 404 if "{id}" in url and "q=" not in url else None
    return lambda w, i, cid: Req("GET", url.format(id=cid, q=q_of(w, cid)), need=need, ok=ok, outside=outside)


def _author(w: World, ident: str) -> str:
    return IDENTITIES[ident][1] or "mx_eva"


def _own(w: World, ident: str, cid: str, outsiders: int, make: Any) -> int:
    """The identity's user's own note/tag on the inside cable; the outsider's one; or an id nobody has."""
    if cid == w.outside:
        return outsiders
    if cid == w.absent:
        return 2_000_000_000
    user = w.accounts.user(_author(w, ident))
    return int(make(w.accounts, access.scoped_desk(w.desk, w.accounts, user), user, cid).id)


def _own_note(w: World, ident: str, cid: str) -> int:
    return _own(w, ident, cid, w.outsider_note, lambda a, d, u, c: collab.add_note(a, d, u, c, 0, "mine"))


def _own_tag(w: World, ident: str, cid: str) -> int:
    tag = f"t{secrets.token_hex(3)}"
    return _own(w, ident, cid, w.outsider_tag, lambda a, d, u, c: collab.add_tag(a, d, u, c, tag))


def _own_star(w: World, ident: str, cid: str) -> int:
    user = w.accounts.user(_author(w, ident))
    return collab.add_star(w.accounts, user, f"matrix {secrets.token_hex(3)}").id


def _article(w: World, cid: str) -> str:
    """A story quoting a paragraph of ``cid`` (and, on the inside case, one of the outside cable)."""
    quote = w.paragraphs.get(cid) or "Nothing in any cable says this sentence, word for word, anywhere."
    text = f'The cable said: "{quote}"\n\n'
    if cid == w.inside:
        text += f'Another one said: "{w.paragraphs[w.outside]}"\n'
    return text


# -- checks of allowed answers -------------------------------------------------------------------


def _search_json(w: World, member: bool, r: Response) -> None:
    d = r.json()
    url = str(r.request.url)
    if "cites" in url or "citedby" in url:  # cites:X lists X's citing cables, citedby:X the cables X cites: allowed ones only
        cites = {t for s, t in w.desk.store._all("SELECT cable_id, target_id FROM refs") if s == w.inside}
        want = (w.inside_citers if "citedby" not in url else cites & w.allowed) if member else set()
        assert {h["id"] for h in d["hits"]} == want and d["total"] == len(want), (url, d["total"])
        return
    if "paragraphs=true" in str(r.request.url):  # one hit per paragraph, all of the inside cable
        assert {h["id"] for h in d["hits"]} == ({w.inside} if member else set())
        assert d["total"] == len(d["hits"]) == (len(w.desk.cable(w.inside).paragraphs) if member else 0)
        return
    assert d["total"] == (1 if member else 0)
    assert [h["id"] for h in d["hits"]] == ([w.inside] if member else [])
    assert sum((d.get("facets") or {}).get("year", {}).values()) == d["total"]


def _facets_json(w: World, member: bool, r: Response) -> None:
    d = r.json()
    assert d["total"] == (1 if member else 0)
    assert sum(d["facets"]["year"].values()) == sum(d["facets"]["classification"].values()) == d["total"]


def _timeline_json(w: World, member: bool, r: Response) -> None:
    assert r.json()["total"] == (1 if member else 0)


def _stats_json(w: World, member: bool, r: Response) -> None:
    d = r.json()
    assert d["cables"] == len(w.allowed) == sum(d["year"].values())
    assert set(d["origin"]) == {c.origin for c in w.desk.store.get_many(sorted(w.allowed)).values()}


def _export_all(w: World, member: bool, r: Response) -> None:
    assert {json.loads(x)["id"] for x in r.text.splitlines()} == set(w.allowed)


def _export_q(w: World, member: bool, r: Response) -> None:
    if "q=" not in str(r.request.url):
        return _export_all(w, member, r)
    assert [json.loads(x)["id"] for x in r.text.splitlines()] == ([w.inside] if member else [])


def _shown_count(r: Response, pattern: str) -> int:
    m = re.search(pattern, r.text)
    assert m, pattern
    return int(m.group(1).replace(",", ""))


def _search_page(w: World, member: bool, r: Response) -> None:
    if "q=" not in str(r.request.url):  # the start page: the allowed cables that have a date
        dated = sum(1 for c in w.desk.store.get_many(sorted(w.allowed)).values() if c.created)
        assert _shown_count(r, r"Search ([\d,]+) diplomatic cables") == dated
        return
    n = _shown_count(r, r'<p class="count" role="status"><strong>([\d,]+)</strong>')
    assert n == (len(w.desk.cable(w.inside).paragraphs) if "paragraphs" in str(r.request.url) else 1) if member else n == 0


def _overview_page(w: World, member: bool, r: Response) -> None:
    assert _shown_count(r, r"([\d,]+) cables in this database") == len(w.allowed)


def _cable_json(w: World, member: bool, r: Response) -> None:
    assert r.json()["id"] == w.inside


def _cable_page(w: World, member: bool, r: Response) -> None:
    cited = re.search(r'class="citedby".*?</section>', r.text, re.S)
    assert cited and set(_ID.findall(cited.group(0))) - {w.inside} == w.inside_citers


def _refs_json(w: World, member: bool, r: Response) -> None:
    assert {c["id"] for c in r.json()["cited_by"]} == w.inside_citers


def _graph_json(w: World, member: bool, r: Response) -> None:
    d = r.json()
    nodes = {n["id"]: n for n in d["nodes"]}
    if not member:  # a query naming only the outside cable: nothing matched, nothing drawn
        assert d["matched"] == 0 and not nodes and not d["edges"]
        return
    assert w.inside in nodes and w.inside_citers <= set(nodes)
    for n in d["nodes"]:
        assert n["in_corpus"] == (n["id"] in w.allowed), n
    if "matched" in d:
        assert d["matched"] == 1


def _trace_json(w: World, member: bool, r: Response) -> None:
    d = r.json()
    assert {c["id"] for c in d["cables"]} <= set(w.allowed)
    if member:
        assert w.inside in {c["id"] for c in d["cables"]}


def _me_json(w: World, member: bool, r: Response) -> None:
    assert r.json()["collections"] == [COLLECTION]


def _audit_json(w: World, member: bool, r: Response) -> None:
    """An editor reads the rows of their own newsroom's members only."""
    names = {u for u in (x[1] for x in IDENTITIES.values()) if u}
    users = {row["user"] for row in r.json()}
    assert users <= names and "mx_ana" in users, users


# -- the matrix rows: one per (METHOD, path) of the app --------------------------------------------

ROWS: dict[tuple[str, str], Row] = {
    # sign-in (public) and the session
    ("GET", "/login"): Row("public", (get("/login"),)),
    ("POST", "/login"): Row("public", (lambda w, i, c: Req("POST", "/login", form={"username": "mx_ana"}, ok=303),)),
    ("POST", "/logout"): Row("reader", (lambda w, i, c: Req("POST", "/logout", ok=303),)),
    ("ANY", "/static/"): Row("public", (get("/static/app.css"),)),
    ("GET", "/favicon.ico"): Row("public", (get("/favicon.ico"),)),
    ("GET", "/api/me"): Row("reader", (get("/api/me"),), check=_me_json),
    ("GET", "/openapi.json"): Row("reader", (get("/openapi.json"),), static=True),
    # search, read, statistics (the JSON API)
    ("GET", "/api/search"): Row("reader", (get("/api/search?q={q}"), get("/api/search?q={q}&paragraphs=true&limit=50"),
                                           get("/api/search?q=cites:{id}"), get("/api/search?q=citedby:{id}")),
                                cable=True, check=_search_json),  # fmt: skip
    ("GET", "/api/cable/{cable_id}"): Row("reader", (get("/api/cable/{id}"),), cable=True, check=_cable_json),
    ("GET", "/api/facets"): Row("reader", (get("/api/facets?q={q}"),), cable=True, check=_facets_json),
    ("GET", "/api/stats"): Row("reader", (get("/api/stats"),), check=_stats_json),
    ("GET", "/api/timeline"): Row("reader", (get("/api/timeline?q={q}"),), cable=True, check=_timeline_json),
    ("GET", "/api/export"): Row("editor", (get("/api/export?q={q}"), get("/api/export")), cable=True, check=_export_q),
    ("GET", "/api/audit"): Row("editor", (get("/api/audit?limit=10000"),)),
    # pages
    ("GET", "/"): Row("reader", (get("/?q={q}"), get("/?q={q}&mode=paragraphs"), get("/")), cable=True,
                      check=_search_page),  # fmt: skip
    ("GET", "/cable/{cable_id}"): Row("reader", (get("/cable/{id}"),), cable=True, check=_cable_page),
    ("GET", "/cable/{cable_id}/raw"): Row("reader", (get("/cable/{id}/raw"),), cable=True),
    ("GET", "/overview"): Row("reader", (get("/overview"),), check=_overview_page),
    ("GET", "/help"): Row("reader", (get("/help"),), static=True),
    ("GET", "/docs"): Row("reader", (get("/docs"),), static=True),
    # citations: graphs and refs (the indirect leaks)
    ("GET", "/cable/{cable_id}/graph"): Row("reader", (get("/cable/{id}/graph"), get("/cable/{id}/graph?depth=2")),
                                            cable=True),  # fmt: skip
    ("GET", "/graph"): Row("reader", (get("/graph?q={q}"),), cable=True),
    ("GET", "/api/graph"): Row("reader", (get("/api/graph?id={id}&depth=2"), get("/api/graph?q={q}")),
                               cable=True, check=_graph_json),  # fmt: skip
    ("GET", "/api/graph/export"): Row("reader", tuple(get(f"/api/graph/export?{q}kind={k}&format={f}")
                                                      for q in ("q={q}&", "") for k in ("refs", "routing")
                                                      for f in ("graphml", "gexf", "csv")), cable=True),  # fmt: skip
    ("GET", "/api/refs/{cable_id}"): Row("reader", (get("/api/refs/{id}"),), cable=True, check=_refs_json),
    # trace
    ("POST", "/api/trace"): Row("reader", (lambda w, i, c: Req("POST", "/api/trace", json={"text": _article(w, c)}, twin=False),),
                                cable=True, check=_trace_json),  # fmt: skip
    ("GET", "/trace"): Row("reader", (get("/trace"),)),
    ("POST", "/trace"): Row("reader", (lambda w, i, c: Req("POST", "/trace", form={"text": _article(w, c)}, twin=False),), cable=True),
    ("GET", "/trace/report.css"): Row("reader", (get("/trace/report.css"),)),
    ("GET", "/trace/trace.js"): Row("reader", (get("/trace/trace.js"),)),
    # collaboration: notes, tags, stars
    ("GET", "/api/cable/{cable_id}/notes"): Row("reader", (get("/api/cable/{id}/notes"),), cable=True),
    ("POST", "/api/cable/{cable_id}/notes"): Row("reader", (
        lambda w, i, c: Req("POST", f"/api/cable/{c}/notes", json={"paragraph": 0, "text": "m"}, ok=201,
                            outside=404),
        lambda w, i, c: Req("POST", f"/api/cable/{c}/notes", json={"paragraph": 0, "text": "m", "shared": True},
                            need="editor", ok=201, outside=404),
    ), cable=True),  # fmt: skip
    ("DELETE", "/api/notes/{note_id}"): Row("reader", (
        lambda w, i, c: Req("DELETE", f"/api/notes/{_own_note(w, i, c)}", ok=204, outside=404),), cable=True),  # fmt: skip
    ("GET", "/api/cable/{cable_id}/tags"): Row("reader", (get("/api/cable/{id}/tags"),), cable=True),
    ("POST", "/api/cable/{cable_id}/tags"): Row("reader", (
        lambda w, i, c: Req("POST", f"/api/cable/{c}/tags", json={"tag": "matrix"}, ok=201, outside=404),
        lambda w, i, c: Req("POST", f"/api/cable/{c}/tags", json={"tag": "matrix", "shared": True},
                            need="editor", ok=201, outside=404),
    ), cable=True),  # fmt: skip
    ("DELETE", "/api/tags/{tag_id}"): Row("reader", (
        lambda w, i, c: Req("DELETE", f"/api/tags/{_own_tag(w, i, c)}", ok=204, outside=404),), cable=True),  # fmt: skip
    # the same from the cable and search pages' forms (redirect back on success; a refusal is an error page)
    ("POST", "/cable/{cable_id}/notes"): Row("reader", (
        lambda w, i, c: Req("POST", f"/cable/{c}/notes", form={"paragraph": "0", "text": "m"}, ok=303, outside=404),
        lambda w, i, c: Req("POST", f"/cable/{c}/notes", form={"paragraph": "0", "text": "m", "shared": "1"},
                            need="editor", ok=303, outside=404),
    ), cable=True),  # fmt: skip
    ("POST", "/notes/{note_id}/delete"): Row("reader", (
        lambda w, i, c: Req("POST", f"/notes/{_own_note(w, i, c)}/delete", form={}, ok=303, outside=404),),
        cable=True),  # fmt: skip
    ("POST", "/cable/{cable_id}/tags"): Row("reader", (
        lambda w, i, c: Req("POST", f"/cable/{c}/tags", form={"tag": "matrix"}, ok=303, outside=404),
        lambda w, i, c: Req("POST", f"/cable/{c}/tags", form={"tag": "matrix", "shared": "1"},
                            need="editor", ok=303, outside=404),
    ), cable=True),  # fmt: skip
    ("POST", "/tags/{tag_id}/delete"): Row("reader", (
        lambda w, i, c: Req("POST", f"/tags/{_own_tag(w, i, c)}/delete", form={}, ok=303, outside=404),),
        cable=True),  # fmt: skip
    ("POST", "/stars"): Row("reader", (lambda w, i, c: Req("POST", "/stars", form={"query": "moscow"}, ok=303),)),
    ("POST", "/stars/{star_id}/delete"): Row("reader", (
        lambda w, i, c: Req("POST", f"/stars/{_own_star(w, i, c)}/delete", form={}, ok=303),)),  # fmt: skip
    # the admin's audit page (the server operator's: the whole trail, see test_audit_trail_*)
    ("GET", "/admin/audit"): Row("admin", (get("/admin/audit"),)),
    ("GET", "/admin/audit.csv"): Row("admin", (get("/admin/audit.csv"),)),
    ("GET", "/api/stars"): Row("reader", (get("/api/stars"),)),
    ("POST", "/api/stars"): Row("reader", (lambda w, i, c: Req("POST", "/api/stars", json={"query": "moscow"}, ok=201),)),
    ("DELETE", "/api/stars/{star_id}"): Row("reader", (
        lambda w, i, c: Req("DELETE", f"/api/stars/{_own_star(w, i, c)}", ok=204),)),  # fmt: skip
    # source protection (review redactions: editors) and entities: may be "not available" on PostgreSQL
    ("GET", "/protect"): Row("reader", (get("/protect"),), robust=True),
    ("POST", "/protect/decide"): Row("editor", (lambda w, i, c: Req("POST", "/protect/decide",
                                     form={"cable": c, "name": "x", "decision": "accept"}, ok=303),), cable=True, robust=True),
    ("POST", "/protect/undo"): Row("editor", (lambda w, i, c: Req("POST", "/protect/undo", form={"cable": c}, ok=303),),
                                   cable=True, robust=True),  # fmt: skip
    ("GET", "/protect/export"): Row("editor", (get("/protect/export?q={q}"), get("/protect/export?cable={id}")),
                                    cable=True, robust=True),  # fmt: skip
    ("GET", "/protect/exports/{export_id}.json"): Row("editor", (
        lambda w, i, c: Req("GET", f"/protect/exports/{w.exports[c]}.json", outside=404),), cable=True, robust=True),  # fmt: skip
    ("GET", "/protect/check"): Row("reader", (get("/protect/check"),), robust=True),
    ("POST", "/protect/check"): Row("reader", (lambda w, i, c: Req("POST", "/protect/check", form={"text": _article(w, c)}, twin=False),),
                                    cable=True, robust=True),  # fmt: skip
    ("GET", "/protect/protect.css"): Row("reader", (get("/protect/protect.css"),)),
    ("GET", "/api/protect/ids"): Row("reader", (get("/api/protect/ids"),), robust=True),
    ("GET", "/api/protect/{cable_id}"): Row("reader", (get("/api/protect/{id}"),), cable=True, robust=True),
    ("GET", "/api/protect/{cable_id}/highlights"): Row("reader", (get("/api/protect/{id}/highlights"),),
                                                       cable=True, robust=True),  # fmt: skip
    ("GET", "/entities"): Row("reader", (get("/entities"), get("/entities?q=moscow")), robust=True),
    ("GET", "/entity/{ref:path}"): Row("reader", (get("/entity/{id}"), get("/entity/Lavrov")), cable=True, robust=True),
    ("GET", "/api/entities"): Row("reader", (get("/api/entities"), get("/api/entities?q=a")), robust=True),
    ("GET", "/api/entity/{ref:path}"): Row("reader", (get("/api/entity/{id}"), get("/api/entity/Lavrov")),
                                           cable=True, robust=True),  # fmt: skip
}


# -- running a case --------------------------------------------------------------------------------


def _client(w: World, ident: str, req: Req) -> TestClient:
    """The identity's client; a FRESH signed-in one for /logout (the matrix sessions must live on)."""
    kind, name, _role = IDENTITIES[ident]
    if req.url == "/logout" and kind == "session" and name:
        c = TestClient(w.app, follow_redirects=False)
        assert sign_in(c, name).status_code == 303
        return c
    return w.clients[ident]


def send(w: World, ident: str, req: Req) -> Response:
    """Make the request as ``ident``: bearer header for tokens, the CSRF header for a session."""
    kind, _name, _role = IDENTITIES[ident]
    if req.method == "POST" and req.url == "/login":  # public: a fresh browser signs in
        c = TestClient(w.app, follow_redirects=False)
        from server_kit import login_form

        form = {**(req.form or {}), "password": PASSWORD, "csrf_token": login_form(c)}
        return c.post("/login", data=form)
    client = _client(w, ident, req)
    headers: dict[str, str] = {}
    if kind in ("token", "revoked"):
        headers["Authorization"] = f"Bearer {w.tokens[ident]}"
    elif req.method not in SAFE:
        headers.update(csrf_headers(client))  # authorisation is under test here, not CSRF
    return client.request(req.method, req.url, headers=headers, json=req.json, data=req.form)


def expected(row: Row, req: Req, ident: str, member: bool | None) -> int | None:
    """The status the matrix requires; None for a robust feature's own answer (anything but 500)."""
    need = req.need or row.need
    if need == "public":
        return req.ok
    _kind, _name, role = IDENTITIES[ident]
    if role is None:  # anonymous or revoked token: JSON 401 under /api/, else the sign-in page
        return 401 if req.url.startswith("/api/") else 303
    if RANK[role] < RANK[need]:
        return 403
    if row.robust:
        return None
    if member is False and req.outside is not None:
        return req.outside
    return req.ok


def typed_in(req: Req) -> str:
    """Everything the user sent: what a response may echo back without leaking."""
    return f"{req.url} {json.dumps(req.json)} {json.dumps(req.form)}".upper()


def assert_no_leak(w: World, req: Req, r: Response, where: str) -> None:
    """No outside cable id (unless the user typed it) and no outside subject in the body or headers."""
    text = r.text + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())
    typed = typed_in(req)
    ids = {i for i in _ID.findall(text.upper()) if i in w.secret_ids and i not in typed}
    assert not ids, f"{where}: outside cable ids in the answer: {sorted(ids)[:5]}"
    plain = html.unescape(text).lower()
    words = [p for p in w.secret_words if p in plain and p.upper() not in typed]
    assert not words, f"{where}: outside cable subjects in the answer: {words[:3]}"


def blank(text: str, *ids: str) -> str:
    """The text with each of ``ids`` replaced by X (an outside and an absent id then compare equal).

    Times stamped today ("exported at ...") are blanked too: two requests may straddle a second.
    Cable dates are all before 2011, so no cable's date is touched.
    """
    for i in ids:
        text = text.replace(i, "X")
    today = datetime.now(UTC).date()
    for day in {today, today - timedelta(days=1)}:  # a run that crosses midnight
        text = re.sub(day.isoformat() + r"[T ][0-9:.]+(?:Z|[+-][0-9:]+)?", "NOW", text)
    return text


#: The audit trail: an admin runs the server and reads all of it; an editor only their newsroom's rows.
AUDIT_ROUTES = ("/api/audit", "/admin/audit", "/admin/audit.csv")


def _cases() -> Iterator[tuple[str, str, str, bool | None]]:
    for (method, path), row in ROWS.items():
        for ident in IDENTITIES:
            for member in (True, False) if row.cable else (None,):
                yield method, path, ident, member


@pytest.mark.parametrize(("method", "path", "ident", "member"), list(_cases()))
def test_access_matrix(world: World, method: str, path: str, ident: str, member: bool | None) -> None:
    """One cell: status by role, outside = absent, no leak in any answer, the right counts when allowed."""
    row = ROWS[(method, path)]
    for build in row.builds:
        cid = world.outside if member is False else world.inside
        req = build(world, ident, cid)
        where = f"{req.method} {req.url} as {ident}"
        r = send(world, ident, req)
        assert r.status_code != 500, f"{where}: {r.text[:300]}"
        if row.static and r.status_code == 200:  # example ids of the docs: the same for another newsroom
            other = world.clients["anonymous"].get(req.url, headers={"Authorization": f"Bearer {world.other_token}"})
            assert _page_ids(other.text) == _page_ids(r.text), where
        if path in AUDIT_ROUTES:  # ids there were typed by someone: whose rows may be read is the question
            if r.status_code == 200 and IDENTITIES[ident][2] != "admin":
                _audit_json(world, True, r)
        else:
            assert_no_leak(world, req, r, where)
        want = expected(row, req, ident, member)
        if want is not None:
            assert r.status_code == want, f"{where}: {r.status_code} {r.text[:300]}"
        if want == 303 and IDENTITIES[ident][2] is None and (req.need or row.need) != "public":
            assert r.headers["location"].startswith("/login?next="), where
        denied = want in (401, 403) or (want == 303 and IDENTITIES[ident][2] is None and (req.need or row.need) != "public")
        allowed = not denied
        if member is False and allowed and req.twin:
            twin_req = build(world, ident, world.absent)
            twin = send(world, ident, twin_req)
            assert twin.status_code == r.status_code, f"{where}: outside {r.status_code}, absent {twin.status_code}"
            ids = (world.outside, world.absent, str(world.outsider_note), str(world.outsider_tag),
                   str(world.exports[world.outside]), "2000000000")
            assert blank(r.text, *ids) == blank(twin.text, *ids), f"{where}: differs from an absent id"
        if row.check and want is not None and r.status_code == req.ok and allowed:
            row.check(world, member is not False, r)


def test_every_route_of_the_server_app_has_a_matrix_row(world: World) -> None:
    """A route added to the app without a row in ROWS fails here (and a row for a removed route too)."""
    routes = route_table(world.app)
    missing = sorted(routes - set(ROWS))
    stale = sorted(set(ROWS) - routes)
    assert not missing, f"routes without an access-matrix row (add them to ROWS): {missing}"
    assert not stale, f"matrix rows for routes the app no longer has: {stale}"


# -- regressions of the leaks and role gaps the matrix found (enforced in the library) ----------


def test_an_editor_reads_only_their_own_newsrooms_audit_rows(world: World) -> None:
    """Other newsrooms' rows name what they read (outside ids) and searched: never shown to an editor."""
    eva, adm = world.accounts.user("mx_eva"), world.accounts.user("mx_adm")
    mine = access.audit_rows_for(world.accounts, eva)
    assert mine and {r["user"] for r in mine} <= access.org_members(world.accounts, eva)
    assert access.audit_rows_for(world.accounts, eva, user="mx_out") == []
    assert not [r for r in mine if r["target"] == world.outside and r["action"] == "view" and r["user"] == "mx_out"]
    assert access.audit_rows_for(world.accounts, eva, offset=1, limit=2) == mine[1:3]
    every = access.audit_rows_for(world.accounts, adm)  # the admin runs the server: the whole trail
    assert any(r["user"] == "mx_out" and r["target"] == world.outside for r in every)
    r = send(world, "editor", Req("GET", "/api/audit?user=mx_out"))
    assert r.status_code == 200 and r.json() == []


def test_a_reader_annotates_privately_but_only_an_editor_shares_with_the_newsroom(world: World) -> None:
    ana, eva = world.accounts.user("mx_ana"), world.accounts.user("mx_eva")
    ana_desk = access.scoped_desk(world.desk, world.accounts, ana)
    eva_desk = access.scoped_desk(world.desk, world.accounts, eva)
    for shared_by_reader in (
        lambda: collab.add_note(world.accounts, ana_desk, ana, world.inside, 0, "for all", shared=True),
        lambda: collab.add_tag(world.accounts, ana_desk, ana, world.inside, "for all", shared=True),
    ):
        with pytest.raises(collab.Forbidden):
            shared_by_reader()
    assert not collab.add_note(world.accounts, ana_desk, ana, world.inside, 0, "for me").shared
    assert collab.add_note(world.accounts, eva_desk, eva, world.inside, 0, "for all", shared=True).shared
    r = send(world, "token", Req("POST", f"/api/cable/{world.inside}/notes",
                                 json={"paragraph": 0, "text": "x", "shared": True}))  # fmt: skip
    assert r.status_code == 403 and "editor" in r.json()["error"]


def test_a_reader_may_not_review_redactions_or_export_redacted_copies(world: World) -> None:
    for req in (Req("POST", "/protect/decide", form={"key": "x", "decision": "accept"}),
                Req("POST", "/protect/undo", form={}), Req("GET", f"/protect/export?cable={world.inside}")):  # fmt: skip
        for ident in ("reader", "token"):
            assert send(world, ident, req).status_code == 403, (req, ident)


def test_an_outside_cable_an_allowed_one_cites_shows_as_a_bare_id(world: World) -> None:
    """Its id is in the allowed cable's REF line; that it is in the corpus, and its subject, are not shown."""
    v = world.cited_outside
    citer = next(s for s, t in world.desk.store._all("SELECT cable_id, target_id FROM refs") if t == v and s in world.allowed)
    refs = send(world, "reader", Req("GET", f"/api/refs/{citer}")).json()
    assert [c["in_corpus"] for c in refs["cites"] if c["id"] == v] == [False]
    g = send(world, "reader", Req("GET", f"/api/graph?id={v}"))
    assert g.status_code == 200
    node = next(n for n in g.json()["nodes"] if n["id"] == v)
    assert node["in_corpus"] is False and node["subject"] == "" and node["origin"] == ""
    assert send(world, "reader", Req("GET", f"/api/cable/{v}")).status_code == 404
    page = send(world, "reader", Req("GET", f"/cable/{citer}"))
    assert page.status_code == 200 and f'href="/cable/{v}"' not in page.text


def test_relevance_scores_which_count_outside_cables_are_withheld(world: World) -> None:
    """A BM25 score uses the document frequency of its words over the WHOLE index: never shown scoped."""
    word = "italian"
    full = {h["id"]: h["score"] for h in world.desk.search(word, limit=1000, facets=False).hits}
    assert any(cid not in world.allowed for cid in full) and all(v is not None for v in full.values())
    for paragraphs in ("false", "true"):
        r = send(world, "reader", Req("GET", f"/api/search?q={word}&paragraphs={paragraphs}&facets=false"))
        hits = r.json()["hits"]
        assert hits and {h["id"] for h in hits} <= world.allowed
        assert [h["score"] for h in hits] == [None] * len(hits)


def test_trace_word_statistics_count_only_allowed_paragraphs(world: World) -> None:
    """The matcher picks rare words by document frequency: scoped, it never counts outside paragraphs."""
    from cabledesk import textnorm
    from cabledesk.trace_match import Matcher

    scoped = Matcher(access.scoped_desk(world.desk, world.accounts, world.accounts.user("mx_ana")).index)
    full = Matcher(world.desk.index)
    allowed_paras = sum(len(c.paragraphs) for c in world.desk.store.get_many(sorted(world.allowed)).values())
    assert scoped.n_docs == allowed_paras < full.n_docs
    words = textnorm.terms(world.paragraphs[world.outside])
    only_outside = [t for t in words if full.df(t) and not scoped.df(t)]
    both = [t for t in words if scoped.df(t)]
    assert only_outside and both
    for t in both[:10]:  # the scoped count is the allowed paragraphs holding the word, from the index
        hits = world.desk.search(f"id:({' OR '.join(sorted(world.allowed))}) {t}", paragraphs=True, limit=1000)
        assert scoped.df(t) <= hits.total <= full.df(t)
