"""Editing query text for links (facet toggles, date narrowing) and cutting highlighted text safely."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlencode

#: Facet name (as in SearchResult.facets) -> query-language field that filters on it.
FACET_QUERY_FIELD = {
    "origin": "origin",
    "classification": "class",
    "caveat": "caveat",
    "tag": "tag",
    "year": "year",
    "signer": "signer",
}
_BARE = re.compile(r"^[A-Za-z0-9]+$")
_DATE_TERM = re.compile(r"(?<!\S)date:\S+", re.IGNORECASE)
_MONTH = re.compile(r"^\d{4}(-\d{2})?$")


def facet_term(facet: str, value: str) -> str:
    """The query term selecting one facet value: ``tag:PGOV``, ``origin:"embassy mexico"``."""
    field = FACET_QUERY_FIELD.get(facet, facet)
    v = value.replace('"', " ").strip()
    if facet == "classification":
        v = v.lower()
    return f"{field}:{v}" if _BARE.match(v) else f'{field}:"{v}"'


def _term_re(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)" + re.escape(term) + r"(?!\S)", re.IGNORECASE)


def has_term(query: str, term: str) -> bool:
    """Whether ``term`` appears in ``query`` as a whole whitespace-separated item."""
    return bool(_term_re(term).search(query))


def toggle_term(query: str, term: str) -> str:
    """Remove ``term`` from the query when present, else append it (the facet click)."""
    if has_term(query, term):
        return " ".join(_term_re(term).sub(" ", query).split())
    return f"{query.strip()} {term}".strip()


def with_date_range(query: str, start: str, end: str) -> str:
    """Replace any top-level ``date:`` term by ``date:START..END`` (months ``YYYY-MM`` or years)."""
    rest = " ".join(_DATE_TERM.sub(" ", query).split())
    if not (_MONTH.match(start) or _MONTH.match(end)):
        return rest
    rng = f"date:{start if _MONTH.match(start) else ''}..{end if _MONTH.match(end) else ''}"
    return f"{rest} {rng}".strip()


def date_range_of(query: str) -> tuple[str, str]:
    """The ``date:A..B`` bounds present in the query (for pre-filling the narrowing form)."""
    m = _DATE_TERM.search(query)
    if not m:
        return "", ""
    value = m.group(0).split(":", 1)[1]
    a, sep, b = value.partition("..")
    return (a, b) if sep else (a, a)


def search_url(q: str, sort: str = "relevance", page: int = 1, paragraphs: bool = False) -> str:
    """A canonical, shareable search URL (defaults left out)."""
    params: dict[str, str | int] = {"q": q}
    if sort != "relevance":
        params["sort"] = sort
    if page > 1:
        params["page"] = page
    if paragraphs:
        params["mode"] = "paragraphs"
    return "/?" + urlencode(params)


def segments(text: str, spans: Sequence[Sequence[int]] | None) -> list[tuple[str, bool]]:
    """Cut ``text`` into (piece, highlighted) runs; templates escape each piece (no markup built here)."""
    out: list[tuple[str, bool]] = []
    pos = 0
    n = len(text)
    for span in sorted((tuple(sp) for sp in spans or []), key=lambda sp: (sp[0], sp[1])):
        s, e = max(0, min(int(span[0]), n)), max(0, min(int(span[1]), n))
        if e <= s or s < pos:
            continue
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < n:
        out.append((text[pos:], False))
    return out
