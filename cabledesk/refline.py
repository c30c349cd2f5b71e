"""REF lines -> typed references with canonical cable ids, so a reporter can follow a citation.

The telegram parser finds a cable's REF block and calls :func:`parse_ref_items` with the text after
the label (``REF:``, ``REFS:``, ``REFTEL:``). The rules below were measured on the 1,295 cables of the
2010 mirror against the manifest of the full release; ``docs/references.md`` gives the figures.

- Items are split on letter labels (``A.``, ``A)``, ``(A)``, ``A:``, doubled ``A. A)``), which must come
  in sequence (A, B, C ...) so that initials such as ``JOHN A. SMITH`` do not split an item; inside an
  item, ``;`` and each further ``POST SERIAL`` start a new item (``TEHRAN 1091: TEHRAN 263``).
- A cable is ``[YEAR] POST SERIAL``: the post words are matched to the manifest's post codes by
  removing spaces (``SAO PAULO`` -> ``SAOPAULO``) plus :data:`ALIASES`; the serial loses its zero padding.
- An item that names a cable serial is a ``cable`` even when it also carries a DTG or a remark
  (``STATE 123456 DTG ...``): the id is what a reader can follow; the rest stays in ``raw``.
- Year: written (``09 MEXICO 3125``, ``2009 STATE 12345``, ``08STATE116943``) -> ``stated``; otherwise the
  citing cable's year, minus one when the cited post is the citing post and the cited serial is not lower
  than the citing cable's own serial (serials restart each year) -> ``inferred``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from cabledesk.model import Reference, RefKind, YearSource

__all__ = ["ALIASES", "canonical_post", "known_posts", "parse_ref_items"]

#: REF spellings whose letters do not spell a manifest post code, each seen in real REF lines.
ALIASES: dict[str, str] = {
    "SECSTATE": "STATE",  # "SECSTATE 2743" (05MADRID395): State Department cables are STATE
    "SECSTATEWASHDC": "STATE",
    "CASA": "CASABLANCA",  # "05 CASA 1220" (08CASABLANCA81)
    "RIO": "RIODEJANEIRO",  # "RIO 346" (09RIODEJANEIRO353)
    "TALLIN": "TALLINN",  # "TALLIN 309" (09USNATO464)
    "UNVIE": "UNVIEVIENNA",  # "UNVIE 544" (09UNVIEVIENNA553)
    "DUBAIRPO": "RPODUBAI",  # "DUBAI RPO 378" (09RPODUBAI379)
    "IRPODUBAI": "RPODUBAI",  # "IRPO DUBAI 95" (09ISTANBUL83): Iran RPO ids are RPODUBAI from 2008
    "BASRA": "BASRAH",  # "BASRA 17" (09BAGHDAD1104)
    "USEU": "USEUBRUSSELS",
    "USUN": "USUNNEWYORK",
    "HAGUE": "THEHAGUE",
    "SAINTPETERSBURG": "STPETERSBURG",
}

#: Words that may precede a post name without being part of it ("EMBASSY VIENNA 1450").
_PREFIXES = ("AMEMBASSY", "AMCONSULATE", "AMCONSUL", "EMBASSY", "CONSULATE")

_MAX_POST_WORDS = 5

# --- block clean-up ------------------------------------------------------------------------------
# Text that ends a REF block when the caller passed more than the block (glued header lines).
_STOP = re.compile(
    r"\bClassified\s+By\b|\bDERIVED\s+FROM\b|^[ \t]*-{3,}[ \t]*$"
    r"|(?:\(\w{1,4}\)[ \t]*)?\bTHIS\s+CABLE\s+IS\b|\bSENSITIVE\s+BUT\s+UNCLASSIFIED\b",
    re.IGNORECASE | re.MULTILINE,
)
# Section-break markers that land inside REF lists: "MADRID 00000440 001.2 OF 002".
_SECTION_BREAK = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]+(?:[ \t][A-Za-z]+){0,3}[ \t]+\d{8}[ \t]+\d{3}(?:\.\d+)?[ \t]+OF[ \t]+\d{3}\b"
)
# A repeated label word at a line start: "REF B SECSTATE 76108" (09ABUDHABI754).
_LEADING_REF = re.compile(r"^([ \t]*)REF(?:TEL)?S?\b[ \t]*:?", re.IGNORECASE | re.MULTILINE)
_NONE = re.compile(r"^\W*(?:NONE|N/?A)\W*$", re.IGNORECASE)
_WS = re.compile(r"\s+")

# --- labels --------------------------------------------------------------------------------------
# "(A)" anywhere after a space/separator; "A." "A)" "A:" followed by a space; bare "B " at a line start.
_LABEL = re.compile(
    r"(?:(?<=[\s;,])|^)(?:\((?P<p>[A-Za-z])\)|(?P<d>[A-Za-z])[.):](?=\s|$))"
    r"|(?:(?<=\n)|^)[ \t]*(?P<b>[A-Za-z])[ \t]+(?=[A-Za-z0-9(])"
)
_BARE_B = re.compile(r"^[ \t]*(?:\(B\)|B[.):]?)[ \t]", re.IGNORECASE | re.MULTILINE)

# --- cable mentions ------------------------------------------------------------------------------
_WORD = r"[A-Za-z]+(?:['-][A-Za-z]+)*\.?"
_CABLE = re.compile(
    r"(?<![A-Za-z0-9/])"
    r"(?:\(?(?P<yr>(?:19|20)\d{2}|\d{2})\)?\s*)?"
    rf"(?P<words>{_WORD}(?:\s+{_WORD}){{0,{_MAX_POST_WORDS - 1}}})"
    r"\s*(?P<ser>\d{1,6})"
    r"(?![\d/A-Za-z]|[-.]\d)"
)
# the year written after the serial, before any separator: "DOHA 311 (07)", "DOHA 311 (07), DOHA 75 (08)"
_YEAR_AFTER = re.compile(r"\s*\(((?:19|20)\d{2}|\d{2})\)(?=(?:[\s.,;:]|\b(?:AND|and|And)\b)*$)")
_TRAILING_SEP = re.compile(r"(?:[\s;,:]|\b(?:AND|and|And)\b)+$")
_NON_LETTERS = re.compile(r"[^A-Z]")
_NON_SPACE = re.compile(r"\S+")
_CITING = re.compile(r"^(\d{2})([A-Z]+)(\d+)$")

# --- kinds of non-cable items -------------------------------------------------------------------
_KIND_PATTERNS: tuple[tuple[RefKind, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\bE-?MAILS?\b", re.IGNORECASE)),
    ("telcon", re.compile(r"\b(?:TELE?CONS?|SVTC|DVC|VTC|PHONE\s*CALLS?)\b", re.IGNORECASE)),
    ("fam", re.compile(r"\b\d+\s*FA[MH]\b", re.IGNORECASE)),
    ("memo", re.compile(r"\bMEMO(?:RANDUM|S)?\b", re.IGNORECASE)),
    ("dtg", re.compile(r"\bDTG|\b\d{6}Z\s*[A-Z]{3}\s*\d{2,4}\b", re.IGNORECASE)),
)


@cache
def known_posts() -> frozenset[str]:
    """The 363 post codes of the full release's ids, shipped in cabledesk/data/posts.json."""
    data = resources.files("cabledesk").joinpath("data/posts.json").read_text(encoding="utf-8")
    return frozenset(json.loads(data)["posts"])


@cache
def canonical_post(name: str) -> str | None:
    """REF spelling -> reference-id post code (``SAO PAULO`` -> ``SAOPAULO``), None when unknown."""
    key = _NON_LETTERS.sub("", name.upper())
    if not key:
        return None
    posts = known_posts()
    if key in posts:
        return key
    if key in ALIASES:
        return ALIASES[key]
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            rest = key[len(prefix) :]
            return rest if rest in posts else ALIASES.get(rest)
    return None


def parse_ref_items(block: str, citing_id: str | None, created_year: int | None) -> list[Reference]:
    """One Reference per REF item, in order; cable items carry a canonical id and its year source."""
    text = _clean(block)
    if not text or _NONE.match(text):
        return []
    base_yy = _base_year(citing_id, created_year)
    own = _CITING.match(citing_id.strip().upper()) if citing_id else None
    own_post, own_serial = (own.group(2), int(own.group(3))) if own else (None, None)
    refs: list[Reference] = []
    for label, label_text, body in _segments(text):
        first = True
        for part in body.split(";"):
            for raw, cable in _items(part):
                if first and label_text:
                    raw = f"{label_text} {raw}".strip() if raw else label_text
                first = False
                raw = _TRAILING_SEP.sub("", _WS.sub(" ", raw).strip())
                if not raw or raw == label_text:
                    continue
                if cable is None:
                    refs.append(Reference(raw=raw, kind=_kind(raw), label=label))
                    continue
                yr, post, serial = cable
                source: YearSource
                if yr is not None:
                    ref_id, source = f"{yr:02d}{post}{serial}", "stated"
                elif base_yy is not None:
                    yy = base_yy
                    if post == own_post and own_serial is not None and serial >= own_serial:
                        yy = (yy - 1) % 100
                    ref_id, source = f"{yy:02d}{post}{serial}", "inferred"
                else:
                    refs.append(Reference(raw=raw, kind="cable", label=label))
                    continue
                refs.append(Reference(raw=raw, id=ref_id, year_source=source, kind="cable", label=label))
    return refs


def _clean(block: str) -> str:
    """Cut glued header lines and section-break markers; drop repeated ``REF`` words at line starts."""
    stop = _STOP.search(block)
    if stop:
        block = block[: stop.start()]
    block = _SECTION_BREAK.sub(" ", block)
    block = _LEADING_REF.sub(r"\1", block)
    return block.strip()


def _base_year(citing_id: str | None, created_year: int | None) -> int | None:
    """Two-digit year of the citing cable: its created year, else its id's first two digits."""
    if created_year is not None:
        return created_year % 100
    if citing_id and len(citing_id) >= 2 and citing_id[:2].isdigit():
        return int(citing_id[:2])
    return None


def _segments(text: str) -> list[tuple[str | None, str, str]]:
    """Split on in-sequence letter labels: (label, label as written, item text) per lettered item."""
    bounds: list[tuple[int, int, str]] = []  # (label start, label end, letter)
    expected = "A"
    for m in _LABEL.finditer(text):
        letter = (m.group("p") or m.group("d") or m.group("b")).upper()
        start = m.start("b") if m.group("b") else m.start()
        if letter != expected and not (bounds and letter <= bounds[-1][2]):
            continue  # cheap exit: most candidates are words such as "U.S." or a stray "(U)"
        if bounds and letter == bounds[-1][2] and not text[bounds[-1][1] : start].strip():
            bounds[-1] = (bounds[-1][0], m.end(), letter)  # doubled bullet "A. A)"
            continue
        at_line_start = not text[text.rfind("\n", 0, start) + 1 : start].strip()
        if m.group("b"):
            if letter != expected or (letter == "A" and not _BARE_B.search(text, m.end())):
                continue
        elif letter == "A" and expected == "A" and not at_line_start:
            continue  # a first label must open a line: "JOHN A. SMITH" is not a list
        if letter == expected or (bounds and at_line_start and letter < expected):
            bounds.append((start, m.end(), letter))
            expected = max(expected, chr(ord(letter) + 1))
    if not bounds:
        return [(None, "", text)]
    segments: list[tuple[str | None, str, str]] = []
    if text[: bounds[0][0]].strip():
        segments.append((None, "", text[: bounds[0][0]]))
    for i, (start, end, letter) in enumerate(bounds):
        stop = bounds[i + 1][0] if i + 1 < len(bounds) else len(text)
        segments.append((letter, _WS.sub(" ", text[start:end].strip()), text[end:stop]))
    return segments


def _items(part: str) -> list[tuple[str, tuple[int | None, str, int] | None]]:
    """Split one unlettered stretch into items: each ``[YEAR] POST SERIAL`` opens a new one."""
    found: list[tuple[int, int, tuple[int | None, str, int]]] = []  # (item start, serial end, cable)
    pos = 0
    while True:
        m = _CABLE.search(part, pos)
        if not m:
            break
        resolved = _resolve(m)
        if resolved is None:
            pos = m.start("ser")  # the number may be the year of the next mention: "AND 08 ALGIERS 75"
            continue
        yr, post, serial, offset = resolved
        start = m.start() if offset == 0 else m.start("words") + offset
        found.append((start, m.end(), (yr, post, serial)))
        pos = m.end()
    if not found:
        return [(part, None)]
    items: list[tuple[str, tuple[int | None, str, int] | None]] = []
    for i, (start, ser_end, (yr, post, serial)) in enumerate(found):
        begin = 0 if i == 0 else start
        end = found[i + 1][0] if i + 1 < len(found) else len(part)
        if yr is None:  # a year written after the serial: "DOHA 75 (08)" (09DOHA214)
            after = _YEAR_AFTER.match(part, ser_end, end)
            yr = int(after.group(1)) % 100 if after else None
        items.append((part[begin:end], (yr, post, serial)))
    return items


def _resolve(m: re.Match[str]) -> tuple[int | None, str, int, int] | None:
    """(stated 2-digit year or None, post code, serial, offset of the post in words) of a mention."""
    serial = int(m.group("ser"))
    if serial == 0:
        return None
    words = list(_NON_SPACE.finditer(m.group("words")))
    for k in range(len(words)):  # longest candidate first: "USEU BRUSSELS" before "BRUSSELS"
        post = canonical_post("".join(w.group() for w in words[k:]))
        if post is not None:
            # a year before noise words is not the post's year: "08 JAN BAGHDAD 12"
            yr = m.group("yr") if k == 0 else None
            return (int(yr) % 100 if yr is not None else None), post, serial, words[k].start()
    return None


def _kind(raw: str) -> RefKind:
    """Kind of an item that names no cable: the first of e-mail/telcon/FAM/memo/DTG it mentions."""
    best: tuple[int, RefKind] | None = None
    for kind, pattern in _KIND_PATTERNS:
        m = pattern.search(raw)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind)
    return best[1] if best else "other"
