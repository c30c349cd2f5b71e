"""Newsroom collaboration: notes on cable paragraphs, tags on cables, starred searches.

The rules are enforced here, not in the routes. A note or tag is visible to its author, and, when
``shared``, to the other members of the author's organisation; never to another organisation, and
never on a cable outside the reader's collections (such a cable is "not found", word for word as an
absent one, whether or not notes exist on it). Sharing with the organisation is an editor's or
admin's right: a reader's notes and tags are private. Starred searches belong to one user. Every create and
delete is appended to the audit trail with ids only: note text and tag names stay out of it, because
editors of every organisation can read the trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cabledesk.desk import Desk
from cabledesk.errors import CabledeskError, NotFoundError
from cabledesk.server import audit
from cabledesk.server.accounts import Accounts, User

MAX_NOTE = 20_000
MAX_TAG = 100
MAX_QUERY = 2_000


class CollabError(CabledeskError):
    """A note, tag or star that cannot be saved as given (empty, too long, no such paragraph)."""


class Forbidden(CollabError):
    """The user may see the item but not change it (a colleague's note, and not an admin)."""


def _json_fields(item: Any) -> dict[str, Any]:
    """A note, tag or star as JSON-ready fields: its times as ISO 8601 text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(item).items()}


@dataclass(frozen=True, slots=True)
class Note:
    """A note on paragraph ``paragraph`` of a cable (0: the cable as a whole)."""

    id: int
    cable_id: str
    paragraph: int
    text: str
    author: str
    shared: bool
    created: datetime
    updated: datetime

    def to_dict(self) -> dict[str, Any]:
        return _json_fields(self)


@dataclass(frozen=True, slots=True)
class Tag:
    """A newsroom tag on a cable (not one of the cable's own TAGS line)."""

    id: int
    cable_id: str
    tag: str
    author: str
    shared: bool
    created: datetime

    def to_dict(self) -> dict[str, Any]:
        return _json_fields(self)


@dataclass(frozen=True, slots=True)
class Star:
    """A starred (saved) search of one user."""

    id: int
    query: str
    label: str
    created: datetime

    def to_dict(self) -> dict[str, Any]:
        return _json_fields(self)


#: Rows the user may see: their own, and the shared ones of their organisation's members.
_VISIBLE = "(x.author_id = %s OR (x.shared AND u.org_id = %s))"


def _visible_cable(desk: Desk, cable_id: str) -> str:
    """The canonical id when ``desk`` (the user's scoped Desk) holds the cable; NotFoundError otherwise."""
    cid = cable_id.strip().upper()
    if not desk.store.has(cid):
        raise NotFoundError(f"no cable {cid} in the store")
    return cid


def _may_share(user: User, shared: bool, what: str) -> None:
    """Annotating for the whole newsroom is an editor's (or admin's) right; a reader's notes stay private."""
    if shared and user.role == "reader":
        raise Forbidden(
            f"sharing {what} with your organisation needs the editor role; readers' notes are private"
        )


def _who(user: User) -> tuple[int, int]:
    return user.id, user.org_id


# -- notes -------------------------------------------------------------------------------------

_NOTE_SQL = (
    "SELECT x.id, x.cable_id, x.paragraph, x.body, u.name, x.shared, x.created_at, x.updated_at "
    "FROM notes x JOIN users u ON u.id = x.author_id "
)


def notes(accounts: Accounts, desk: Desk, user: User, cable_id: str) -> list[Note]:
    """The notes ``user`` may see on a cable of their collections, by paragraph then age."""
    cid = _visible_cable(desk, cable_id)
    rows = accounts.run(
        _NOTE_SQL + f"WHERE x.cable_id = %s AND {_VISIBLE} ORDER BY x.paragraph, x.id", (cid, *_who(user))
    )
    return [Note(*r) for r in rows]


def add_note(
    accounts: Accounts, desk: Desk, user: User, cable_id: str, paragraph: int, text: str,
    shared: bool = False, remote: str | None = None,
) -> Note:  # fmt: skip
    """Save a note on paragraph ``paragraph`` (as numbered in the cable; 0 = whole cable)."""
    _may_share(user, shared, "a note")
    cid = _visible_cable(desk, cable_id)
    if not text.strip():
        raise CollabError("a note needs some text")
    if len(text) > MAX_NOTE:
        raise CollabError(f"a note has at most {MAX_NOTE:,} characters")
    numbers = {p.n for p in desk.cable(cid).paragraphs if p.n is not None}
    if paragraph != 0 and paragraph not in numbers:
        raise CollabError(f"{cid} has no paragraph {paragraph} (use 0 for the cable as a whole)")
    rows = accounts.run(
        "INSERT INTO notes (cable_id, paragraph, body, author_id, shared) VALUES (%s, %s, %s, %s, %s) "
        "RETURNING id",
        (cid, paragraph, text, user.id, shared),
    )
    note_id = int(rows[0][0])
    audit.record(accounts, "note_add", user=user.name, target=cid,
                 detail={"note": note_id, "paragraph": paragraph, "shared": shared}, remote=remote)  # fmt: skip
    return Note(*accounts.run(_NOTE_SQL + "WHERE x.id = %s", (note_id,))[0])


def delete_note(accounts: Accounts, desk: Desk, user: User, note_id: int, remote: str | None = None) -> None:
    """Delete a note: its author, or an admin of the organisation it is shared with, may."""
    _delete(accounts, desk, user, "notes", note_id, ("note", "delete", "note_delete", "note"), remote)


def _delete(
    accounts: Accounts, desk: Desk, user: User, table: str, item_id: int,
    words: tuple[str, str, str, str], remote: str | None,
) -> None:  # fmt: skip
    """Delete row ``item_id`` of ``table`` (notes or cable_tags) when ``user`` sees it and wrote it or
    is an admin; ``words``: (noun, verb of the refusal, audit action, audit detail key)."""
    noun, verb, action, key = words
    rows = accounts.run(
        f"SELECT x.cable_id, x.author_id FROM {table} x JOIN users u ON u.id = x.author_id "
        f"WHERE x.id = %s AND {_VISIBLE}",
        (item_id, *_who(user)),
    )
    if not rows or not desk.store.has(rows[0][0]):
        raise NotFoundError(f"no {noun} {item_id}")
    cid, author_id = rows[0]
    if author_id != user.id and user.role != "admin":
        raise Forbidden(f"only the {noun}'s author or an admin may {verb} it")
    accounts.run(f"DELETE FROM {table} WHERE id = %s", (item_id,))
    audit.record(accounts, action, user=user.name, target=cid, detail={key: item_id}, remote=remote)


# -- tags --------------------------------------------------------------------------------------

_TAG_SQL = "SELECT x.id, x.cable_id, x.tag, u.name, x.shared, x.created_at FROM cable_tags x JOIN users u ON u.id = x.author_id "


def tags(accounts: Accounts, desk: Desk, user: User, cable_id: str) -> list[Tag]:
    """The newsroom tags ``user`` may see on a cable of their collections, alphabetically."""
    cid = _visible_cable(desk, cable_id)
    rows = accounts.run(
        _TAG_SQL + f"WHERE x.cable_id = %s AND {_VISIBLE} ORDER BY x.tag, x.id", (cid, *_who(user))
    )
    return [Tag(*r) for r in rows]


def add_tag(
    accounts: Accounts, desk: Desk, user: User, cable_id: str, tag: str, shared: bool = False,
    remote: str | None = None,
) -> Tag:  # fmt: skip
    """Tag a cable (adding the same tag twice is a no-op that returns the existing one)."""
    _may_share(user, shared, "a tag")
    cid = _visible_cable(desk, cable_id)
    tag = " ".join(tag.split())
    if not tag or len(tag) > MAX_TAG:
        raise CollabError(f"a tag has 1 to {MAX_TAG} characters")
    rows = accounts.run(
        "INSERT INTO cable_tags (cable_id, tag, author_id, shared) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING id",
        (cid, tag, user.id, shared),
    )
    if rows:
        audit.record(accounts, "tag_add", user=user.name, target=cid,
                     detail={"tag_id": int(rows[0][0]), "shared": shared}, remote=remote)  # fmt: skip
    found = accounts.run(
        _TAG_SQL + "WHERE x.cable_id = %s AND x.tag = %s AND x.author_id = %s AND x.shared = %s",
        (cid, tag, user.id, shared),
    )
    return Tag(*found[0])


def delete_tag(accounts: Accounts, desk: Desk, user: User, tag_id: int, remote: str | None = None) -> None:
    """Remove a tag: its author, or an admin of the organisation it is shared with, may."""
    _delete(accounts, desk, user, "cable_tags", tag_id, ("tag", "remove", "tag_delete", "tag_id"), remote)


# -- starred searches --------------------------------------------------------------------------


def stars(accounts: Accounts, user: User) -> list[Star]:
    """The user's starred searches, oldest first."""
    rows = accounts.run(
        "SELECT id, query, label, created_at FROM stars WHERE user_id = %s ORDER BY id", (user.id,)
    )
    return [Star(*r) for r in rows]


def add_star(accounts: Accounts, user: User, query: str, label: str = "", remote: str | None = None) -> Star:
    """Star a search (checked for syntax first; starring it again keeps one row, with the new label)."""
    from cabledesk.query import parse

    query = query.strip()
    if not query or len(query) > MAX_QUERY:
        raise CollabError(f"a starred search has 1 to {MAX_QUERY:,} characters")
    parse(query)  # QueryError now, not every time the star is opened
    rows = accounts.run(
        "INSERT INTO stars (user_id, query, label) VALUES (%s, %s, %s) "
        "ON CONFLICT (user_id, query) DO UPDATE SET label = EXCLUDED.label "
        "RETURNING id, query, label, created_at",
        (user.id, query, label[:200]),
    )
    star = Star(*rows[0])
    audit.record(accounts, "star_add", user=user.name, target=None, detail={"star": star.id}, remote=remote)
    return star


def delete_star(accounts: Accounts, user: User, star_id: int, remote: str | None = None) -> None:
    """Unstar: only the user's own stars (another user's id is "not found")."""
    if not accounts.run("DELETE FROM stars WHERE id = %s AND user_id = %s RETURNING id", (star_id, user.id)):
        raise NotFoundError(f"no starred search {star_id}")
    audit.record(
        accounts, "star_delete", user=user.name, target=None, detail={"star": star_id}, remote=remote
    )
