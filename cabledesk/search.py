"""Search as a library: the CLI and the web only format what :func:`search` returns.

A cable search runs the compiled query on the ``cables`` index (top hits + exact count), counts
facets over *every* matching cable with tantivy aggregations on fast columns, and picks each hit's
snippet with one more query on the ``paragraphs`` index restricted to the hits' cable keys. A
paragraph search runs on the ``paragraphs`` index, joined to ``cables`` for the cable fields its
documents lack (:mod:`cabledesk.search_paragraphs`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import tantivy

from cabledesk import textnorm
from cabledesk.errors import QueryError
from cabledesk.query import (
    Keyword,
    Node,
    Resolvers,
    Text,
    compile_query,
    expand_derived,
    parse,
    positive_leaves,
)
from cabledesk.search_paragraphs import cable_fields, paragraph_query
from cabledesk.store.index import FACET_FIELDS, CableIndex, cable_hash, match_count, matching_id_values

Sort = Literal["relevance", "date", "-date"]
SNIPPET_CHARS = 300
PARAGRAPH_CHARS = 1500
FACET_TOP = 50  # values returned per facet (each count is exact)
_SEGMENT_TERMS = 65_000  # per-segment terms collected: above any facet's distinct values -> exact counts


def _squash(text: str) -> str:
    """Runs of whitespace as one space, ends stripped (3x faster than a regex on long paragraphs)."""
    return " ".join(text.split())


@dataclass(slots=True)
class SearchResult:
    """One page of hits, the true total, and facet counts over every match."""

    query: str
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    offset: int = 0
    limit: int = 20
    sort: str = "relevance"
    parsed: str = ""  # the query as understood, e.g. '("zero sum" competition)'

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``cabledesk search --json`` and ``/api/search``."""
        return {
            "query": self.query,
            "total": self.total,
            "hits": self.hits,
            "facets": self.facets,
            "offset": self.offset,
            "limit": self.limit,
            "sort": self.sort,
        }


def search(
    index: CableIndex,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    sort: Sort = "relevance",
    paragraphs: bool = False,
    facets: bool = True,
    resolvers: Resolvers | None = None,
) -> SearchResult:
    """Run a query-language search; raises QueryError (never an engine error) when it is malformed.

    ``resolvers`` answer the fields derived from the records (``citedby:``, ``protected:``,
    ``person:``, ``org:``, ``place:``); :class:`cabledesk.Desk` passes them.
    """
    if sort not in ("relevance", "date", "-date"):
        raise QueryError(f"unknown sort '{sort}'", 0, "use relevance, date or -date")
    if limit < 0 or offset < 0:
        raise QueryError("limit and offset must be zero or more", 0, "e.g. --limit 20 --offset 40")
    ast = expand_derived(parse(query), resolvers)
    kind = "paragraphs" if paragraphs else "cables"
    try:
        tq = paragraph_query(index, ast) if paragraphs else compile_query(ast, index.schema)
        searcher = index.searcher(kind)
        found, total = _run(searcher, tq, limit, offset, sort)
        if paragraphs:
            hits = _paragraph_hits(index, searcher, found, ast, sort)
        else:
            hits = _cable_hits(index, searcher, found, ast, sort)
        counts = _facets(index, kind, searcher, tq, total) if facets else {}
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # ValueError, OSError, and pyo3 PanicException (a BaseException)
        raise QueryError(f"the search engine rejected the query: {exc}", 0, "simplify the query") from exc
    return SearchResult(query, total, hits, counts, offset, limit, sort, str(ast))


def _run(
    searcher: tantivy.Searcher, tq: tantivy.Query, limit: int, offset: int, sort: Sort
) -> tuple[list[Any], int]:
    """(hits, total): top ``limit`` after ``offset`` by score or by created time, and the exact count."""
    if limit == 0:  # count only
        return [], match_count(searcher, tq)
    if sort == "relevance":
        res = searcher.search(tq, limit, count=True, offset=offset)
    else:
        order = tantivy.Order.Asc if sort == "date" else tantivy.Order.Desc
        res = searcher.search(tq, limit, count=True, offset=offset, order_by_field="ts", order=order)
    return list(res.hits), int(getattr(res, "count", 0) or 0)


def _first(doc: dict[str, list[Any]], name: str) -> Any:
    values = doc.get(name)
    return values[0] if values else None


def _cable_hits(
    index: CableIndex, searcher: tantivy.Searcher, found: list[Any], ast: Node, sort: Sort
) -> list[dict[str, Any]]:
    hits = []
    for score, addr in found:
        d = searcher.doc(addr).to_dict()
        hits.append(
            {
                "id": _first(d, "id"),
                "subject": _first(d, "subject"),
                "created": _first(d, "created"),
                "origin": _first(d, "origin_f"),
                "classification": _first(d, "label") or _first(d, "class"),
                "score": round(float(score), 4) if sort == "relevance" else None,
                "snippet": None,
            }
        )
    if hits:
        snippets = _snippets(index, [h["id"] for h in hits], ast)
        for h in hits:
            h["snippet"] = snippets.get(h["id"])
    return hits


def _snippets(index: CableIndex, ids: list[str], ast: Node) -> dict[str, dict[str, Any]]:
    """Best matching paragraph of each cable: one paragraphs query, then first paragraphs as fallback."""
    schema, Q, Occ = index.schema, tantivy.Query, tantivy.Occur
    searcher = index.searcher("paragraphs")
    keys = {cable_hash(i): i for i in ids}
    leaves = [lf for lf in positive_leaves(ast) if _paragraph_leaf(lf)]
    chosen: dict[int, Any] = {}
    if leaves:
        q = Q.boolean_query(
            [
                (Occ.Must, Q.term_set_query(schema, "cid", list(keys))),
                (Occ.Must, Q.boolean_query([(Occ.Should, compile_query(lf, schema)) for lf in leaves])),
            ]
        )
        res = searcher.search(q, max(100, 20 * len(ids)), count=False)
        addrs = [a for _, a in res.hits]
        for key, addr in zip(searcher.fast_field_values("cid", addrs), addrs, strict=True):
            chosen.setdefault(int(key or 0), addr)
    missing = [k for k in keys if k not in chosen]
    if missing:
        q = Q.boolean_query(
            [
                (Occ.Must, Q.term_set_query(schema, "cid", missing)),
                (Occ.Must, Q.term_query(schema, "pos", 0)),
            ]
        )
        res = searcher.search(q, len(missing), count=False)
        addrs = [a for _, a in res.hits]
        for key, addr in zip(searcher.fast_field_values("cid", addrs), addrs, strict=True):
            chosen.setdefault(int(key or 0), addr)
    out: dict[str, dict[str, Any]] = {}
    for key, addr in chosen.items():
        d = searcher.doc(addr).to_dict()
        text, spans = _trim(_squash(_first(d, "text") or ""), leaves, SNIPPET_CHARS)
        out[keys[key]] = {
            "paragraph": _first(d, "n"),
            "marking": _first(d, "pmark"),
            "text": text,
            "highlights": spans,
        }
    return out


def _paragraph_leaf(leaf: Text | Keyword) -> bool:
    """Leaves that say something about a paragraph: body words and portion markings."""
    return (isinstance(leaf, Text) and leaf.field == "text") or (
        isinstance(leaf, Keyword) and leaf.field == "marking"
    )


def _paragraph_hits(
    index: CableIndex, searcher: tantivy.Searcher, found: list[Any], ast: Node, sort: Sort
) -> list[dict[str, Any]]:
    """Paragraph hits; subject, date, origin and classification come from each one's cable."""
    leaves = [lf for lf in positive_leaves(ast) if _paragraph_leaf(lf)]
    docs = [(score, searcher.doc(addr).to_dict()) for score, addr in found]
    cables = cable_fields(index, (_first(d, "id") for _, d in docs))
    hits = []
    for score, d in docs:
        c = cables.get(_first(d, "id")) or {}
        text, spans = _trim(_squash(_first(d, "text") or ""), leaves, PARAGRAPH_CHARS)
        hits.append(
            {
                "id": _first(d, "id"),
                "paragraph": _first(d, "n"),
                "marking": _first(d, "pmark"),
                "text": text,
                "highlights": spans,
                "score": round(float(score), 4) if sort == "relevance" else None,
                "subject": _first(c, "subject"),
                "created": _first(c, "created"),
                "origin": _first(c, "origin_f"),
                "classification": _first(c, "label") or _first(c, "class"),
            }
        )
    return hits


def highlight(text: str, leaves: Iterable[Text | Keyword]) -> list[list[int]]:
    """[start, end) spans of ``text`` matching the query's words, phrases (as a whole) and prefixes."""
    texts = [leaf for leaf in leaves if isinstance(leaf, Text)]
    if not texts:
        return []
    toks = textnorm.analyzer().pre_tokenize(text).tokens  # offsets read only for the matches
    terms = [t.text for t in toks]
    where: dict[str, list[int]] = {}  # term -> token positions: one pass, then lookups
    for i, term in enumerate(terms):
        where.setdefault(term, []).append(i)
    marks: list[tuple[int, int]] = []
    for leaf in texts:
        words, n = leaf.terms, len(leaf.terms)
        if n > 1 and leaf.slop == 0:
            head = list(words[:-1])
            for i in where.get(words[0], ()):
                if (
                    i + n <= len(terms)
                    and terms[i : i + n - 1] == head
                    and _hit(terms[i + n - 1], words[-1], leaf.prefix)
                ):
                    marks.append((toks[i].char_offset_from, toks[i + n - 1].char_offset_to))
            continue
        for j, w in enumerate(words):
            if leaf.prefix and j == n - 1:
                found = [i for term, pos in where.items() if term.startswith(w) for i in pos]
            else:
                found = where.get(w, [])
            marks.extend((toks[i].char_offset_from, toks[i].char_offset_to) for i in found)
    merged: list[list[int]] = []
    for s, e in sorted(marks):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def _hit(term: str, word: str, prefix: bool) -> bool:
    return term.startswith(word) if prefix else term == word


def _trim(text: str, leaves: list[Text | Keyword], width: int) -> tuple[str, list[list[int]]]:
    """Cut ``text`` to about ``width`` characters around the first match, then highlight the cut.

    The focus is found with one regex over a cheaply folded copy (same length as ``text``), so long
    paragraphs are never tokenised whole; the engine's analyzer then highlights only the window.
    """
    if len(text) <= width:
        return text, highlight(text, leaves)
    m = _focus_pattern(leaves).search(text.lower().translate(_FOLD1)) if leaves else None
    focus = m.start() if m else 0
    start = max(0, focus - width // 4)
    if start:
        sp = text.rfind(" ", max(0, start - 20), start)
        start = sp + 1 if sp >= 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        sp = text.find(" ", end, end + 20)
        end = sp if sp >= 0 else end
    head, tail = ("… " if start else ""), (" …" if end < len(text) else "")
    spans = highlight(text[start:end], leaves)
    return head + text[start:end] + tail, [[s + len(head), e + len(head)] for s, e in spans]


# One-to-one folding of accented Latin letters: keeps offsets, good enough to locate a match.
_FOLD1 = str.maketrans(
    "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿāăąćčďēėęěğīįıķłńňōőœřśşšţťūůűųźżž",
    "aaaaaaceeeeiiiinoooooouuuuyyaaaccdeeeegiiiklnnooorsssttuuuuzzz",
)


def _focus_pattern(leaves: list[Text | Keyword]) -> re.Pattern[str]:
    alts = []
    for leaf in leaves:
        if isinstance(leaf, Text):
            alt = r"\W+".join(re.escape(t) for t in leaf.terms)
            alts.append(r"\b" + alt + ("" if leaf.prefix else r"\b"))
    return re.compile("|".join(alts) or r"(?!)")


def _facets(
    index: CableIndex, kind: str, searcher: tantivy.Searcher, tq: tantivy.Query, total: int
) -> dict[str, dict[str, int]]:
    """Exact counts over every matching document, top FACET_TOP values per facet.

    A query matching most of the corpus is counted as (all documents) - (the rest): the same exact
    numbers, but the aggregation walks the smaller side. All-document counts are cached per index
    generation (see :func:`_all_counts`).
    """
    n = int(searcher.num_docs)
    if total * 2 <= n:
        return _top(_count(searcher, tq, FACET_TOP))
    everything = _all_counts(index, kind, searcher)
    rest_q = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, tq)]
    )
    rest = _count(searcher, rest_q, _SEGMENT_TERMS)
    out = {name: {k: v - rest[name].get(k, 0) for k, v in everything[name].items()} for name in FACET_FIELDS}
    return _top(out)


def _count(searcher: tantivy.Searcher, q: tantivy.Query, size: int) -> dict[str, dict[str, int]]:
    """Exact counts of every facet: one aggregation, or one per facet where tantivy refuses that."""
    spec = {name: {"terms": _terms(fld, size)} for name, fld in FACET_FIELDS.items()}
    try:
        agg = searcher.aggregate(q, spec)
    except ValueError as exc:
        if _BUCKET_LIMIT not in str(exc):
            raise
        return {name: facet_count(searcher, q, fld, size) for name, fld in FACET_FIELDS.items()}
    return {name: _buckets(agg.get(name, {})) for name in FACET_FIELDS}


def _terms(field: str, size: int, include: str | None = None) -> dict[str, Any]:
    """A terms aggregation exact per segment (every value of a segment collected)."""
    terms: dict[str, Any] = {"field": field, "size": size, "segment_size": _SEGMENT_TERMS}
    if include is not None:
        terms["include"] = f"(?s){include}"
    return terms


def _buckets(result: dict[str, Any]) -> dict[str, int]:
    """{value: count} of one terms aggregation's result."""
    return {_key(b["key"]): int(b["doc_count"]) for b in result.get("buckets", [])}


#: tantivy refuses an aggregation whose buckets, counted per segment (segments x values, summed over
#: the facets of one request), pass 65,000: a Cablegate-sized index with dozens of segments does.
_BUCKET_LIMIT = "bucket limit"
#: Leading-character classes that split one facet's values into disjoint parts (then the rest).
_PARTS = ("[0-9]", "[A-Fa-f]", "[G-Lg-l]", "[M-Rm-r]", "[S-Zs-z]", "[^0-9A-Za-z]")
_MAX_DEPTH = 3


def facet_count(
    searcher: tantivy.Searcher, q: tantivy.Query, field: str, size: int, prefix: str | None = None
) -> dict[str, int]:
    """Exact counts of one facet's ``size`` largest values among ``q``'s matches.

    When tantivy's bucket limit refuses the facet, its values are counted in disjoint parts by
    leading characters (regex ``include``), recursively: each part's counts are exact, so the
    union's largest ``size`` are too. ``prefix`` is the part (a regex of leading characters).
    """
    try:
        agg = searcher.aggregate(
            q, {"f": {"terms": _terms(field, size, None if prefix is None else prefix + ".*")}}
        )
        return _buckets(agg["f"])
    except ValueError as exc:
        depth = 0 if prefix is None else prefix.count("[")
        if _BUCKET_LIMIT not in str(exc) or depth >= _MAX_DEPTH or field == FACET_FIELDS["year"]:
            raise
    return _split_count(searcher, q, field, size, prefix or "")


def _split_count(
    searcher: tantivy.Searcher, q: tantivy.Query, field: str, size: int, prefix: str
) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _PARTS:
        out.update(facet_count(searcher, q, field, size, prefix + part))
    if prefix:  # values that end right at the prefix (no further character to split on)
        out.update(_buckets(searcher.aggregate(q, {"f": {"terms": _terms(field, size, prefix)}})["f"]))
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:size])


def _top(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The FACET_TOP largest values of each facet, largest first (ties by name), zeros dropped."""
    return {
        name: dict(
            sorted(((k, v) for k, v in c.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:FACET_TOP]
        )
        for name, c in counts.items()
    }


_ALL_CACHE: dict[tuple[str, str, int, int, int, frozenset[str] | None], dict[str, dict[str, int]]] = {}


def _all_counts(index: CableIndex, kind: str, searcher: tantivy.Searcher) -> dict[str, dict[str, int]]:
    """Facet counts of every document, cached under the index's last commit (meta.json stamp).

    Cached only when that commit is over 2 s old, so every reader has reloaded to it (tantivy
    reloads about 0.5 s after a commit); younger commits are counted afresh. A collection-scoped
    searcher (server mode) counts its allowed documents only, and its ``scope`` (the allowed ids)
    is part of the key: one newsroom's counts never serve another.
    """
    path = getattr(index, "real_path", index.path)
    try:
        stamp = (path / kind / "meta.json").stat().st_mtime_ns
    except OSError:
        stamp = 0
    scope = getattr(searcher, "scope", None)
    key = (str(path), kind, stamp, int(searcher.num_docs), int(searcher.num_segments), scope)
    hit = _ALL_CACHE.get(key)
    if hit is not None:
        return hit
    counts = _count(searcher, tantivy.Query.all_query(), _SEGMENT_TERMS)
    if stamp and time.time_ns() - stamp > 2_000_000_000:
        if len(_ALL_CACHE) > 8:
            _ALL_CACHE.clear()
        _ALL_CACHE[key] = counts
    return counts


def _key(k: Any) -> str:
    return str(int(k)) if isinstance(k, float | int) else str(k)


def matching_ids(index: CableIndex, query: str, resolvers: Resolvers | None = None) -> list[str]:
    """Every cable id matching ``query``, sorted (for export): no snippets, no facets, one pass."""
    ast = expand_derived(parse(query), resolvers)
    try:
        tq = compile_query(ast, index.schema)
        searcher = index.searcher()
        ids = matching_id_values(searcher, tq, int(searcher.num_docs))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # engine errors never leak: they become a QueryError
        raise QueryError(f"the search engine rejected the query: {exc}", 0, "simplify the query") from exc
    return sorted(ids)


def batch_search(
    index: CableIndex,
    queries: Iterable[str],
    top: int = 3,
    resolvers: Resolvers | None = None,
) -> Iterator[dict[str, Any]]:
    """One line per query (blank lines and '#' comments skipped): total and top hits, or the error."""
    for line in queries:
        q = line.strip()
        if not q or q.startswith("#"):
            continue
        try:
            res = search(index, q, limit=top, facets=False, resolvers=resolvers)
        except QueryError as exc:
            yield {"query": q, "error": exc.to_dict()}
            continue
        yield {"query": q, "total": res.total, "hits": res.hits}
