"""Folding and normalisation shared by indexing and querying, so both sides see the same terms.

One tantivy analyzer (simple tokenizer, lowercase, ASCII folding; no stemming, no stop words) is
used three ways: registered on the index for the text fields, called at query time to turn a typed
word into index terms, and called on a paragraph to find highlight offsets. Using the engine's own
analyzer everywhere is what keeps "Calderon" == "Calderón" and "zero-sum" == "zero sum" exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tantivy

#: Name under which the folding analyzer is registered on every index.
FOLD = "cd_fold"

# "MEXICO 00000083 002 OF 005": section-break lines that cut sentences in two.
_SECTION_BREAK = re.compile(r"[ \t]*[A-Z][A-Z .'-]* \d{6,8} \d{3} OF \d{3}[ \t]*")
_LEVELS = {"U", "C", "S", "TS", "SBU", "FOUO"}


@lru_cache(maxsize=1)
def analyzer() -> tantivy.TextAnalyzer:
    """The folding analyzer (built once; tantivy analyzers are immutable and thread-safe)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def terms(text: str) -> list[str]:
    """Index terms of ``text`` exactly as the text fields store them."""
    return list(analyzer().analyze(text))


@dataclass(frozen=True, slots=True)
class Span:
    """One token of a text: its folded term and its [start, end) character offsets."""

    term: str
    start: int
    end: int


def spans(text: str) -> list[Span]:
    """Tokens of ``text`` with character offsets, for highlighting the original text."""
    return [Span(t.text, t.char_offset_from, t.char_offset_to) for t in analyzer().pre_tokenize(text).tokens]


def strip_section_breaks(body: str) -> str:
    """Drop "MEXICO 00000083 002 OF 005" lines so a phrase cut by a section break still matches.

    The line's text goes, its newline stays. Only lines holding " OF " are tried, found with
    ``str.find``: a multiline regex tries every character of the body (4x slower on real bodies).
    """
    pos = body.find(" OF ")
    if pos < 0:
        return body
    parts: list[str] = []
    kept = 0  # body[kept:] is not copied yet
    size = len(body)
    while pos >= 0:
        start = body.rfind("\n", 0, pos) + 1
        end = body.find("\n", pos)
        if end < 0:
            end = size
        if _SECTION_BREAK.fullmatch(body, start, end):
            parts.append(body[kept:start])
            kept = end
        pos = body.find(" OF ", end)
    if not parts:
        return body
    parts.append(body[kept:])
    return "".join(parts)


def marking_terms(marking: str | None) -> list[str]:
    """Index values of a portion marking: the normalised marking and its level ("S//NF" -> S, S//NF)."""
    norm = normalize_marking(marking)
    if not norm:
        return []
    level = norm.split("//", 1)[0]
    return [norm] if level == norm else [level, norm]


def normalize_marking(marking: str | None) -> str:
    """Canonical marking: upper case, '/' runs and "C NF"/"S-NF" separators written '//'."""
    if not marking:
        return ""
    m = marking.strip().strip("()").strip().upper()
    m = re.sub(r"\s*/+\s*", "//", m)
    head, sep, rest = m.partition("//")
    first = re.split(r"[\s-]+", head, maxsplit=1)
    if len(first) == 2 and first[0] in _LEVELS:
        head = first[0] + "//" + first[1]
    return head + sep + rest


def keyword(value: str) -> str:
    """Keyword fields (ids, tags, caveats, levels) are matched upper-case with spaces collapsed."""
    return " ".join(value.split()).upper()
