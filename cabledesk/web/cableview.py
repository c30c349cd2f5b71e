"""What the cable page shows, prepared from a Cable: citations, anchors, references, TAGS meanings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cabledesk.desk import Desk
from cabledesk.errors import QueryError
from cabledesk.model import Cable
from cabledesk.query import parse, positive_leaves
from cabledesk.search import highlight
from cabledesk.web.querytext import segments

TAGS_FILE = Path(__file__).with_name("tags.json")
CITED_BY_LIMIT = 200


@lru_cache(maxsize=1)
def tag_meanings() -> dict[str, str]:
    """TAGS code -> meaning, from the shipped table (subjects and FIPS 10-4 country codes)."""
    data = json.loads(TAGS_FILE.read_text(encoding="utf-8"))
    return {**data["country"], **data["subject"]}


def tag_meaning(code: str) -> str | None:
    """Meaning of one TAGS code, None when the table does not know it."""
    return tag_meanings().get(code.strip().upper())


def citation(cable: Cable, n: int | None) -> str:
    """How a reporter cites a paragraph: ``10MEXICO83 ¶6, Embassy Mexico, 2010-01-29, SECRET``."""
    parts = [f"{cable.id} ¶{n}" if n is not None else cable.id]
    if cable.origin:
        parts.append(cable.origin)
    if cable.created:
        parts.append(cable.created.date().isoformat())
    if cable.classification:
        parts.append(cable.classification)
    return ", ".join(parts)


@dataclass(slots=True)
class ParagraphView:
    """One paragraph as displayed: unique anchor, number, marking, highlighted runs, citation."""

    anchor: str
    n: int | None
    marking: str | None
    runs: list[tuple[str, bool | str]]
    cite: str


def paragraph_views(
    cable: Cable, query: str = "", protected: dict[int, list[tuple[int, int]]] | None = None
) -> list[ParagraphView]:
    """Paragraphs with stable unique anchors (``p6``; repeats get ``p6-2``; unnumbered ``u3``).

    ``protected`` maps a paragraph's position to spans of protected names, marked for editors;
    those runs carry the label "protected" instead of True.
    """
    leaves = _leaves(query)
    seen: set[str] = set()
    out = []
    for pos, p in enumerate(cable.paragraphs):
        base = f"p{p.n}" if p.n is not None else f"u{pos}"
        anchor, k = base, 1
        while anchor in seen:
            k += 1
            anchor = f"{base}-{k}"
        seen.add(anchor)
        spans = highlight(p.text, leaves) if leaves else []
        runs: list[tuple[str, bool | str]] = list(segments(p.text, spans))
        if protected and protected.get(pos):
            runs = _mark_protected(p.text, spans, protected[pos])
        out.append(ParagraphView(anchor, p.n, p.marking, runs, citation(cable, p.n)))
    return out


def _mark_protected(
    text: str, query_spans: list[list[int]], names: list[tuple[int, int]]
) -> list[tuple[str, bool | str]]:
    """Runs where protected names win over query highlights (an editor must see them first)."""
    label: list[bool | str] = [False] * len(text)
    for start, end in query_spans:
        for i in range(max(0, start), min(end, len(text))):
            label[i] = True
    for start, end in names:
        for i in range(max(0, start), min(end, len(text))):
            label[i] = "protected"
    runs: list[tuple[str, bool | str]] = []
    for i, ch in enumerate(text):
        if runs and runs[-1][1] == label[i]:
            runs[-1] = (runs[-1][0] + ch, label[i])
        else:
            runs.append((ch, label[i]))
    return runs


def _leaves(query: str) -> list[Any]:
    """The query's positive body words (for highlighting on the cable page); none when malformed."""
    if not query.strip():
        return []
    try:
        return [lf for lf in positive_leaves(parse(query)) if getattr(lf, "field", None) == "text"]
    except QueryError:
        return []


def references(desk: Desk, cable: Cable) -> list[dict[str, Any]]:
    """REF items with ``present`` telling whether the cited cable is in this corpus."""
    present = {r.id for r in cable.references if r.id and desk.store.has(r.id)}
    return [
        {"label": r.label, "raw": r.raw, "id": r.id, "kind": r.kind, "year_source": r.year_source,
         "present": bool(r.id and r.id in present)}
        for r in cable.references
    ]


# TODO(lead): move into Desk (e.g. Desk.cited_by(id)); it only uses the public query language today.
def cited_by(desk: Desk, cable_id: str, limit: int = CITED_BY_LIMIT) -> tuple[int, list[dict[str, Any]]]:
    """Cables of this corpus whose REF lines cite ``cable_id``, oldest first, and their total."""
    for q in (f"cites:{cable_id}", f'cites:"{cable_id}"'):
        try:
            res = desk.search(q, limit=limit, sort="date", facets=False)
        except QueryError:
            continue
        return int(res.total), [h for h in res.hits if h["id"] != cable_id]
    return 0, []
