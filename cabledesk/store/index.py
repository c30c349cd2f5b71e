"""The full-text index: tantivy folders beside the database, derived from the store and rebuildable.

Two tantivy indexes share one schema so the query compiler needs a single field map:

* ``cables/``      one document per cable: folded subject+body, every filter field, the stored
                   fields a hit needs (id, subject, created, origin, level, label, signer);
* ``paragraphs/``  one document per paragraph: its folded text, number and marking, plus a copy of
                   the cable's filter fields so paragraph queries filter by origin, date, class.

Separate indexes (rather than one index with a doc-type field) keep cable queries from walking
paragraph postings: a cable search never intersects with a "kind" filter over ~10x more documents.
Both carry ``cid``, a 64-bit hash of the cable id, to join a hit to its paragraphs on fast fields.
"""

from __future__ import annotations

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

#: Bump when the schema or the analyzer changes: an index of another version is rebuilt empty.
SCHEMA_VERSION = 1
#: Writer memory budget (bytes) and threads for each of the two indexes.
WRITER_HEAP = {"cables": 96_000_000, "paragraphs": 160_000_000}
WRITER_THREADS = 2

#: Facet name -> fast field it is counted on.
FACET_FIELDS: dict[str, str] = {
    "origin": "origin_f",
    "classification": "class",
    "caveat": "caveat",
    "tag": "tag",
    "year": "year",
    "signer": "signer_f",
}


def cable_hash(cable_id: str) -> int:
    """Stable unsigned 64-bit key of a cable id (joins paragraphs to cables on fast fields)."""
    return int.from_bytes(hashlib.blake2b(cable_id.encode(), digest_size=8).digest(), "big")


def build_schema() -> tantivy.Schema:
    """The one schema of both indexes (paragraph-only fields stay empty in ``cables``)."""
    sb = tantivy.SchemaBuilder()
    fold = textnorm.FOLD
    sb.add_text_field("id", stored=True, fast=True, tokenizer_name="raw")
    sb.add_unsigned_field("cid", indexed=True, fast=True)
    sb.add_text_field("text", stored=True, tokenizer_name=fold)  # stored in paragraphs only
    sb.add_text_field("subject", stored=True, tokenizer_name=fold)
    sb.add_text_field("origin", tokenizer_name=fold)
    sb.add_text_field("origin_f", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("to", tokenizer_name=fold)
    sb.add_text_field("info", tokenizer_name=fold)
    sb.add_text_field("tag", fast=True, tokenizer_name="raw")
    sb.add_text_field("class", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("label", stored=True, tokenizer_name="raw")
    sb.add_text_field("caveat", fast=True, tokenizer_name="raw")
    sb.add_text_field("signer", tokenizer_name=fold)
    sb.add_text_field("signer_f", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("classifiedby", tokenizer_name=fold)
    sb.add_text_field("cites", tokenizer_name="raw")
    sb.add_text_field("marking", tokenizer_name="raw")
    sb.add_text_field("created", stored=True, tokenizer_name="raw")
    sb.add_integer_field("ts", indexed=True, fast=True)
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("n", stored=True)
    sb.add_text_field("pmark", stored=True, tokenizer_name="raw")
    sb.add_integer_field("pos", indexed=True, fast=True, stored=True)
    return sb.build()


def _epoch(dt: datetime) -> int:
    """Seconds since 1970 of a naive (UTC) or aware datetime; the ``ts`` fast field."""
    return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())


def _common(doc: tantivy.Document, c: Cable) -> None:
    """Filter and display fields shared by a cable document and each of its paragraphs."""
    doc.add_text("id", c.id)
    doc.add_unsigned("cid", cable_hash(c.id))
    if c.subject:
        doc.add_text("subject", c.subject)
    if c.origin:
        doc.add_text("origin", c.origin)
        doc.add_text("origin_f", c.origin)
    for field, values in (("to", c.to), ("info", c.info)):
        for v in values:
            doc.add_text(field, v)
    for tag in dict.fromkeys(textnorm.keyword(t) for t in c.tags if t.strip()):
        doc.add_text("tag", tag)
    if c.classification:
        doc.add_text("class", textnorm.keyword(c.classification))
    if c.classification_label:
        doc.add_text("label", c.classification_label)
    for cav in dict.fromkeys(textnorm.keyword(v) for v in c.caveats if v.strip()):
        doc.add_text("caveat", cav)
    if c.signer:
        doc.add_text("signer", c.signer)
        doc.add_text("signer_f", c.signer)
    if c.classified_by:
        doc.add_text("classifiedby", c.classified_by.text)
    for ref in dict.fromkeys(textnorm.keyword(r.id) for r in c.references if r.id):
        doc.add_text("cites", ref)
    if c.created:
        doc.add_text("created", c.created.isoformat())
        doc.add_integer("ts", _epoch(c.created))
        doc.add_integer("year", c.created.year)


def cable_document(c: Cable) -> tantivy.Document:
    """The cable-level document: subject + body (section breaks removed) and every marking."""
    doc = tantivy.Document()
    _common(doc, c)
    body = textnorm.strip_section_breaks(c.body) if c.body else "\n\n".join(p.text for p in c.paragraphs)
    doc.add_text("text", (c.subject or "") + "\n" + body)
    for m in dict.fromkeys(t for p in c.paragraphs for t in textnorm.marking_terms(p.marking)):
        doc.add_text("marking", m)
    return doc


def paragraph_documents(c: Cable) -> list[tantivy.Document]:
    """One document per paragraph; a cable without paragraphs gets its body as paragraph 0."""
    paras = [(p.n, p.marking, p.text) for p in c.paragraphs if p.text.strip()]
    if not paras:
        paras = [(None, None, textnorm.strip_section_breaks(c.body).strip() or (c.subject or ""))]
    docs = []
    for pos, (n, marking, text) in enumerate(paras):
        doc = tantivy.Document()
        _common(doc, c)
        doc.add_text("text", text)
        doc.add_integer("pos", pos)
        if n is not None:
            doc.add_integer("n", n)
        norm = textnorm.normalize_marking(marking)
        if norm:
            doc.add_text("pmark", norm)
        for m in textnorm.marking_terms(marking):
            doc.add_text("marking", m)
        docs.append(doc)
    return docs


#: A cable's prebuilt documents: (id, cable document, paragraph documents); picklable, so parser
#: processes build them and the single index writer only adds them.
PreparedDocs = tuple[str, tantivy.Document, list[tantivy.Document]]


def cable_documents(c: Cable) -> PreparedDocs:
    """Both indexes' documents of one cable, built once (in a worker process when ingesting)."""
    return c.id, cable_document(c), paragraph_documents(c)


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
        folder = self.path / kind
        folder.mkdir(exist_ok=True)
        index = tantivy.Index(self.schema, path=str(folder), reuse=True)
        index.register_tokenizer(textnorm.FOLD, textnorm.analyzer())
        return index

    # -- writing -------------------------------------------------------------------------------
    def _writer(self, kind: str) -> tantivy.IndexWriter:
        w = self._writers.get(kind)
        if w is None:
            try:
                w = self._indexes[kind].writer(WRITER_HEAP[kind], WRITER_THREADS)
            except ValueError as exc:
                raise StoreWriteError(f"the search index is locked or unwritable: {exc}") from exc
            self._writers[kind] = w
        return w

    def add(self, cables: Iterable[Cable]) -> None:
        """Upsert cables: delete every document of each id, then add the new ones (visible on commit)."""
        self.add_documents(cable_documents(c) for c in cables)

    def add_documents(self, prepared: Iterable[PreparedDocs]) -> None:
        """Upsert prebuilt documents (see :func:`cable_documents`); visible on commit."""
        cw, pw = self._writer("cables"), self._writer("paragraphs")
        try:
            for cid, cable_doc, para_docs in prepared:
                cw.delete_documents_by_term("id", cid)
                pw.delete_documents_by_term("id", cid)
                cw.add_document(cable_doc)
                for doc in para_docs:
                    pw.add_document(doc)
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
        n = searcher.num_docs
        if n == 0:
            return set()
        agg = searcher.aggregate(
            tantivy.Query.all_query(),
            {"ids": {"terms": {"field": "id", "size": n + 1, "segment_size": n + 1}}},
        )
        return {str(b["key"]) for b in agg["ids"]["buckets"]}

    def stats(self) -> dict[str, Any]:
        """Document counts of both indexes (for ``check`` and the bench)."""
        return {kind: int(self.searcher(kind).num_docs) for kind in self.KINDS}
