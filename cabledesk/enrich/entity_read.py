"""Reading entities on either backend, and only within the user's collections in server mode.

The same answers as the read helpers of :mod:`cabledesk.enrich.entities` (same shapes), written
once for SQLite and PostgreSQL through :class:`cabledesk.store.featuredb.FeatureDB`. Given a
collection-scoped store (:class:`cabledesk.server.access.ScopedStore`), every figure is computed
from the allowed cables only: an entity named only outside them is not found, and its mentions,
cable counts, aliases, roles, co-occurrences, signed cables and timeline count allowed cables alone.
The web app, ``person:``/``org:``/``place:`` and the cable page's entity box read through here.
"""

from __future__ import annotations

import json
import re
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

from cabledesk.enrich import aliases as al
from cabledesk.enrich.entity_store import EntityStore, alias_list, pick_name
from cabledesk.errors import CabledeskError, NotFoundError

__all__ = [
    "ENTITY_TYPES", "AmbiguousEntityError", "ambiguous_names", "cable_ids_for_entity", "entities_for_cable",
    "entity_detail", "entity_facet", "entity_facet_items", "entity_months", "find_entities", "has_entities",
    "resolve_one", "top_entities",
]  # fmt: skip

ENTITY_TYPES = ("person", "org", "place")
FACET_MAX_IDS = 50_000
NO_ENTITIES = "no entities in this database yet: run `cabledesk enrich` first"
_ID = re.compile(r"^[POL]-[0-9a-f]{10}$", re.IGNORECASE)  # the query language upper-cases phrases
_KEYS = ("entity_id", "type", "name", "aliases", "mentions", "cables", "first", "last")


class AmbiguousEntityError(CabledeskError):
    """A name matches several entities; the message lists them so the user can pick an id.

    Defined here, not imported from :mod:`cabledesk.enrich.entities`, so that module can take its
    read helpers from this one without an import cycle.
    """


_HEAD_MENTIONS = (
    "entity_mentions m JOIN entity_heads h ON h.cable_id = m.cable_id AND h.local_id = m.local_id "
)
_NODES = "JOIN entity_nodes n ON n.node = h.node "
#: Mentions without a position (signatures, Classified By) in one order on both backends.
_TIE = "m.local_id, m.source, m.text"


def _es(store: Any) -> EntityStore:
    es = EntityStore(store)
    if not es.ready or not es._all("SELECT 1 FROM entity_cables LIMIT 1"):
        raise CabledeskError(NO_ENTITIES)
    return es


#: has_entities answers per underlying store: a yes is kept (enriched entities stay), a no for
#: NO_ENTITIES_TTL seconds, so a search (which asks every time, for its entity facet) costs no
#: database round trip, and a fresh `cabledesk enrich` shows up within seconds.
NO_ENTITIES_TTL = 5.0
_HAS: weakref.WeakKeyDictionary[Any, tuple[bool, float]] = weakref.WeakKeyDictionary()
_HAS_LOCK = threading.Lock()


def forget_entities(store: Any) -> None:
    """Drop the remembered has_entities answer of ``store`` (its entity tables were just written)."""
    with _HAS_LOCK:
        _HAS.pop(getattr(store, "_store", store), None)


def has_entities(store: Any) -> bool:
    """True when the store holds enriched entities (either backend); creates nothing."""
    base = getattr(store, "_store", store)  # a collection-scoped store: ask the real one
    now = time.monotonic()
    with _HAS_LOCK:
        hit = _HAS.get(base)
    if hit is not None and (hit[0] or now - hit[1] < NO_ENTITIES_TTL):
        return hit[0]
    es = EntityStore(base)
    got = es.ready and bool(es._all("SELECT 1 FROM entity_entities LIMIT 1"))
    with _HAS_LOCK:
        _HAS[base] = (got, now)
    return got


# -- entity rows: stored (whole corpus) or recomputed over the allowed cables ------------------------
def _stored_rows(es: EntityStore, where: str, params: list[Any]) -> list[dict[str, Any]]:
    out = []
    for r in es._all(f"SELECT {', '.join(_KEYS)} FROM entity_entities WHERE {where}", params):
        d = dict(zip(_KEYS, r, strict=True))
        d["aliases"] = json.loads(d["aliases"])
        out.append(d)
    return out


def _scoped_counts(es: EntityStore, eids: Iterable[str] | None) -> dict[str, dict[str, Any]]:
    """Per entity with a head in the allowed cables: type, mentions, cables, first, last (no names yet)."""
    scope, sp = es.db.scope("h.cable_id")
    only, op = es.db.in_list("n.entity_id", list(eids)) if eids is not None else ("true", [])
    rows = es._all(
        "SELECT n.entity_id, min(h.type), count(m.cable_id), count(DISTINCT h.cable_id), min(h.created), "
        "max(h.created) FROM entity_heads h " + _NODES +
        "LEFT JOIN entity_mentions m ON m.cable_id = h.cable_id AND m.local_id = h.local_id "
        f"WHERE {only}{scope} GROUP BY n.entity_id",
        [*op, *sp],
    )  # fmt: skip
    keys = ("entity_id", "type", "mentions", "cables", "first", "last")
    return {r[0]: dict(zip(keys, r, strict=True)) for r in rows}


def _named(es: EntityStore, counts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Scoped rows with the name and aliases written in the allowed cables (as resolution picks them)."""
    if not counts:
        return []
    only, op = es.db.in_list("n.entity_id", list(counts))
    scope, sp = es.db.scope("m.cable_id")
    texts: dict[str, dict[str, int]] = {}
    for eid, text, k in es._all(
        f"SELECT n.entity_id, m.text, count(*) FROM {_HEAD_MENTIONS}{_NODES}WHERE {only}{scope} GROUP BY 1, 2",
        [*op, *sp],
    ):
        texts.setdefault(eid, {})[text] = int(k)
    where, wp = es.db.in_list("entity_id", list(counts))
    stored = {
        r[0]: (r[1], r[2])
        for r in es._all(f"SELECT entity_id, node, name FROM entity_entities WHERE {where}", wp)
    }
    out = []
    for eid, c in counts.items():
        node, name = stored.get(eid, ("", ""))
        t = texts.get(eid)
        out.append({**c, "name": pick_name(t, node) if t and node else name, "aliases": alias_list(t) if t else [name],
                    "mentions": int(c["mentions"]), "cables": int(c["cables"])})  # fmt: skip
    return [{k: d[k] for k in _KEYS} for d in out]


def _rows(es: EntityStore, eids: Iterable[str]) -> list[dict[str, Any]]:
    """Entity rows of ``eids`` as this store's user sees them (absent: not in the allowed cables)."""
    ids = list(dict.fromkeys(eids))
    if not ids:
        return []
    if es.db.allowed is None:
        where, params = es.db.in_list("entity_id", ids)
        return _stored_rows(es, where, params)
    return _named(es, _scoped_counts(es, ids))


# -- finding by name -------------------------------------------------------------------------------
_NAMES: dict[tuple[str, str], list[tuple[str, str]]] = {}
_NAMES_LOCK = threading.Lock()


def _name_index(es: EntityStore) -> list[tuple[str, str]]:
    """(entity id, folded name and aliases) of every entity, cached per resolution of the tables."""
    token = es.meta("resolved")
    key = (repr(es.db.base), token or "")
    with _NAMES_LOCK:
        hit = _NAMES.get(key) if token else None
    if hit is not None:
        return hit
    built = [
        (eid, "\n".join(al.fold(x) for x in [name, *json.loads(aliases)]))
        for eid, name, aliases in es._all("SELECT entity_id, name, aliases FROM entity_entities")
    ]
    if token:
        with _NAMES_LOCK:
            _NAMES.clear()
            _NAMES[key] = built
    return built


def _key_of(q: str) -> str:
    key = al.fold(q)
    for e in al.curated():  # "FCH" finds Felipe Calderon even where no cable spells FCH
        if key and key in {al.fold(a) for a in [*e.get("aliases", []), *e.get("local_aliases", [])]}:
            return al.fold(e["name"])
    return key


def find_entities(
    store: Any, name_or_id: str, limit: int = 20, etype: str | None = None
) -> list[dict[str, Any]]:
    """Entities named ``name_or_id`` (an id, a name or an alias; accents and case ignored), best first."""
    es = _es(store)
    q = name_or_id.strip()
    if _ID.match(q):
        return _rows(es, [q[0].upper() + q[1:].lower()])
    key = _key_of(q)
    if not key:
        return []
    hits = [eid for eid, folded in _name_index(es) if key in folded]
    cands = _rows(es, hits)
    if es.db.allowed is not None:  # match only names written in the allowed cables
        cands = [d for d in cands if any(key in al.fold(x) for x in [d["name"], *d["aliases"]])]

    def rank(d: dict[str, Any]) -> tuple[int, int, str]:
        if al.fold(d["name"]) == key:
            return (0, -d["mentions"], d["entity_id"])
        if any(al.fold(a) == key for a in d["aliases"]):
            return (1, -d["mentions"], d["entity_id"])
        return (2, -d["mentions"], d["entity_id"])

    if etype:  # before choosing exact matches: "calderon" among organisations is not the president
        cands = [d for d in cands if d["type"] == etype]
    cands.sort(key=rank)
    exact = [d for d in cands if rank(d)[0] < 2]
    return (exact or cands)[:limit]


def resolve_one(store: Any, name_or_id: str) -> dict[str, Any]:
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


def top_entities(store: Any, etype: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Entities with the most mentions (optionally of one type), for browsing without a name."""
    if not has_entities(store):
        return []
    es = _es(store)
    if es.db.allowed is None:
        where, params = ("type = ?", [etype]) if etype else ("true", [])
        return _stored_rows(es, f"{where} ORDER BY mentions DESC, entity_id LIMIT ?", [*params, limit])
    counts = [c for c in _scoped_counts(es, None).values() if not etype or c["type"] == etype]
    counts.sort(key=lambda c: (-int(c["mentions"]), c["entity_id"]))
    return _named(es, {c["entity_id"]: c for c in counts[:limit]})


# -- one cable, one entity -------------------------------------------------------------------------
def entities_for_cable(store: Any, cable_id: str) -> dict[str, Any]:
    """``{"id", "entities": [{entity_id, name, type, aliases, mentions: [{paragraph, start, end, text}]}]}``."""
    cid = cable_id.strip().upper()
    if not store.has(cid):  # a scoped store answers "not found" for a cable outside the collections
        raise NotFoundError(f"no cable {cid} in the store")
    es = _es(store)
    mentions: dict[str, list[dict[str, Any]]] = {}
    for eid, p, s, e, text in es._all(
        f'SELECT n.entity_id, m.paragraph, m.start, m."end", m.text FROM {_HEAD_MENTIONS}{_NODES}'
        f"WHERE m.cable_id = ? ORDER BY m.paragraph IS NULL, m.paragraph, m.start, {_TIE}",
        [cid],
    ):
        mentions.setdefault(eid, []).append({"paragraph": p, "start": s, "end": e, "text": text})
    info = {d["entity_id"]: d for d in _rows(es, mentions)}
    return {"id": cid, "entities": [
        {"entity_id": eid, "name": info[eid]["name"], "type": info[eid]["type"], "aliases": info[eid]["aliases"],
         "mentions": ms} for eid, ms in mentions.items() if eid in info]}  # fmt: skip


def cable_ids_for_entity(store: Any, name: str) -> list[str]:
    """Ids of every cable mentioning (or signed by) the entity ``name`` designates, sorted."""
    ent = resolve_one(store, name)
    es = _es(store)
    scope, sp = es.db.scope("h.cable_id")
    rows = es._all(
        f"SELECT DISTINCT h.cable_id FROM entity_heads h {_NODES}WHERE n.entity_id = ?{scope} ORDER BY h.cable_id",
        [ent["entity_id"], *sp],
    )
    return [r[0] for r in rows]


def _period(first: str | None, last: str | None) -> str:
    a, b = (first or "")[:7], (last or "")[:7]
    return a if a == b else f"{a}..{b}"


def entity_detail(store: Any, name_or_id: str, limit: int = 200) -> dict[str, Any]:
    """One entity: mentions in date order, roles over time, co-occurring entities, cables signed."""
    ent = resolve_one(store, name_or_id)
    es = _es(store)
    eid = ent["entity_id"]
    ms, msp = es.db.scope("m.cable_id")
    mentions = [
        {"cable_id": c, "created": d, "paragraph": p, "start": s, "end": e, "text": t, "source": src}
        for c, d, p, s, e, t, src in es._all(
            f'SELECT m.cable_id, h.created, m.paragraph, m.start, m."end", m.text, m.source FROM {_HEAD_MENTIONS}'
            f"{_NODES}WHERE n.entity_id = ?{ms} "
            f"ORDER BY h.created, m.cable_id, m.paragraph IS NULL, m.paragraph, m.start, {_TIE} LIMIT ?",
            [eid, *msp, limit],
        )
    ]
    rs, rsp = es.db.scope("r.cable_id")
    roles: dict[str, dict[str, Any]] = {}
    for title, created, cid in es._all(
        "SELECT r.title, h.created, r.cable_id FROM entity_roles r "
        f"JOIN entity_heads h ON h.cable_id = r.cable_id AND h.local_id = r.local_id {_NODES}"
        f"WHERE n.entity_id = ?{rs} ORDER BY h.created",
        [eid, *rsp],
    ):
        r = roles.setdefault(
            al.fold(title), {"title": title, "first": created, "last": created, "cables": []}
        )
        r["last"] = created
        if cid not in r["cables"]:
            r["cables"].append(cid)
    for r in roles.values():
        r["span"] = _period(r["first"], r["last"])
    hs, hsp = es.db.scope("h.cable_id")
    shared = dict(es._all(
        "SELECT n2.entity_id, count(DISTINCT h2.cable_id) FROM entity_heads h "
        "JOIN entity_nodes n ON n.node = h.node AND n.entity_id = ? "
        "JOIN entity_heads h2 ON h2.cable_id = h.cable_id "
        f"JOIN entity_nodes n2 ON n2.node = h2.node AND n2.entity_id != ? WHERE true{hs} GROUP BY n2.entity_id",
        [eid, eid, *hsp],
    ))  # fmt: skip
    co_rows = sorted(
        _rows(es, shared), key=lambda d: (-int(shared[d["entity_id"]]), -d["mentions"], d["entity_id"])
    )
    co = [{"entity_id": d["entity_id"], "name": d["name"], "type": d["type"], "cables": int(shared[d["entity_id"]])}
          for d in co_rows[:15]]  # fmt: skip
    signed = [r[0] for r in es._all(
        f"SELECT DISTINCT m.cable_id FROM {_HEAD_MENTIONS}{_NODES}WHERE n.entity_id = ? AND m.source = 'signer'{ms} "
        "ORDER BY 1", [eid, *msp])]  # fmt: skip
    return {**ent, "mentions_shown": len(mentions), "mention_list": mentions,
            "roles": sorted(roles.values(), key=lambda r: r["first"] or ""), "co_occurring": co,
            "signed": signed, "cable_ids": cable_ids_for_entity(store, eid)}  # fmt: skip


def entity_months(store: Any, entity_id: str) -> list[dict[str, Any]]:
    """Cables naming the entity per month, by classification level (the shape of :func:`timeline`)."""
    from cabledesk.model import LEVELS

    if not has_entities(store):
        return []
    es = EntityStore(store)
    scope, sp = es.db.scope("h.cable_id")
    months: dict[str, dict[str, Any]] = {}
    for m, level, k in es._all(
        "SELECT substr(c.created, 1, 7) AS m, coalesce(c.classification, 'UNKNOWN'), count(DISTINCT c.id) "
        "FROM entity_heads h JOIN entity_nodes n ON n.node = h.node AND n.entity_id = ? "
        f"JOIN cables c ON c.id = h.cable_id WHERE c.created IS NOT NULL{scope} GROUP BY 1, 2 ORDER BY 1",
        [entity_id, *sp],
    ):
        row = months.setdefault(m, {"month": m, "total": 0, "counts": dict.fromkeys(LEVELS, 0)})
        row["counts"][level] = row["counts"].get(level, 0) + int(k)
        row["total"] += int(k)
    return list(months.values())


# -- facets ----------------------------------------------------------------------------------------
def entity_facet_items(
    store: Any, cable_ids: list[str] | set[str], limit: int = 10
) -> dict[str, list[dict[str, Any]]]:
    """Top entities per type among ``cable_ids`` by number of those cables: ``{type: [{entity_id, name, count}]}``.

    Counts use the same rows as ``person:``/``org:``/``place:`` (entity heads), so clicking a facet value
    gives that many cables. At most :data:`FACET_MAX_IDS` ids are counted (the first ones, sorted).
    """
    if not cable_ids or not has_entities(store):
        return {}
    es = EntityStore(store)
    ids = sorted(i for i in cable_ids if es.db.visible(i))[:FACET_MAX_IDS]
    if not ids:
        return {}
    among, params = es.db.in_list("h.cable_id", ids)
    rows = es._all(
        "SELECT type, entity_id, name, k FROM ("
        " SELECT e.type, e.entity_id, e.name, c.k, row_number() OVER"
        "  (PARTITION BY e.type ORDER BY c.k DESC, e.mentions DESC, e.entity_id) AS rn"
        " FROM (SELECT n.entity_id, count(DISTINCT h.cable_id) AS k FROM entity_heads h"
        f"  JOIN entity_nodes n ON n.node = h.node WHERE {among} GROUP BY n.entity_id) c"
        " JOIN entity_entities e ON e.entity_id = c.entity_id) ranked"
        " WHERE rn <= ? ORDER BY type, rn",
        [*params, limit],
    )
    names = (
        {d["entity_id"]: d["name"] for d in _rows(es, [r[1] for r in rows])}
        if es.db.allowed is not None
        else {}
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for etype, eid, name, k in rows:
        out.setdefault(etype, []).append({"entity_id": eid, "name": names.get(eid, name), "count": int(k)})
    return out


def entity_facet(store: Any, cable_ids: list[str] | set[str], limit: int = 10) -> dict[str, dict[str, int]]:
    """Top entities per type among ``cable_ids``: ``{type: {name: cables}}`` (a repeated name gets its id)."""
    out: dict[str, dict[str, int]] = {}
    for etype, items in entity_facet_items(store, cable_ids, limit).items():
        d = out.setdefault(etype, {})
        for it in items:
            d[it["entity_id"] if it["name"] in d else it["name"]] = it["count"]
    return out


def ambiguous_names(store: Any, names: list[str]) -> set[str]:
    """Which of ``names`` several entities (named in the allowed cables) bear: query terms then use ids."""
    if not names or not has_entities(store):
        return set()
    es = EntityStore(store)
    among, params = es.db.in_list("lower(e.name)", {n.lower() for n in names})
    scope, sp = es.db.scope("h.cable_id")
    inside = (f" AND EXISTS (SELECT 1 FROM entity_nodes n JOIN entity_heads h ON h.node = n.node "
              f"WHERE n.entity_id = e.entity_id{scope})") if scope else ""  # fmt: skip
    rows = es._all(
        f"SELECT lower(e.name) FROM entity_entities e WHERE {among}{inside} GROUP BY lower(e.name) HAVING count(*) > 1",
        [*params, *sp],
    )
    dup = {r[0] for r in rows}
    return {n for n in names if n.lower() in dup}
