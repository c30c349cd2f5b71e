"""Entity tables beside the cables (SQLite file or PostgreSQL server): derived data, rebuildable.

Tables (all ``entity_*``, declared in :mod:`cabledesk.store.schema`, migration 2, and for PostgreSQL
in alembic revision 0005; this module creates none):
``entity_cables`` (what was processed, with the content hash, for incremental runs),
``entity_heads`` (one entity as seen in one cable), ``entity_mentions`` (cable, paragraph, span),
``entity_roles`` (titles with the cable they came from), ``entity_nodes`` and ``entity_entities``
(the resolution result), ``entity_decisions`` (user merges and splits: kept across rebuilds).
The SQL is written once and runs on both backends through :class:`cabledesk.store.featuredb.FeatureDB`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from cabledesk.enrich import aliases as al
from cabledesk.store.featuredb import FeatureDB, Tx
from cabledesk.store.schema import ENTITY_TABLES

_DERIVED = (
    "entity_cables",
    "entity_heads",
    "entity_mentions",
    "entity_roles",
    "entity_nodes",
    "entity_entities",
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class EntityStore:
    """The entity tables on an open store (SQLite or PostgreSQL; shares its connection and lock)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.db = FeatureDB(store)
        self._conn: Any = self.db.conn
        self._lock = self.db.lock

    @property
    def ready(self) -> bool:
        """True when the entity tables exist (a read-only open of a version-1 file has none)."""
        return self.db.has_tables(*ENTITY_TABLES)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One write transaction; errors become StoreWriteError and nothing is half-written."""
        try:
            with self.db.write() as tx:
                yield tx
        finally:  # entities written in this process count at once (entity_read.has_entities caches)
            from cabledesk.enrich.entity_read import forget_entities

            forget_entities(self.db.base)

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.db.rows(sql, params)

    # -- incremental bookkeeping ---------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM entity_meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.exec(
                "INSERT INTO entity_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def pending(self) -> list[str]:
        """Ids of cables never processed or changed since (content hash differs), in id order."""
        rows = self._all(
            "SELECT c.id FROM cables c LEFT JOIN entity_cables e ON e.cable_id = c.id "
            "WHERE e.content_hash IS NULL OR e.content_hash != c.content_hash ORDER BY c.id"
        )
        return [r[0] for r in rows]

    def clear(self) -> None:
        """Drop every derived row (decisions stay): the next enrich starts from scratch."""
        with self.transaction() as c:
            for t in _DERIVED:
                c.exec(f"DELETE FROM {t}")

    def write_cables(self, results: Iterable[tuple[str, str, str | None, str | None, list[al.Head]]]) -> int:
        """Replace the heads of each (cable id, hash, origin, created, heads) in one transaction."""
        at = _now()
        n = 0
        with self.transaction() as c:
            for cid, chash, origin, created, heads in results:
                for t in ("entity_heads", "entity_mentions", "entity_roles"):
                    c.exec(f"DELETE FROM {t} WHERE cable_id = ?", (cid,))
                c.many(
                    "INSERT INTO entity_heads (cable_id, local_id, type, key, node, display, forms, origin, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            cid,
                            h.local_id,
                            h.type,
                            h.key,
                            h.node,
                            h.display,
                            json.dumps(sorted(h.forms)),
                            origin,
                            created,
                        )
                        for h in heads
                    ],
                )
                c.many(
                    'INSERT INTO entity_mentions (cable_id, local_id, paragraph, start, "end", text, source) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (cid, h.local_id, m.paragraph, m.start, m.end, m.text, m.source)
                        for h in heads
                        for m in h.mentions
                    ],
                )
                c.many(
                    "INSERT INTO entity_roles (cable_id, local_id, title, source) VALUES (?, ?, ?, ?)",
                    [(cid, h.local_id, t, src) for h in heads for t, src in h.titles],
                )
                c.exec(
                    "INSERT INTO entity_cables (cable_id, content_hash, at, heads) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (cable_id) DO UPDATE SET content_hash = excluded.content_hash, "
                    "at = excluded.at, heads = excluded.heads",
                    (cid, chash, at, len(heads)),
                )
                n += 1
        return n

    # -- resolution ----------------------------------------------------------------------------

    def decisions(self, include_undone: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT id, kind, a, b, at, undone_at FROM entity_decisions"
        if not include_undone:
            sql += " WHERE undone_at IS NULL"
        keys = ("id", "kind", "a", "b", "at", "undone_at")
        return [dict(zip(keys, r, strict=True)) for r in self._all(sql + " ORDER BY id")]

    def add_decision(self, kind: str, a: str, b: str) -> int:
        with self.transaction() as c:
            row = c.exec(
                "INSERT INTO entity_decisions (kind, a, b, at) VALUES (?, ?, ?, ?) RETURNING id",
                (kind, a, b, _now()),
            ).fetchone()
            return int(row[0])

    def undo_last(self) -> dict[str, Any] | None:
        live = self.decisions()
        if not live:
            return None
        last = live[-1]
        with self.transaction() as c:
            c.exec("UPDATE entity_decisions SET undone_at = ? WHERE id = ?", (_now(), last["id"]))
        return last

    def resolve(self) -> int:
        """Recompute entities from all heads and the live decisions; returns the entity count."""
        nodes: dict[str, al.NodeInfo] = {}
        for node, etype, key, forms, origin, created in self._all(
            "SELECT node, type, key, forms, origin, created FROM entity_heads"
        ):
            info = nodes.get(node)
            if info is None:
                info = nodes[node] = al.NodeInfo(etype, key)
            info.count += 1
            if created:
                info.posts.setdefault(origin or "?", set()).add(int(created[:4]))
            if etype == "org":
                info.forms.update(json.loads(forms))
        decisions = [(d["kind"], d["a"], d["b"]) for d in self.decisions()]
        canon = al.resolve(nodes, decisions)
        ids = {n: al.entity_id(c) for n, c in canon.items()}
        with self.transaction() as c:
            c.exec("DELETE FROM entity_nodes")
            c.exec("DELETE FROM entity_entities")
            c.many("INSERT INTO entity_nodes (node, entity_id) VALUES (?, ?)", ids.items())
            c.exec(
                """INSERT INTO entity_entities (entity_id, type, name, node, aliases, mentions, cables, first, last)
                SELECT n.entity_id, min(h.type), '', '', '[]', count(m.cable_id), count(DISTINCT h.cable_id),
                       min(h.created), max(h.created)
                FROM entity_heads h JOIN entity_nodes n ON n.node = h.node
                LEFT JOIN entity_mentions m ON m.cable_id = h.cable_id AND m.local_id = h.local_id
                GROUP BY n.entity_id"""
            )
            canon_of = {ids[n]: cn for n, cn in canon.items()}
            texts: dict[str, dict[str, int]] = {}
            for eid, text in c.exec(
                "SELECT n.entity_id, m.text FROM entity_mentions m "
                "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
                "JOIN entity_nodes n ON n.node = h.node"
            ).fetchall():
                d = texts.setdefault(eid, {})
                d[text] = d.get(text, 0) + 1
            names = {
                eid: (pick_name(counts, canon_of[eid]), alias_list(counts)) for eid, counts in texts.items()
            }
            c.many(
                "UPDATE entity_entities SET name = ?, aliases = ?, node = ? WHERE entity_id = ?",
                [
                    (nm, json.dumps(als, ensure_ascii=False), canon_of.get(eid, ""), eid)
                    for eid, (nm, als) in names.items()
                ],
            )
            # A fresh token per resolution: readers cache what they derive from the tables by it.
            c.exec(
                "INSERT INTO entity_meta (key, value) VALUES ('resolved', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"{_now()}/{secrets.token_hex(4)}",),
            )
        return len(set(ids.values()))


def pick_name(counts: dict[str, int], node: str) -> str:
    """The canonical key written as in the cables (mixed case first), else the curated or title-cased name."""
    etype, _, rest = node.partition(":")
    key = rest.split("@", 1)[0]
    exact = {t: n for t, n in counts.items() if al.fold(t) == key}
    mixed = {t: n for t, n in exact.items() if not t.isupper()}
    if mixed:
        return max(mixed, key=lambda t: (mixed[t], any(ord(ch) > 127 for ch in t)))
    for e in al.curated():
        if e["type"] == etype and al.fold(e["name"]) == key:
            return str(e["name"])
    if exact:
        t = max(exact, key=lambda t: exact[t])
        return t.title() if (etype != "org" and len(t) > 3) or " " in t else t
    return max(counts, key=lambda t: (not t.isupper(), counts[t]))


def alias_list(counts: dict[str, int]) -> list[str]:
    """Distinct surface forms, most frequent first."""
    merged: dict[str, int] = {}
    for k, v in counts.items():
        t = k.lstrip("\x00")
        merged[t] = merged.get(t, 0) + v
    return sorted(merged, key=lambda t: (-merged[t], t))
