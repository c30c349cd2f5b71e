"""The full-text index: tantivy folders beside the database, derived from the store and rebuildable.

Two tantivy indexes share one field layout so the query compiler needs a single field map:

* ``cables/``      one document per cable: folded subject+body, every filter field, the stored
                   fields a hit needs (id, subject, created, origin, level, label, signer);
* ``paragraphs/``  one document per paragraph: its folded text, number and marking, plus the few
                   cable fields paragraph searches count or sort on without a join
                   (:data:`PARAGRAPH_COPIES`: id, ``cid``, the facet fields, the date).

A paragraph search that filters on another cable field (``origin:``, ``subject:``, ``to:`` ...)
joins through ``cid``: :mod:`cabledesk.search_paragraphs` finds the matching cables in ``cables/``.
Copying every cable field into each of a cable's ~7.5 paragraph documents cost a third of the
paragraph index's indexing time at Cablegate scale (BENCHMARKS.md, issue 8).

Separate indexes (rather than one index with a doc-type field) keep cable queries from walking
paragraph postings: a cable search never intersects with a "kind" filter over ~10x more documents.
Both carry ``cid``, a 64-bit hash of the cable id, to join a hit to its paragraphs on fast fields.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import tantivy

from cabledesk import textnorm
from cabledesk.errors import StoreError, StoreWriteError
from cabledesk.model import Cable
from cabledesk.store.codec import dumps_utf8

#: Bump when the field layout or the analyzer changes: an index of another version is rebuilt empty.
#: (Whether ``cables/`` stores ``text`` is not part of it: see :meth:`CableIndex._open`.)
SCHEMA_VERSION = 1
#: Writer memory budget (bytes) and threads for each of the two indexes. Measured on the 251,287-cable
#: corpus (BENCHMARKS.md, issue 8): one thread each is as fast as two (223 s against 227-229 s) with
#: these smaller budgets, and the ingest's peak RSS falls from 1,147-1,163 MB to 925 MB. The budget
#: sets the size of new segments, and so the size of the largest merges, whose mmapped input pages
#: count in RSS: 48/96 MB on one thread took 220 s but peaked at 1,335 MB at a merge's end, and on
#: two threads 239 s (twice the merging) for 942 MB.
WRITER_HEAP = {"cables": 32_000_000, "paragraphs": 64_000_000}
WRITER_THREADS = 1

#: The cable fields each paragraph document repeats: the keys (``id`` for deletes, ``cid`` for
#: joins), the facet fields (paragraph facets count paragraphs) and the date (``date:`` filters and
#: date sort need no join). Older indexes hold every cable field; searches give the same answers.
PARAGRAPH_COPIES = ("id", "cid", "origin_f", "tag", "class", "caveat", "signer_f", "ts", "year")

#: Facet name -> fast field it is counted on.
FACET_FIELDS: dict[str, str] = {
    "origin": "origin_f",
    "classification": "class",
    "caveat": "caveat",
    "tag": "tag",
    "year": "year",
    "signer": "signer_f",
}


#: glibc ``mallopt`` parameters (malloc.h) and the values the index writer process runs with.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MALLOC_TUNING = ((_M_ARENA_MAX, 2), (_M_MMAP_THRESHOLD, 4 << 20), (_M_TRIM_THRESHOLD, 32 << 20))
_libc: Any = None


def _glibc() -> Any:
    """The C library when it is glibc (mallopt/malloc_trim exist), else None."""
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc = lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc or None


def bound_native_memory() -> None:
    """Keep tantivy's native memory from growing with the corpus (measured: 2 GB at 251k cables).

    tantivy's indexing and merge threads free large buffers into glibc's per-thread arenas, which
    keep them: one ~64 MB arena per thread that ever allocated, and big merge buffers stay in
    them because glibc raises its mmap threshold after each large free. Fixing the threshold
    (large buffers are mmapped and really returned on free), capping the arenas and trimming after
    each commit keeps the writer's resident memory flat. No effect off glibc.
    """
    libc = _glibc()
    if libc is not None:
        for param, value in _MALLOC_TUNING:
            libc.mallopt(param, value)


def release_native_memory() -> None:
    """Return freed native memory to the OS (after an index commit; a no-op off glibc)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def cable_hash(cable_id: str) -> int:
    """Stable unsigned 64-bit key of a cable id (joins paragraphs to cables on fast fields)."""
    return int.from_bytes(hashlib.blake2b(cable_id.encode(), digest_size=8).digest(), "big")


def build_schema(store_text: bool = True, paragraphs: bool = False) -> tantivy.Schema:
    """The one field layout of both indexes (fields a document kind lacks stay empty).

    ``cables/`` is opened with ``store_text=False``: its body text is searched, never shown (hits
    show the paragraph's stored text). ``paragraphs/`` (``paragraphs=True``) neither stores nor
    keeps a fast column of the cable fields it copies beyond what paragraph searches read (hits
    take subject, date and origin from ``cables/``). Only stored and fast flags differ, so field
    ids are the same and a query built against :attr:`CableIndex.schema` runs on either index.
    """
    cable = not paragraphs
    sb = tantivy.SchemaBuilder()
    fold = textnorm.FOLD
    sb.add_text_field("id", stored=True, fast=cable, tokenizer_name="raw")
    sb.add_unsigned_field("cid", indexed=True, fast=True)
    sb.add_text_field("text", stored=store_text, tokenizer_name=fold)
    sb.add_text_field("subject", stored=True, tokenizer_name=fold)
    sb.add_text_field("origin", tokenizer_name=fold)
    sb.add_text_field("origin_f", stored=cable, fast=True, tokenizer_name="raw")
    sb.add_text_field("to", tokenizer_name=fold)
    sb.add_text_field("info", tokenizer_name=fold)
    sb.add_text_field("tag", fast=True, tokenizer_name="raw")
    sb.add_text_field("class", stored=cable, fast=True, tokenizer_name="raw")
    sb.add_text_field("label", stored=True, tokenizer_name="raw")
    sb.add_text_field("caveat", fast=True, tokenizer_name="raw")
    sb.add_text_field("signer", tokenizer_name=fold)
    sb.add_text_field("signer_f", stored=cable, fast=True, tokenizer_name="raw")
    sb.add_text_field("classifiedby", tokenizer_name=fold)
    sb.add_text_field("cites", tokenizer_name="raw")
    sb.add_text_field("marking", tokenizer_name="raw")
    sb.add_text_field("created", stored=True, tokenizer_name="raw")
    sb.add_integer_field("ts", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("n", stored=True)
    sb.add_text_field("pmark", stored=True, tokenizer_name="raw")
    sb.add_integer_field("pos", indexed=True, fast=cable, stored=True)
    return sb.build()


def _epoch(dt: datetime) -> int:
    """Seconds since 1970 of a naive (UTC) or aware datetime; the ``ts`` fast field."""
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())


def _common_fields(c: Cable) -> dict[str, list[Any]]:
    """Filter and display fields shared by a cable document and each of its paragraphs."""
    f: dict[str, list[Any]] = {"id": [c.id], "cid": [cable_hash(c.id)]}
    if c.subject:
        f["subject"] = [c.subject]
    if c.origin:
        f["origin"] = f["origin_f"] = [c.origin]
    if c.to:
        f["to"] = list(c.to)
    if c.info:
        f["info"] = list(c.info)
    tags = list(dict.fromkeys(textnorm.keyword(t) for t in c.tags if t.strip()))
    if tags:
        f["tag"] = tags
    if c.classification:
        f["class"] = [textnorm.keyword(c.classification)]
    if c.classification_label:
        f["label"] = [c.classification_label]
    caveats = list(dict.fromkeys(textnorm.keyword(v) for v in c.caveats if v.strip()))
    if caveats:
        f["caveat"] = caveats
    if c.signer:
        f["signer"] = f["signer_f"] = [c.signer]
    if c.classified_by:
        f["classifiedby"] = [c.classified_by.text]
    cites = list(dict.fromkeys(textnorm.keyword(r.id) for r in c.references if r.id))
    if cites:
        f["cites"] = cites
    if c.created:
        f["created"] = [c.created.isoformat()]
        f["ts"] = [_epoch(c.created)]
        f["year"] = [c.created.year]
    return f


def _documents(c: Cable) -> tuple[dict[str, list[Any]], list[dict[str, list[Any]]]]:
    """The cable document and its paragraph documents as {field: [values]} (one pass over the cable)."""
    common = _common_fields(c)
    cable, paras = _own_fields(c)
    copies = _paragraph_copies(common)
    return {**common, **cable}, [{**copies, **p} for p in paras]


def _paragraph_copies(common: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The cable fields every paragraph document repeats (:data:`PARAGRAPH_COPIES`)."""
    return {k: common[k] for k in PARAGRAPH_COPIES if k in common}


def _own_fields(c: Cable) -> tuple[dict[str, list[Any]], list[dict[str, list[Any]]]]:
    """The fields that differ between the cable document and each paragraph document."""
    marks: dict[str | None, tuple[str, list[str]]] = {}  # marking -> (normalised, index terms)
    for p in c.paragraphs:
        if p.marking not in marks:
            marks[p.marking] = (textnorm.normalize_marking(p.marking), textnorm.marking_terms(p.marking))
    body = textnorm.strip_section_breaks(c.body) if c.body else "\n\n".join(p.text for p in c.paragraphs)
    cable: dict[str, list[Any]] = {"text": [(c.subject or "") + "\n" + body]}
    cable_marks = list(dict.fromkeys(t for p in c.paragraphs for t in marks[p.marking][1]))
    if cable_marks:
        cable["marking"] = cable_marks
    paras: list[tuple[int | None, str | None, str]] = [
        (p.n, p.marking, p.text) for p in c.paragraphs if p.text.strip()
    ]
    if not paras:
        paras = [(None, None, textnorm.strip_section_breaks(c.body).strip() or (c.subject or ""))]
    docs = []
    for pos, (n, marking, text) in enumerate(paras):
        norm, terms = marks.get(marking) or (
            textnorm.normalize_marking(marking),
            textnorm.marking_terms(marking),
        )
        doc: dict[str, list[Any]] = {"text": [text], "pos": [pos]}
        if n is not None:
            doc["n"] = [n]
        if norm:
            doc["pmark"] = [norm]
        if terms:
            doc["marking"] = terms
        docs.append(doc)
    return cable, docs


def _document(fields: dict[str, list[Any]]) -> tantivy.Document:
    """A tantivy Document of {field: [values]} (tests and tools; ingest adds JSON)."""
    doc = tantivy.Document()
    for name, values in fields.items():
        for v in values:
            if name == "cid":
                doc.add_unsigned(name, v)
            elif isinstance(v, int):
                doc.add_integer(name, v)
            else:
                doc.add_text(name, v)
    return doc


def cable_document(c: Cable) -> tantivy.Document:
    """The cable-level document: subject + body (section breaks removed) and every marking."""
    return _document(_documents(c)[0])


def paragraph_documents(c: Cable) -> list[tantivy.Document]:
    """One document per paragraph; a cable without paragraphs gets its body as paragraph 0."""
    return [_document(d) for d in _documents(c)[1]]


#: A cable's prebuilt documents: (id, cable document JSON, paragraph documents JSON). Plain strings:
#: parser processes build them and pickle them for ~nothing (a pickled tantivy.Document costs more
#: than parsing the cable), and the single index writer only hands them to ``add_json``.
PreparedDocs = tuple[str, str, list[str]]


def cable_documents(c: Cable) -> PreparedDocs:
    """Both indexes' documents of one cable, built once (in a worker process when ingesting)."""
    cable, paras = _own_fields(c)
    common = _common_fields(c)
    # Text the index cannot take (lone surrogates) fails here, in the parser process, as add_text did.
    head = dumps_utf8(common)[:-1] + ","  # '{"id":[..],...,': the cable's fields, then its own
    para_head = dumps_utf8(_paragraph_copies(common))[:-1] + ","  # once, then each paragraph's own
    return c.id, head + dumps_utf8(cable)[1:], [para_head + dumps_utf8(d)[1:] for d in paras]


def match_count(searcher: tantivy.Searcher, q: tantivy.Query) -> int:
    """How many documents match ``q`` (tantivy's top-k collector panics on a limit of 0: take 1)."""
    return int(getattr(searcher.search(q, 1, count=True), "count", 0) or 0)


def matching_id_values(searcher: tantivy.Searcher, q: tantivy.Query, size: int) -> list[str]:
    """The ``id`` of every document matching ``q`` (at most ``size`` of them), from the id fast column."""
    if size <= 0:
        return []
    spec = {"ids": {"terms": {"field": "id", "size": size + 1, "segment_size": size + 1}}}
    return [str(b["key"]) for b in searcher.aggregate(q, spec)["ids"]["buckets"]]


def matching_keys(searcher: tantivy.Searcher, q: tantivy.Query, total: int) -> list[int]:
    """The ``cid`` of every document matching ``q`` (``total`` of them), from the cid fast column.

    A top-``total`` search then one fast-column read: the terms aggregation of
    :func:`matching_id_values` passes tantivy's 65,000-bucket limit on a Cablegate-sized index.
    """
    if total <= 0:
        return []
    addrs = [addr for _score, addr in searcher.search(q, total, count=False).hits]
    return [int(v) for v in searcher.fast_field_values("cid", addrs) if v is not None]


def _read_meta(meta: Path) -> dict[str, Any] | None:
    """The index's version file, or None when there is none yet (never half of one)."""
    for attempt in range(5):
        try:
            data = json.loads(meta.read_text())
            return data if isinstance(data, dict) else None
        except FileNotFoundError:
            return None
        except ValueError:  # written by an older cabledesk without os.replace: read it again
            time.sleep(0.05 * (attempt + 1))
    return None


class CableIndex:
    """The tantivy index folder of one database: add/commit cables, search through ``searcher``."""

    KINDS = ("cables", "paragraphs")

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.schema = build_schema()
        self._writers: dict[str, tantivy.IndexWriter] = {}
        self.rebuilt = False  # True when an index of another schema version was discarded
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            meta = self.path / "cabledesk-index.json"
            wanted = {"schema": SCHEMA_VERSION, "tantivy": "0.27"}
            current = _read_meta(meta)
            if current is not None and current.get("schema") != SCHEMA_VERSION:
                for kind in self.KINDS:
                    shutil.rmtree(self.path / kind, ignore_errors=True)
                self.rebuilt = True
            self._indexes = {kind: self._open(kind) for kind in self.KINDS}
            if current != wanted:  # atomic: a process opening the index meanwhile never sees half a file
                tmp = meta.with_name(f".{meta.name}.{os.getpid()}")
                tmp.write_text(json.dumps(wanted))
                os.replace(tmp, meta)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot open the search index at {self.path}: {exc}") from exc

    def _open(self, kind: str) -> tantivy.Index:
        """An existing index opens with its own schema: ``cables/`` folders written before the body
        text stopped being stored there keep working, and keep storing it (same field ids, only the
        stored flag differs; nothing reads it); new ``cables/`` folders do not store it. Likewise
        ``paragraphs/`` folders whose documents copy every cable field keep working: new documents
        there carry :data:`PARAGRAPH_COPIES` only, and searches join through ``cid`` either way."""
        folder = self.path / kind
        folder.mkdir(exist_ok=True)
        if (folder / "meta.json").exists():
            index = tantivy.Index.open(str(folder))
        else:
            schema = build_schema(paragraphs=True) if kind == "paragraphs" else build_schema(store_text=False)
            index = tantivy.Index(schema, path=str(folder), reuse=True)
        index.register_tokenizer(textnorm.FOLD, textnorm.analyzer())
        return index

    # -- writing -------------------------------------------------------------------------------
    def _writer(self, kind: str) -> tantivy.IndexWriter:
        w = self._writers.get(kind)
        if w is None:
            bound_native_memory()  # before tantivy starts its indexing threads
            try:
                w = self._indexes[kind].writer(WRITER_HEAP[kind], WRITER_THREADS)
            except ValueError as exc:
                raise StoreWriteError(f"the search index is locked or unwritable: {exc}") from exc
            self._writers[kind] = w
        return w

    def add(self, cables: Iterable[Cable]) -> None:
        """Upsert cables: delete every document of each id, then add the new ones (visible on commit)."""
        self.add_documents(cable_documents(c) for c in cables)

    def add_documents(self, prepared: Iterable[PreparedDocs], fresh: Iterable[str] = ()) -> None:
        """Upsert prebuilt documents (see :func:`cable_documents`); visible on commit.

        ``fresh``: ids known to have no document yet (first stored in this ingest, after
        :func:`~cabledesk.ingest.repair_index` made the index match the store): no delete is queued.
        """
        cw, pw = self._writer("cables"), self._writer("paragraphs")
        new = fresh if isinstance(fresh, set | frozenset) else set(fresh)
        try:
            for cid, cable_doc, para_docs in prepared:
                if cid not in new:
                    cw.delete_documents_by_term("id", cid)
                    pw.delete_documents_by_term("id", cid)
                cw.add_json(cable_doc)
                for doc in para_docs:
                    pw.add_json(doc)
        except ValueError as exc:
            raise StoreWriteError(f"cannot add to the search index: {exc}") from exc

    def delete(self, ids: Iterable[str]) -> None:
        """Remove cables (and their paragraphs) by id; visible on commit."""
        cw, pw = self._writer("cables"), self._writer("paragraphs")
        for cid in ids:
            cw.delete_documents_by_term("id", cid)
            pw.delete_documents_by_term("id", cid)

    def commit(self) -> None:
        """Make added/deleted cables durable and visible to searches."""
        try:
            for kind, w in self._writers.items():
                w.commit()
                self._indexes[kind].reload()
            release_native_memory()
        except (OSError, ValueError) as exc:
            raise StoreWriteError(f"cannot commit the search index: {exc}") from exc

    def clear(self) -> None:
        """Delete every document (committed), e.g. before a full reindex."""
        for kind in self.KINDS:
            self._writer(kind).delete_all_documents()
        self.commit()

    def close(self) -> None:
        """Release the writers (and their lock files); uncommitted changes are discarded."""
        for w in self._writers.values():
            try:
                w.rollback()
                w.wait_merging_threads()
            except (ValueError, RuntimeError):
                pass
        self._writers.clear()

    def __enter__(self) -> CableIndex:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------
    def searcher(self, kind: str = "cables") -> tantivy.Searcher:
        """A point-in-time searcher of ``cables`` or ``paragraphs`` (cheap; take one per query)."""
        return self._indexes[kind].searcher()

    def count(self) -> int:
        """Number of cables in the index (committed)."""
        return int(self.searcher().num_docs)

    def ids(self) -> set[str]:
        """Every indexed cable id, read from the id fast column (deleted documents excluded)."""
        searcher = self.searcher()
        return set(matching_id_values(searcher, tantivy.Query.all_query(), int(searcher.num_docs)))

    def stats(self) -> dict[str, Any]:
        """Document counts of both indexes (for ``check`` and the bench)."""
        return {kind: int(self.searcher(kind).num_docs) for kind in self.KINDS}
