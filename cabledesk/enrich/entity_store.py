"""Entity tables in the cabledesk SQLite file: derived data, rebuildable, beside the cables.

Tables (all ``entity_*``, declared in :mod:`cabledesk.store.schema`, migration 2; this module creates none):
``entity_cables`` (what was processed, with the content hash, for incremental runs),
``entity_heads`` (one entity as seen in one cable), ``entity_mentions`` (cable, paragraph, span),
``entity_roles`` (titles with the cable they came from), ``entity_nodes`` and ``entity_entities``
(the resolution result), ``entity_decisions`` (user merges and splits: kept across rebuilds).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from cabledesk.enrich import aliases as al
from cabledesk.errors import StoreWriteError
from cabledesk.store.schema import ENTITY_TABLES
from cabledesk.store.sqlite import SQLiteStore

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
    """The entity tables on an open :class:`SQLiteStore` (shares its connection and lock)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self._conn: sqlite3.Connection = store._conn
        self._lock = store._lock

    @property
    def ready(self) -> bool:
        """True when the entity tables exist (a read-only open of a version-1 file has none)."""
        return self.store.has_tables(*ENTITY_TABLES)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; errors become StoreWriteError and nothing is half-written."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise StoreWriteError(f"writing entities to {self.store.path} failed: {exc}") from exc
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- incremental bookkeeping ---------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM entity_meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO entity_meta (key, value) VALUES (?, ?)", (key, value))

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
                c.execute(f"DELETE FROM {t}")

    def write_cables(self, results: Iterable[tuple[str, str, str | None, str | None, list[al.Head]]]) -> int:
        """Replace the heads of each (cable id, hash, origin, created, heads) in one transaction."""
        at = _now()
        n = 0
        with self.transaction() as c:
            for cid, chash, origin, created, heads in results:
                for t in ("entity_heads", "entity_mentions", "entity_roles"):
                    c.execute(f"DELETE FROM {t} WHERE cable_id = ?", (cid,))
                c.executemany(
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
                c.executemany(
                    'INSERT INTO entity_mentions (cable_id, local_id, paragraph, start, "end", text, source) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (cid, h.local_id, m.paragraph, m.start, m.end, m.text, m.source)
                        for h in heads
                        for m in h.mentions
                    ],
                )
                c.executemany(
                    "INSERT INTO entity_roles (cable_id, local_id, title, source) VALUES (?, ?, ?, ?)",
                    [(cid, h.local_id, t, src) for h in heads for t, src in h.titles],
                )
                c.execute(
                    "INSERT OR REPLACE INTO entity_cables (cable_id, content_hash, at, heads) VALUES (?, ?, ?, ?)",
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
            cur = c.execute(
                "INSERT INTO entity_decisions (kind, a, b, at) VALUES (?, ?, ?, ?)", (kind, a, b, _now())
            )
            return int(cur.lastrowid or 0)

    def undo_last(self) -> dict[str, Any] | None:
        live = self.decisions()
        if not live:
            return None
        last = live[-1]
        with self.transaction() as c:
            c.execute("UPDATE entity_decisions SET undone_at = ? WHERE id = ?", (_now(), last["id"]))
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
            c.execute("DELETE FROM entity_nodes")
            c.execute("DELETE FROM entity_entities")
            c.executemany("INSERT INTO entity_nodes (node, entity_id) VALUES (?, ?)", ids.items())
            c.execute(
                """INSERT INTO entity_entities (entity_id, type, name, node, aliases, mentions, cables, first, last)
                SELECT n.entity_id, min(h.type), '', '', '[]', count(m.cable_id), count(DISTINCT h.cable_id),
                       min(h.created), max(h.created)
                FROM entity_heads h JOIN entity_nodes n ON n.node = h.node
                LEFT JOIN entity_mentions m ON m.cable_id = h.cable_id AND m.local_id = h.local_id
                GROUP BY n.entity_id"""
            )
            canon_of = {ids[n]: cn for n, cn in canon.items()}
            texts: dict[str, dict[str, int]] = {}
            for eid, text in c.execute(
                "SELECT n.entity_id, m.text FROM entity_mentions m "
                "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
                "JOIN entity_nodes n ON n.node = h.node"
            ):
                d = texts.setdefault(eid, {})
                d[text] = d.get(text, 0) + 1
            names = {
                eid: (_pick_name(counts, canon_of[eid]), _aliases(counts)) for eid, counts in texts.items()
            }
            c.executemany(
                "UPDATE entity_entities SET name = ?, aliases = ?, node = ? WHERE entity_id = ?",
                [
                    (nm, json.dumps(als, ensure_ascii=False), canon_of.get(eid, ""), eid)
                    for eid, (nm, als) in names.items()
                ],
            )
        return len(set(ids.values()))


def _pick_name(counts: dict[str, int], node: str) -> str:
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


def _aliases(counts: dict[str, int]) -> list[str]:
    """Distinct surface forms, most frequent first."""
    merged: dict[str, int] = {}
    for k, v in counts.items():
        t = k.lstrip("\x00")
        merged[t] = merged.get(t, 0) + v
    return sorted(merged, key=lambda t: (-merged[t], t))
