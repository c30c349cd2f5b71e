"""Conversations: a tasking, the replies that cite it, and the follow-ups that cite those.

Rule (see ``docs/references.md``): the thread of a cable is its connected component in the
citation graph restricted to cables of this corpus, with citations taken in both directions
(A cites B or B cites A joins them), ordered by created date (then id; undated cables last).

Two caps keep a thread a conversation rather than the whole archive:

- a **hub** — a cable with more than :data:`HUB_DEGREE` in-corpus neighbours, typically a STATE
  circular cited by dozens of posts — joins the thread but is not walked through, unless the thread
  starts from it (so two posts answering the same circular are not one conversation);
- the walk stops at :data:`MAX_THREAD` cables, nearest first (breadth-first), and says so.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from cabledesk.enrich import references
from cabledesk.enrich.references import read
from cabledesk.errors import NotFoundError

__all__ = [
    "HUB_DEGREE",
    "MAX_THREAD",
    "Thread",
    "neighbours",
    "refs_report",
    "thread",
    "thread_info",
    "thread_view",
]

#: A cable with more in-corpus citation neighbours than this is not walked through.
HUB_DEGREE = 25
#: Most cables in one thread.
MAX_THREAD = 200


@dataclass(slots=True)
class Thread:
    """One conversation: its cables in date order, and whether a cap cut it short."""

    start: str
    ids: list[str] = field(default_factory=list)
    truncated: bool = False  # MAX_THREAD reached
    hubs: list[str] = field(default_factory=list)  # members not walked through (HUB_DEGREE)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "ids": list(self.ids),
            "truncated": self.truncated,
            "hubs": list(self.hubs),
        }


def neighbours(store: Any, cable_id: str) -> set[str]:
    """In-corpus cables that ``cable_id`` cites or that cite it (itself excluded)."""
    rows = read(
        store,
        "SELECT r.target_id FROM refs r JOIN cables c ON c.id = r.target_id WHERE r.cable_id = ? "
        "UNION SELECT cable_id FROM refs WHERE target_id = ?",
        (cable_id, cable_id),
    )
    return {r[0] for r in rows if r[0] != cable_id}


def thread_info(
    store: Any, cable_id: str, *, max_size: int = MAX_THREAD, hub_degree: int = HUB_DEGREE
) -> Thread:
    """The conversation around ``cable_id`` with its caps; NotFoundError if the cable is not here."""
    start = cable_id.strip().upper()
    if not store.has(start):
        raise NotFoundError(f"no cable {start} in the store")
    seen = {start}
    order = [start]
    hubs: list[str] = []
    queue: deque[str] = deque([start])
    truncated = False
    while queue and not truncated:
        cur = queue.popleft()
        near = neighbours(store, cur)
        if cur != start and len(near) > hub_degree:
            hubs.append(cur)
            continue
        for n in sorted(near):
            if n in seen:
                continue
            if len(seen) >= max_size:
                truncated = True
                break
            seen.add(n)
            order.append(n)
            queue.append(n)
    return Thread(start, _by_date(store, order), truncated, sorted(hubs))


def thread(store: Any, cable_id: str) -> list[str]:
    """Ids of the conversation around ``cable_id`` in date order (the cable itself included)."""
    return thread_info(store, cable_id).ids


def _by_date(store: Any, ids: list[str]) -> list[str]:
    """``ids`` ordered by created date, then id; undated last."""
    created: dict[str, str | None] = {}
    for k in range(0, len(ids), 500):
        chunk = ids[k : k + 500]
        marks = ",".join("?" * len(chunk))
        created.update(read(store, f"SELECT id, created FROM cables WHERE id IN ({marks})", chunk))
    return sorted(ids, key=lambda i: (created.get(i) is None, created.get(i) or "", i))


def thread_view(store: Any, cable_id: str) -> dict[str, Any]:
    """What the cable page shows as "Conversation": the other cables of the thread, dated, in order.

    ``{"id", "cables": [{"id", "created", "subject", "origin", "current"}], "truncated", "size"}``;
    ``cables`` is empty when the cable stands alone.
    """
    info = thread_info(store, cable_id)
    if len(info.ids) < 2:
        return {"id": info.start, "cables": [], "truncated": False, "size": 1}
    rows: dict[str, tuple[Any, ...]] = {}
    for k in range(0, len(info.ids), 500):
        chunk = info.ids[k : k + 500]
        marks = ",".join("?" * len(chunk))
        for cid, created, subject, origin in read(
            store, f"SELECT id, created, subject, origin FROM cables WHERE id IN ({marks})", chunk
        ):
            rows[cid] = (created, subject, origin)
    cables = [
        {
            "id": cid,
            "created": rows.get(cid, (None,))[0],
            "subject": rows.get(cid, (None, None))[1],
            "origin": rows.get(cid, (None, None, None))[2],
            "current": cid == info.start,
        }
        for cid in info.ids
    ]
    return {"id": info.start, "cables": cables, "truncated": info.truncated, "size": len(info.ids)}


def refs_report(store: Any, cable_id: str) -> dict[str, Any]:
    """The ``refs --json`` contract: id, cites [{id, raw, in_corpus, year_source}], cited_by [{id, created}], thread."""
    cid = cable_id.strip().upper()
    present = store.has(cid)
    cited = references.cited_by(store, cid)
    if not present and not cited:
        raise NotFoundError(f"no cable {cid} in the store, and no cable here cites it")
    cites = references.cites(store, cid) if present else []
    return {
        "id": cid,
        "cites": [
            {"id": c["id"], "raw": c["raw"], "in_corpus": c["in_corpus"], "year_source": c["year_source"]}
            for c in cites
        ],
        "cited_by": [{"id": c["id"], "created": c["created"]} for c in cited],
        "thread": thread(store, cid) if present else [],
    }
