"""Who cites whom: REF items resolved against the corpus, so a reporter can follow a conversation.

Everything here reads the ``refs`` table (one row per REF item, written by the store from
:func:`cabledesk.refline.parse_ref_items`) through the store's own connection, read-only. The
functions take a :class:`~cabledesk.store.SQLiteStore`; the SQL they need is small and listed in
``docs/references.md`` so that it can move into the Store protocol.

- **in corpus**: the cited id is a cable of this database;
- **out of corpus**: a well-formed id that is not here; :func:`in_manifest` tells whether it is in the
  August 2011 full release (251,287 ids shipped in ``cabledesk/data/manifest-ids.txt.xz``), i.e.
  whether a reporter can still obtain it, or it was never released at all;
- non-cable items (e-mails, telcons, DTGs, FAM, memos, other) keep their kind and have no id.
"""

from __future__ import annotations

import lzma
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from cabledesk.errors import NotFoundError, StoreError

__all__ = [
    "CITED_BY_LIMIT",
    "cable_like",
    "cited_by",
    "citedby_ids",
    "cites",
    "in_manifest",
    "manifest_ids",
    "reference_stats",
    "unparsed_refs",
    "unreleased",
    "well_formed",
]

#: Most citing cables returned by :func:`cited_by` (a STATE circular may be cited by hundreds).
CITED_BY_LIMIT = 1000

_ID = re.compile(r"^\d{2}[A-Z]+[1-9]\d*$")
# What a reader would take for a cable citation ("WORDS SERIAL"), as in bench/refs_resolution.py:
# used to count unresolved items that *look* like cables (the denominator of the resolution rate).
_CABLE_LIKE = re.compile(r"(?<![\w/-])[A-Za-z]{3,}(?:[ \t]+[A-Za-z]+)*[ \t]*\d{1,6}\b(?![/-]\d|\.\d)")
_NOT_CABLE = re.compile(
    r"\b(?:IIR|FAM|TDX?|OSC|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\b", re.I
)
_CHUNK = 500


def read(store: Any, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows of one read-only query (``?`` placeholders) through the store's own connection and lock.

    Both backends have it: SQLiteStore, and PostgresStore (which rewrites ``?`` to ``%s``).
    """
    reader = getattr(store, "_all", None)
    if reader is None:
        raise StoreError(f"{type(store).__name__} has no SQL reader; reference queries need the SQL store")
    rows: list[Any] = reader(sql, params)
    return rows


def well_formed(ref_id: str | None) -> bool:
    """True for a canonical cable id: two-digit year, post letters, serial without zero padding."""
    return bool(ref_id and _ID.match(ref_id))


def cable_like(raw: str, kind: str) -> bool:
    """True when an item is a cable or reads like one (``POST SERIAL``), whether it resolved or not."""
    return kind == "cable" or bool(_CABLE_LIKE.search(raw) and not _NOT_CABLE.search(raw))


@cache
def manifest_ids() -> frozenset[str]:
    """The 251,287 reference ids of the August 2011 full release (public reference data, ~270 KB xz)."""
    blob = resources.files("cabledesk").joinpath("data/manifest-ids.txt.xz").read_bytes()
    return frozenset(lzma.decompress(blob).decode("ascii").split())


def in_manifest(ref_id: str) -> bool:
    """Whether ``ref_id`` was published in the 2011 full release."""
    return ref_id in manifest_ids()


def _present(store: Any, ids: Iterable[str]) -> set[str]:
    """The subset of ``ids`` that are cables of this database."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    found: set[str] = set()
    for k in range(0, len(wanted), _CHUNK):
        chunk = wanted[k : k + _CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in read(store, f"SELECT id FROM cables WHERE id IN ({marks})", chunk))
    return found


def _norm(cable_id: str) -> str:
    return cable_id.strip().upper()


def cites(store: Any, cable_id: str) -> list[dict[str, Any]]:
    """The REF items of one cable in order: id, raw, in_corpus, year_source, kind, label.

    Raises NotFoundError when the cable is not in the store.
    """
    cid = _norm(cable_id)
    rows = read(
        store,
        "SELECT r.raw, r.target_id, r.year_source, r.kind, r.label, c.id IS NOT NULL "
        "FROM refs r LEFT JOIN cables c ON c.id = r.target_id WHERE r.cable_id = ? ORDER BY r.pos",
        (cid,),
    )
    if not rows and not store.has(cid):
        raise NotFoundError(f"no cable {cid} in the store")
    return [
        {"id": tid, "raw": raw, "in_corpus": bool(present), "year_source": ys, "kind": kind, "label": label}
        for raw, tid, ys, kind, label, present in rows
    ]


def cited_by(store: Any, cable_id: str, limit: int = CITED_BY_LIMIT) -> list[dict[str, Any]]:
    """Cables of this corpus whose REF lines cite ``cable_id``, oldest first (id, created, subject).

    Works for ids that are not in the corpus too: that is how unreleased cables are traced.
    """
    cid = _norm(cable_id)
    rows = read(
        store,
        "SELECT c.id, c.created, c.subject FROM cables c "
        "WHERE c.id IN (SELECT cable_id FROM refs WHERE target_id = ?) AND c.id != ? "
        "ORDER BY c.created IS NULL, c.created, c.id LIMIT ?",
        (cid, cid, limit),
    )
    return [{"id": i, "created": created, "subject": subject} for i, created, subject in rows]


def citedby_ids(store_or_index: Any, cable_id: str) -> list[str]:
    """Ids of this corpus that ``cable_id`` cites (the query term ``citedby:ID``), sorted.

    Takes a store (SQLiteStore or PostgresStore), a Desk, or a CableIndex whose cable documents
    store the ``cites`` field (today's index does not: then StoreError says to pass the store).
    """
    cid = _norm(cable_id)
    target = getattr(store_or_index, "store", store_or_index)  # a Desk carries its store
    if hasattr(target, "_all"):
        rows = read(
            target,
            "SELECT DISTINCT r.target_id FROM refs r JOIN cables c ON c.id = r.target_id "
            "WHERE r.cable_id = ? ORDER BY 1",
            (cid,),
        )
        return [r[0] for r in rows]
    return _citedby_from_index(store_or_index, cid)


def _citedby_from_index(index: Any, cid: str) -> list[str]:
    """``citedby:`` answered by the index alone: needs ``cites`` stored in the cable document."""
    import tantivy

    searcher = index.searcher()
    q = tantivy.Query.term_query(index.schema, "id", cid)
    hits = searcher.search(q, 1).hits
    if not hits:
        return []
    doc = searcher.doc(hits[0][1]).to_dict()
    if "cites" not in doc:
        raise StoreError(
            "this index does not store the cites field; pass the SQLiteStore (or the Desk) instead"
        )
    targets = sorted(set(doc["cites"]))
    if not targets:
        return []
    present: list[str] = []
    for t in targets:
        if searcher.search(tantivy.Query.term_query(index.schema, "id", t), 1).count:
            present.append(t)
    return present


def unreleased(store: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """Cited cable ids absent from this corpus, most-cited first: the reporter's lead list.

    Each: id, cited_by (number of citing cables here), citing (their ids, oldest first), in_manifest,
    year_stated (some citing REF line writes the year; otherwise the year was inferred, and an id
    missing from the manifest may be a wrong year rather than a never-released cable).
    """
    rows = read(
        store,
        "SELECT r.target_id, r.cable_id, r.year_source FROM refs r JOIN cables c ON c.id = r.cable_id "
        "WHERE r.target_id IS NOT NULL AND r.target_id NOT IN (SELECT id FROM cables) "
        "ORDER BY c.created IS NULL, c.created, r.cable_id",
    )
    citing: dict[str, list[str]] = {}
    stated: set[str] = set()
    for tid, cid, ys in rows:
        if not well_formed(tid):
            continue
        lst = citing.setdefault(tid, [])
        if cid not in lst:
            lst.append(cid)
        if ys == "stated":
            stated.add(tid)
    manifest = manifest_ids()
    out: list[dict[str, Any]] = [
        {
            "id": tid,
            "cited_by": len(cs),
            "citing": cs,
            "in_manifest": tid in manifest,
            "year_stated": tid in stated,
        }
        for tid, cs in citing.items()
    ]
    out.sort(key=lambda d: (-d["cited_by"], d["id"]))
    return out[:limit] if limit is not None else out


def unparsed_refs(store: Any, cable_like_only: bool = False) -> list[dict[str, Any]]:
    """Every REF item that did not resolve to a well-formed cable id, for review.

    Each: cable_id, pos, label, raw, kind, cable_like (it reads like ``POST SERIAL``), id (if any).
    """
    rows = read(
        store,
        "SELECT cable_id, pos, label, raw, kind, target_id FROM refs ORDER BY cable_id, pos",
    )
    out = []
    for cid, pos, label, raw, kind, tid in rows:
        if well_formed(tid):
            continue
        like = cable_like(raw, kind)
        if cable_like_only and not like:
            continue
        out.append(
            {
                "cable_id": cid,
                "pos": pos,
                "label": label,
                "raw": raw,
                "kind": kind,
                "cable_like": like,
                "id": tid,
            }
        )
    return out


def reference_stats(store: Any) -> dict[str, Any]:
    """Resolution and in-corpus rates of the corpus's REF items (for ``cabledesk stats``).

    ``resolution_rate`` = cable-like items with a well-formed id / cable-like items;
    ``in_corpus_rate`` = resolved items whose target is in this database / resolved items;
    ``in_manifest_rate`` = resolved items whose target is in the 2011 full release / resolved items.
    """
    rows = read(
        store,
        "SELECT r.cable_id, r.raw, r.kind, r.target_id, r.year_source, c.id IS NOT NULL "
        "FROM refs r LEFT JOIN cables c ON c.id = r.target_id",
    )
    manifest = manifest_ids()
    kinds: dict[str, int] = {}
    citing: set[str] = set()
    like = resolved = present = in_man = 0
    stated = inferred = 0
    targets: set[str] = set()
    absent: set[str] = set()
    for cid, raw, kind, tid, ys, here in rows:
        citing.add(cid)
        kinds[kind] = kinds.get(kind, 0) + 1
        if not cable_like(raw, kind):
            continue
        like += 1
        if not well_formed(tid):
            continue
        resolved += 1
        stated += ys == "stated"
        inferred += ys == "inferred"
        targets.add(tid)
        present += bool(here)
        in_man += tid in manifest
        if not here:
            absent.add(tid)
    return {
        "cables_with_refs": len(citing),
        "items": len(rows),
        "kinds": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "cable_like": like,
        "resolved": resolved,
        "resolution_rate": _rate(resolved, like),
        "year_stated": stated,
        "year_inferred": inferred,
        "in_corpus": present,
        "in_corpus_rate": _rate(present, resolved),
        "in_manifest": in_man,
        "in_manifest_rate": _rate(in_man, resolved),
        "distinct_targets": len(targets),
        "distinct_absent": len(absent),
        "absent_in_manifest": sum(1 for t in absent if t in manifest),
    }


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None
