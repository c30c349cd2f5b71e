"""People, organisations and places across the cables: enrich, look up, correct, export.

Library entry points (the CLI and the web only format these):
:func:`enrich` (incremental extraction + resolution), :func:`entities_for_cable`,
:func:`find_entities`, :func:`entity_detail`, :func:`cable_ids_for_entity`, :func:`merge`,
:func:`split`, :func:`undo`, :func:`export`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Literal

from cabledesk.enrich import aliases as al
from cabledesk.enrich.entity_store import EntityStore
from cabledesk.enrich.ner import PIPELINE_VERSION, Extractor, TrueCase
from cabledesk.errors import CabledeskError, NotFoundError
from cabledesk.store.sqlite import SQLiteStore

_ID = re.compile(r"^[POL]-[0-9a-f]{10}$")
Progress = Callable[[int, int], None]


class AmbiguousEntityError(CabledeskError):
    """A name matches several entities; the message lists them so the user can pick an id."""


@dataclass
class EnrichSummary:
    """What one ``enrich`` run did."""

    processed: int
    skipped: int
    entities: int
    rebuilt: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "skipped": self.skipped,
            "entities": self.entities,
            "rebuilt": self.rebuilt,
        }


def default_truecase() -> TrueCase:
    """Statistical true-casing when the ``truecase`` package is installed (measured best), else simple."""
    try:
        import truecase  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return "simple"
    return "statistical"


def enrich(
    store: SQLiteStore,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    batch: int = 50,
    n_process: int = 1,
    truecase: TrueCase | None = None,
) -> EnrichSummary:
    """Extract entities from new or changed cables, then re-resolve aliases; safe to interrupt."""
    es = EntityStore(store)
    if es.meta("pipeline") != PIPELINE_VERSION:
        rebuild = True
    if rebuild:
        es.clear()
        es.set_meta("pipeline", PIPELINE_VERSION)
    todo = es.pending()
    total = store.count()
    done = total - len(todo)
    if progress:
        progress(done, total)
    if todo:
        es.set_meta("dirty", "1")
        extractor = Extractor(truecase=truecase or default_truecase(), n_process=n_process)
        buf: list[tuple[str, str, str | None, str | None, list[al.Head]]] = []

        def cables() -> Any:
            for i in range(0, len(todo), 200):
                got = store.get_many(todo[i : i + 200])
                yield from (got[c] for c in todo[i : i + 200] if c in got)

        for cable, spans in extractor.extract(cables()):
            cb = cable.classified_by
            heads = al.cluster_cable(
                spans,
                origin=cable.origin,
                signer=cable.signer,
                classified_by=(cb.name, cb.title) if cb else None,
            )
            for h in heads:
                h.node = al.node_of(h.type, h.key, cable.origin)
            created = cable.created.isoformat() if cable.created else None
            buf.append((cable.id, cable.content_hash(), cable.origin, created, heads))
            if len(buf) >= batch:
                done += es.write_cables(buf)
                buf = []
                if progress:
                    progress(done, total)
        if buf:
            done += es.write_cables(buf)
            if progress:
                progress(done, total)
    n_entities = 0
    if todo or es.meta("dirty") == "1" or rebuild:
        n_entities = es.resolve()
        es.set_meta("dirty", "0")
    else:
        n_entities = int(es._all("SELECT count(*) FROM entity_entities")[0][0])
    return EnrichSummary(len(todo), total - len(todo), n_entities, rebuild)


def _es(store: SQLiteStore) -> EntityStore:
    es = EntityStore(store)
    if not es.ready or not es._all("SELECT 1 FROM entity_cables LIMIT 1"):
        raise CabledeskError("no entities in this database yet: run `cabledesk enrich` first")
    return es


def _entity_rows(es: EntityStore, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    keys = ("entity_id", "type", "name", "aliases", "mentions", "cables", "first", "last")
    rows = es._all(f"SELECT {', '.join(keys)} FROM entity_entities WHERE {where}", params)
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        d["aliases"] = json.loads(d["aliases"])
        out.append(d)
    return out


def entities_for_cable(store: SQLiteStore, cable_id: str) -> dict[str, Any]:
    """``{"id", "entities": [{entity_id, name, type, aliases, mentions: [{paragraph, start, end, text}]}]}``."""
    cid = cable_id.strip().upper()
    if not store.has(cid):
        raise NotFoundError(f"no cable {cid} in the store")
    es = _es(store)
    rows = es._all(
        'SELECT n.entity_id, m.paragraph, m.start, m."end", m.text FROM entity_mentions m '
        "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
        "JOIN entity_nodes n ON n.node = h.node WHERE m.cable_id = ? "
        "ORDER BY m.paragraph IS NULL, m.paragraph, m.start",
        (cid,),
    )
    order: list[str] = []
    mentions: dict[str, list[dict[str, Any]]] = {}
    for eid, p, s, e, text in rows:
        if eid not in mentions:
            order.append(eid)
            mentions[eid] = []
        mentions[eid].append({"paragraph": p, "start": s, "end": e, "text": text})
    info = (
        {
            d["entity_id"]: d
            for d in _entity_rows(es, "entity_id IN (" + ",".join("?" * len(order)) + ")", tuple(order))
        }
        if order
        else {}
    )
    return {
        "id": cid,
        "entities": [
            {
                "entity_id": eid,
                "name": info[eid]["name"],
                "type": info[eid]["type"],
                "aliases": info[eid]["aliases"],
                "mentions": mentions[eid],
            }
            for eid in order
            if eid in info
        ],
    }


def find_entities(
    store: SQLiteStore, name_or_id: str, limit: int = 20, etype: str | None = None
) -> list[dict[str, Any]]:
    """Entities named ``name_or_id`` (an id, a name or an alias; accents and case ignored), best first."""
    es = _es(store)
    q = name_or_id.strip()
    if _ID.match(q):
        return _entity_rows(es, "entity_id = ?", (q,))
    key = al.fold(q)
    if not key:
        return []
    for e in al.curated():  # "FCH" finds Felipe Calderon even where no cable spells FCH
        if key in {al.fold(a) for a in [*e.get("aliases", []), *e.get("local_aliases", [])]}:
            key = al.fold(e["name"])
            break
    with es._lock:
        es._conn.create_function("cd_fold", 1, al.fold, deterministic=True)
    like = f"%{key}%"
    cands = _entity_rows(
        es, "cd_fold(name) LIKE ? OR cd_fold(aliases) LIKE ? ORDER BY mentions DESC LIMIT 500", (like, like)
    )

    def rank(d: dict[str, Any]) -> tuple[int, int]:
        if al.fold(d["name"]) == key:
            return (0, -d["mentions"])
        if any(al.fold(a) == key for a in d["aliases"]):
            return (1, -d["mentions"])
        return (2, -d["mentions"])

    if etype:  # before choosing exact matches: "calderon" among organisations is not the president
        cands = [d for d in cands if d["type"] == etype]
    cands.sort(key=rank)
    exact = [d for d in cands if rank(d)[0] < 2]
    return (exact or cands)[:limit]


def resolve_one(store: SQLiteStore, name_or_id: str) -> dict[str, Any]:
    """The single entity ``name_or_id`` designates; NotFoundError or AmbiguousEntityError otherwise."""
    found = find_entities(store, name_or_id)
    if not found:
        raise NotFoundError(f"no entity named {name_or_id!r}")
    top = [d for d in found if al.fold(d["name"]) == al.fold(name_or_id)] or found
    if len(top) > 1 and not _ID.match(name_or_id.strip()):
        shown = "; ".join(
            f"{d['entity_id']} {d['name']} ({d['type']}, {d['mentions']} mentions)" for d in top[:8]
        )
        raise AmbiguousEntityError(f"{name_or_id!r} matches {len(top)} entities: {shown}")
    return top[0]


def cable_ids_for_entity(store: SQLiteStore, name: str) -> list[str]:
    """Ids of every cable mentioning (or signed by) the entity ``name`` designates, sorted."""
    ent = resolve_one(store, name)
    es = _es(store)
    rows = es._all(
        "SELECT DISTINCT h.cable_id FROM entity_heads h JOIN entity_nodes n ON n.node = h.node "
        "WHERE n.entity_id = ? ORDER BY h.cable_id",
        (ent["entity_id"],),
    )
    return [r[0] for r in rows]


def entity_detail(store: SQLiteStore, name_or_id: str, limit: int = 200) -> dict[str, Any]:
    """One entity: mentions in date order, roles over time, co-occurring entities, cables signed."""
    ent = resolve_one(store, name_or_id)
    es = _es(store)
    eid = ent["entity_id"]
    mentions = [
        {"cable_id": c, "created": d, "paragraph": p, "start": s, "end": e, "text": t, "source": src}
        for c, d, p, s, e, t, src in es._all(
            'SELECT m.cable_id, h.created, m.paragraph, m.start, m."end", m.text, m.source FROM entity_mentions m '
            "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
            "JOIN entity_nodes n ON n.node = h.node WHERE n.entity_id = ? "
            "ORDER BY h.created, m.cable_id, m.paragraph IS NULL, m.paragraph, m.start LIMIT ?",
            (eid, limit),
        )
    ]
    roles: dict[str, dict[str, Any]] = {}
    for title, created, cid in es._all(
        "SELECT r.title, h.created, r.cable_id FROM entity_roles r "
        "JOIN entity_heads h ON h.cable_id = r.cable_id AND h.local_id = r.local_id "
        "JOIN entity_nodes n ON n.node = h.node WHERE n.entity_id = ? ORDER BY h.created",
        (eid,),
    ):
        k = al.fold(title)
        r = roles.setdefault(k, {"title": title, "first": created, "last": created, "cables": []})
        r["last"] = created
        if cid not in r["cables"]:
            r["cables"].append(cid)
    for r in roles.values():
        r["span"] = _period(r["first"], r["last"])
    co = [
        {"entity_id": e2, "name": nm, "type": tp, "cables": n}
        for e2, nm, tp, n in es._all(
            "SELECT n2.entity_id, e.name, e.type, count(DISTINCT h2.cable_id) AS k FROM entity_heads h "
            "JOIN entity_nodes n ON n.node = h.node AND n.entity_id = ? "
            "JOIN entity_heads h2 ON h2.cable_id = h.cable_id "
            "JOIN entity_nodes n2 ON n2.node = h2.node AND n2.entity_id != ? "
            "JOIN entity_entities e ON e.entity_id = n2.entity_id "
            "GROUP BY n2.entity_id ORDER BY k DESC, e.mentions DESC LIMIT 15",
            (eid, eid),
        )
    ]
    signed = [
        r[0]
        for r in es._all(
            "SELECT DISTINCT m.cable_id FROM entity_mentions m "
            "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
            "JOIN entity_nodes n ON n.node = h.node WHERE n.entity_id = ? AND m.source = 'signer' ORDER BY 1",
            (eid,),
        )
    ]
    return {
        **ent,
        "mentions_shown": len(mentions),
        "mention_list": mentions,
        "roles": sorted(roles.values(), key=lambda r: r["first"] or ""),
        "co_occurring": co,
        "signed": signed,
        "cable_ids": cable_ids_for_entity(store, eid),
    }


def _period(first: str | None, last: str | None) -> str:
    """ "2009-10" or "2009-10..2010-01" from two ISO timestamps."""
    a, b = (first or "")[:7], (last or "")[:7]
    return a if a == b else f"{a}..{b}"


def _node_of_entity(es: EntityStore, eid: str) -> str:
    rows = es._all("SELECT node FROM entity_entities WHERE entity_id = ?", (eid,))
    if not rows or not rows[0][0]:
        raise NotFoundError(f"no entity {eid}")
    return str(rows[0][0])


def merge(store: SQLiteStore, a: str, b: str) -> dict[str, Any]:
    """Record that ``b`` is the same as ``a`` (names or ids), re-resolve; returns the merged entity."""
    ea, eb = resolve_one(store, a), resolve_one(store, b)
    if ea["entity_id"] == eb["entity_id"]:
        return ea
    es = _es(store)
    node_a = _node_of_entity(es, ea["entity_id"])
    es.add_decision("merge", node_a, _node_of_entity(es, eb["entity_id"]))
    es.resolve()
    return resolve_one(store, _entity_id_of_node(es, node_a))


def _entity_id_of_node(es: EntityStore, node: str) -> str:
    rows = es._all("SELECT entity_id FROM entity_nodes WHERE node = ?", (node,))
    if not rows:
        raise NotFoundError(f"no entity for {node}")
    return str(rows[0][0])


def split(store: SQLiteStore, entity: str, form: str) -> dict[str, Any]:
    """Detach the mentions written ``form`` (as an alias of ``entity``) into an entity of their own."""
    ent = resolve_one(store, entity)
    es = _es(store)
    key = al.fold(form)
    nodes = [
        r[0]
        for r in es._all(
            "SELECT DISTINCT h.node FROM entity_heads h JOIN entity_nodes n ON n.node = h.node "
            "WHERE n.entity_id = ? AND h.key = ?",
            (ent["entity_id"], key),
        )
    ]
    if not nodes:
        raise NotFoundError(
            f"{ent['name']} ({ent['entity_id']}) has no cable where {form!r} is its main name"
        )
    for node in nodes:
        es.add_decision("split", ent["entity_id"], node)
    es.resolve()
    return {"entity": ent["entity_id"], "detached": [_entity_id_of_node(es, n) for n in nodes]}


def undo(store: SQLiteStore) -> dict[str, Any] | None:
    """Undo the last live merge or split and re-resolve; None when there is nothing to undo."""
    es = _es(store)
    last = es.undo_last()
    if last is not None:
        es.resolve()
    return last


ExportFormat = Literal["csv", "jsonl", "ftm"]


def export(
    store: SQLiteStore,
    out: IO[str],
    fmt: ExportFormat = "jsonl",
    kind: Literal["entities", "mentions"] = "entities",
) -> int:
    """Write entities (or mentions) as CSV, JSONL, or FollowTheMoney-shaped JSON lines; returns rows."""
    es = _es(store)
    if fmt == "ftm":
        from cabledesk.enrich.ftm import write_ftm

        return write_ftm(es, out)
    if kind == "mentions":
        cols: tuple[str, ...] = ("entity_id", "cable_id", "paragraph", "start", "end", "text", "source")
        rows = es._all(
            'SELECT n.entity_id, m.cable_id, m.paragraph, m.start, m."end", m.text, m.source FROM entity_mentions m '
            "JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
            "JOIN entity_nodes n ON n.node = h.node ORDER BY m.cable_id, m.paragraph, m.start"
        )
        dicts = [dict(zip(cols, r, strict=True)) for r in rows]
    else:
        cols = ("entity_id", "type", "name", "aliases", "mentions", "cables", "first", "last")
        dicts = _entity_rows(es, "1 ORDER BY mentions DESC, entity_id", ())
    if fmt == "csv":
        w = csv.writer(out)
        w.writerow(cols)
        for d in dicts:
            w.writerow(
                ["; ".join(d[c]) if isinstance(d[c], list) else ("" if d[c] is None else d[c]) for c in cols]
            )
    else:
        for d in dicts:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    return len(dicts)


# -- read-only helpers for the web (never create tables) --------------------------------------------
ENTITY_TYPES = ("person", "org", "place")
FACET_MAX_IDS = 50_000


def has_entities(store: Any) -> bool:
    """True when ``store`` is a SQLite store holding enriched entities; creates nothing (read-only safe)."""
    if not isinstance(store, SQLiteStore):
        return False
    with store._lock:
        conn = store._conn
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'entity_%'")}
        if not {"entity_entities", "entity_heads", "entity_nodes"} <= names:
            return False
        return conn.execute("SELECT 1 FROM entity_entities LIMIT 1").fetchone() is not None


def entity_facet_items(
    store: SQLiteStore, cable_ids: list[str] | set[str], limit: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """Top entities per type among ``cable_ids`` by number of those cables: ``{type: [{entity_id, name, count}]}``.

    Counts use the same rows as ``person:``/``org:``/``place:`` (entity heads), so clicking a facet value
    gives that many cables. At most :data:`FACET_MAX_IDS` ids are counted (the first ones, sorted).
    """
    if not cable_ids or not has_entities(store):
        return {}
    ids = sorted(cable_ids)[:FACET_MAX_IDS]
    with store._lock:
        rows = store._conn.execute(
            "SELECT type, entity_id, name, k FROM ("
            " SELECT e.type, e.entity_id, e.name, c.k, row_number() OVER"
            "  (PARTITION BY e.type ORDER BY c.k DESC, e.mentions DESC, e.entity_id) AS rn"
            " FROM (SELECT n.entity_id, count(DISTINCT h.cable_id) AS k FROM entity_heads h"
            "  JOIN entity_nodes n ON n.node = h.node"
            "  WHERE h.cable_id IN (SELECT value FROM json_each(?)) GROUP BY n.entity_id) c"
            " JOIN entity_entities e ON e.entity_id = c.entity_id)"
            " WHERE rn <= ? ORDER BY type, rn",
            (json.dumps(ids), limit),
        ).fetchall()
    out: dict[str, list[dict[str, Any]]] = {}
    for etype, eid, name, k in rows:
        out.setdefault(etype, []).append({"entity_id": eid, "name": name, "count": int(k)})
    return out


def entity_facet(
    store: SQLiteStore, cable_ids: list[str] | set[str], limit: int = 10
) -> dict[str, dict[str, int]]:
    """Top entities per type among ``cable_ids``: ``{type: {name: cables}}`` (a repeated name gets its id)."""
    out: dict[str, dict[str, int]] = {}
    for etype, items in entity_facet_items(store, cable_ids, limit).items():
        d = out.setdefault(etype, {})
        for it in items:
            d[it["entity_id"] if it["name"] in d else it["name"]] = it["count"]
    return out


def ambiguous_names(store: SQLiteStore, names: list[str]) -> set[str]:
    """Which of ``names`` several entities bear (a query term must then use the entity id)."""
    if not names or not has_entities(store):
        return set()
    with store._lock:
        rows = store._conn.execute(
            "SELECT lower(name) FROM entity_entities WHERE lower(name) IN "
            "(SELECT lower(value) FROM json_each(?)) GROUP BY lower(name) HAVING count(*) > 1",
            (json.dumps(sorted(set(names))),),
        ).fetchall()
    dup = {r[0] for r in rows}
    return {n for n in names if n.lower() in dup}


def entity_months(store: SQLiteStore, entity_id: str) -> list[dict[str, Any]]:
    """Cables naming the entity per month, by classification level (the shape of :func:`timeline`)."""
    from cabledesk.model import LEVELS

    if not has_entities(store):
        return []
    with store._lock:
        rows = store._conn.execute(
            "SELECT substr(c.created, 1, 7) AS m, coalesce(c.classification, 'UNKNOWN'), count(DISTINCT c.id) "
            "FROM entity_heads h JOIN entity_nodes n ON n.node = h.node AND n.entity_id = ? "
            "JOIN cables c ON c.id = h.cable_id WHERE c.created IS NOT NULL GROUP BY 1, 2 ORDER BY 1",
            (entity_id,),
        ).fetchall()
    months: dict[str, dict[str, Any]] = {}
    for m, level, k in rows:
        row = months.setdefault(m, {"month": m, "total": 0, "counts": dict.fromkeys(LEVELS, 0)})
        row["counts"][level] = row["counts"].get(level, 0) + int(k)
        row["total"] += int(k)
    return list(months.values())


def top_entities(store: SQLiteStore, etype: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Entities with the most mentions (optionally of one type), for browsing without a name."""
    if not has_entities(store):
        return []
    es = _es(store)
    if etype:
        return _entity_rows(es, "type = ? ORDER BY mentions DESC, entity_id LIMIT ?", (etype, limit))
    return _entity_rows(es, "1 ORDER BY mentions DESC, entity_id LIMIT ?", (limit,))
