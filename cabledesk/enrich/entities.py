"""People, organisations and places across the cables: enrich, look up, correct, export.

Library entry points (the CLI and the web only format these):
:func:`enrich` (incremental extraction + resolution), :func:`entities_for_cable`,
:func:`find_entities`, :func:`entity_detail`, :func:`cable_ids_for_entity`, :func:`merge`,
:func:`split`, :func:`undo`, :func:`export`.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Literal

from cabledesk.enrich import aliases as al
from cabledesk.enrich import work as wk
from cabledesk.enrich.entity_read import _stored_rows, resolve_one
from cabledesk.enrich.entity_store import EntityStore
from cabledesk.enrich.ner import PIPELINE_VERSION, Extractor, TrueCase
from cabledesk.errors import CabledeskError, NotFoundError
from cabledesk.store.sqlite import SQLiteStore

__all__ = [
    "EnrichSummary",
    "default_processes",
    "default_truecase",
    "enrich",
    "export",
    "merge",
    "split",
    "undo",
]

Progress = Callable[[int, int], None]


def default_processes() -> int:
    """Worker processes for ``cabledesk enrich``: one per core, at most 4 (each holds a spaCy model)."""
    return max(1, min(os.cpu_count() or 1, 4))


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
    stats: wk.WorkStats | None = None,
) -> EnrichSummary:
    """Extract entities from new or changed cables, then re-resolve aliases; safe to interrupt.

    ``n_process`` > 1 extracts on that many worker processes (the parent reads and writes);
    ``stats``, when given, receives the CPU seconds and words read by the extraction.
    """
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
        tc = truecase or default_truecase()
        buf: list[wk.Result] = []

        def cables() -> Any:
            for i in range(0, len(todo), 200):
                got = store.get_many(todo[i : i + 200])
                yield from (got[c] for c in todo[i : i + 200] if c in got)

        results = (
            wk.analyse_parallel(cables(), tc, n_process, stats)
            if n_process > 1
            else _inline(Extractor(truecase=tc), cables(), stats)
        )
        for result in results:
            buf.append(result)
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


def _inline(extractor: Extractor, cables: Any, stats: wk.WorkStats | None) -> Any:
    """:func:`work.analyse` in this process, adding its CPU time and words read to ``stats``."""
    t = time.process_time()
    m0, a0 = extractor.words_read()
    yield from wk.analyse(extractor, cables)
    if stats is not None:
        m1, a1 = extractor.words_read()
        stats.add(time.process_time() - t, m1 - m0, a1 - a0)


def _es(store: SQLiteStore) -> EntityStore:
    es = EntityStore(store)
    if not es.ready or not es._all("SELECT 1 FROM entity_cables LIMIT 1"):
        raise CabledeskError("no entities in this database yet: run `cabledesk enrich` first")
    return es


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
        dicts = _stored_rows(es, "TRUE ORDER BY mentions DESC, entity_id", [])
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
