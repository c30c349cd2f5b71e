"""FollowTheMoney-shaped export: plain dicts in FtM's JSON form, no dependency needed.

Each cable that mentions an entity becomes a ``Document`` (``sourceUrl`` = its page path in the
mirror layout, ``cable/YYYY/MM/ID.html``); each entity becomes a ``Person``, ``Organization`` or
``Address`` with ``name``, ``alias`` and ``proof`` (the ids of those Documents), one JSON per line.
"""

from __future__ import annotations

import json
from typing import IO, Any

from cabledesk.enrich.entity_store import EntityStore

SCHEMA_OF = {"person": "Person", "org": "Organization", "place": "Address"}


def cable_url(cable_id: str, created: str | None) -> str:
    """Path of the cable page in the Cablegate mirror layout (relative: the host is the user's)."""
    if created and len(created) >= 7:
        return f"cable/{created[:4]}/{created[5:7]}/{cable_id}.html"
    return f"cable/{cable_id}.html"


def write_ftm(es: EntityStore, out: IO[str]) -> int:
    """Write Documents then entities as FtM JSON lines; returns the number of lines."""
    n = 0
    docs: dict[str, str] = {}
    for cid, created, subject in es._all(
        "SELECT c.id, c.created, c.subject FROM cables c JOIN entity_cables e ON e.cable_id = c.id ORDER BY c.id"
    ):
        did = f"cable-{cid}"
        docs[cid] = did
        props: dict[str, list[str]] = {"title": [subject or cid], "sourceUrl": [cable_url(cid, created)]}
        if created:
            props["date"] = [created[:10]]
        _line(out, {"id": did, "schema": "Document", "properties": props})
        n += 1
    cables_of: dict[str, list[str]] = {}
    for eid, cid in es._all(
        "SELECT DISTINCT n.entity_id, h.cable_id FROM entity_heads h JOIN entity_nodes n ON n.node = h.node ORDER BY 1, 2"
    ):
        cables_of.setdefault(eid, []).append(cid)
    for eid, etype, name, aliases in es._all(
        "SELECT entity_id, type, name, aliases FROM entity_entities ORDER BY entity_id"
    ):
        als = [a for a in json.loads(aliases) if a != name]
        props = {"name": [name], "proof": [docs[c] for c in cables_of.get(eid, []) if c in docs]}
        if als:
            props["alias"] = als
        if etype == "place":
            props["full"] = [name]
        _line(out, {"id": eid, "schema": SCHEMA_OF[etype], "properties": props})
        n += 1
    return n


def _line(out: IO[str], obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
