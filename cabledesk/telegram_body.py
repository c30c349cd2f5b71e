"""The body header people typed (classification line, caveats, E.O., TAGS, SUBJECT, REF,
Classified By) and the small field parsers for it.

Tolerant on purpose: the lines are damaged (``SS E C R E T``), flattened onto one line in partial
extracts, mixed case or ALL CAPS; a field that cannot be read is left empty, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from cabledesk.model import Declassify
from cabledesk.telegram_fields import parse_reasons, split_classified_by


def _fuzzy(word: str) -> str:
    """Letter-spaced, doubled-letter tolerant pattern for a classification word."""
    return r"\s?".join(f"{c}+" for c in word)


_SECRET = r"(?:[A-Z](?=S\s?E))?S*\s?" + _fuzzy("ECRET")
_LEVEL = re.compile(
    r"^\s*(?:(?P<top>T\s?O\s?P\s+)" + _SECRET + r"|(?P<secret>" + _SECRET + r")"
    r"|(?P<conf>C*\s?" + _fuzzy("ONFIDENTIAL") + r")"
    r"|(?P<unclas>" + _fuzzy("UNCLAS") + r"(?:\s?" + _fuzzy("SIFIED") + r")?))(?![A-Za-z])(?P<rest>.*)$",
    re.I,
)
_CLASS_TAIL = re.compile(
    r"^[\s/]*(?:(?:E\s?F\s?T\s?O|NOFORN|SIPDIS|EXDIS|NODIS|LIMDIS|SENSITIVE)\b[\s,/]*)*"
    r"(?:SECTION\s+(?P<sec>\d+)\s+OF\s+(?P<of>\d+)\s+)?"
    r"(?P<post>[A-Za-z][A-Za-z .'\-]*?)\s+(?P<serial>\d{1,7})\b(?P<tail>.*)$",
    re.I,
)
CANONICAL_LEVEL = {"top": "TOP SECRET", "secret": "SECRET", "conf": "CONFIDENTIAL", "unclas": "UNCLASSIFIED"}
_CLEAN_WORDS = {"TOPSECRET", "SECRET", "CONFIDENTIAL", "UNCLAS", "UNCLASSIFIED"}


@dataclass(slots=True)
class ClassLine:
    """The body's first line: 'S E C R E T SECTION 01 OF 05 MEXICO 000083'."""

    level: str
    damaged: bool  # the classification word was misspelt ("SS E C R E T") and recovered
    post: str | None = None  # "MEXICO", "ABU DHABI"
    serial: str | None = None  # "000083"
    section: str | None = None
    tail: str = ""  # what follows the serial on the same line ("SIPDIS NOFORN")


def class_line(line: str) -> ClassLine | None:
    """Parse a classification line; None when the line is not one."""
    if len(line) > 160:
        return None
    m = _LEVEL.match(line)
    if not m:
        return None
    kind = next((k for k in ("top", "secret", "conf") if m.group(k) is not None), "unclas")
    word_end = m.start("rest")
    word = line[:word_end].strip()
    compact = re.sub(r"\s", "", word).upper()
    spaced = " " in word
    rest = m.group("rest")
    t = _CLASS_TAIL.match(rest)
    if t is None and not spaced:
        return None
    if t is None and not (len(rest.strip()) == 0 or rest.strip().isupper() or rest.strip().islower()):
        return None
    level = CANONICAL_LEVEL[kind]
    cl = ClassLine(level=level, damaged=compact not in _CLEAN_WORDS)
    if t is not None:
        post = " ".join(t.group("post").split()).upper()
        if post in ("SECTION", "OF") or post.endswith(" OF"):
            return None
        cl.post = post
        cl.serial = t.group("serial")
        cl.section = t.group("sec")
        cl.tail = t.group("tail").strip()
    return cl


# ---------------------------------------------------------------- caveats and classification label
CAVEAT_WORDS = ("NOFORN", "SIPDIS", "EXDIS", "NODIS", "LIMDIS", "STADIS", "SENSITIVE", "FOUO", "ORCON")
_CAVEAT = re.compile(
    r"\b(NOFORN|SIPDIS|EXDIS|NODIS|LIMDIS|STADIS|SENSITIVE|FOUO|ORCON|FOR OFFICIAL USE ONLY|"
    r"REL\s+(?:TO\s+)?[A-Z]{2,}(?:\s*,\s*[A-Z]{2,})*)\b",
    re.I,
)
_CAVEAT_LINE = re.compile(
    r"^\s*(?:(?:TOP\s+)?SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS)?[\s/]*"
    r"(?:(?:NOFORN|SIPDIS|EXDIS|NODIS|LIMDIS|STADIS|SENSITIVE|FOUO|ORCON|FGI|FOR OFFICIAL USE ONLY|"
    r"NOT FOR INTERNET DISTRIBUTION|REL\s+(?:TO\s+)?[A-Z]{2,}(?:\s*,\s*[A-Z]{2,})*)[\s,/]*)+$",
    re.I,
)


def caveats_in(text: str) -> list[str]:
    """Caveat markers named in a line or label ('SECRET//NOFORN' -> ['NOFORN'])."""
    out: list[str] = []
    for m in _CAVEAT.finditer(text):
        v = " ".join(m.group(1).upper().split())
        if v == "FOR OFFICIAL USE ONLY":
            v = "FOUO"
        if v not in out:
            out.append(v)
    return out


def is_caveat_line(line: str) -> bool:
    """A line that only carries caveats ('SIPDIS', 'NOFORN', 'SECRET//NOFORN', 'Sipdis')."""
    return bool(line.strip()) and bool(_CAVEAT_LINE.match(line))


def label_for(level: str | None, caveats: list[str]) -> str | None:
    """The mirror's label convention: 'SECRET//NOFORN', 'UNCLASSIFIED//FOR OFFICIAL USE ONLY'."""
    if level is None:
        return None
    if "NOFORN" in caveats and level != "UNCLASSIFIED":
        return level + "//NOFORN"
    if level == "UNCLASSIFIED" and ("FOUO" in caveats or "SENSITIVE" in caveats):
        return "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    return level


def parse_label(label: str) -> tuple[str | None, list[str]]:
    """'SECRET//NOFORN' -> ('SECRET', ['NOFORN']); the page and CSV labels."""
    head = label.split("//")[0].strip().upper()
    level = None
    for lv in ("TOP SECRET", "SECRET", "CONFIDENTIAL", "UNCLASSIFIED"):
        if head.startswith(lv) or (lv == "UNCLASSIFIED" and head.startswith("UNCLAS")):
            level = lv
            break
    rest = label[len(label.split("//")[0]) :]
    return level, caveats_in(rest)


# ---------------------------------------------------------------- E.O. / declassification
_EO_LINE = re.compile(r"^\s*(?:\(U\)\s*)?(?:E\s?\.?\s?O\.?\s*\d{4,5}|EO\s*\d{4,5}|DECL\s*:|DNG\s*:)", re.I)
_DATE_MDY = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_DATE_YMD = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b")


def parse_declassify(raw: str) -> Declassify:
    """The E.O. line raw, plus its date when one is written as MM/DD/YYYY or YYYY/MM/DD."""
    raw = " ".join(raw.split())
    when: date | None = None
    m = _DATE_YMD.search(raw)
    try:
        if m:
            when = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            m = _DATE_MDY.search(raw)
            if m:
                y = int(m.group(3))
                if y < 100:
                    y += 1900 if y >= 66 else 2000
                when = date(y, int(m.group(1)), int(m.group(2)))
    except ValueError:
        when = None
    return Declassify(raw=raw, date=when)


# ---------------------------------------------------------------- SUBJECT
_SUBJECT_MARK = re.compile(r"^\s*\((?P<m>[A-Za-z]{1,4}(?:[/ \-]{1,2}[A-Za-z]+)*)\)\s*")


def parse_subject(value: str) -> tuple[str | None, str | None]:
    """Subject text joined across wraps, and its own portion mark: '(C/NF) X' -> ('X', 'C/NF')."""
    s = " ".join(value.split())
    mark = None
    m = _SUBJECT_MARK.match(s)
    if m and is_marking(m.group("m")):
        mark = m.group("m").upper()
        s = s[m.end() :]
    return (s or None), mark


_MARK_FIRST = {
    "U",
    "C",
    "S",
    "TS",
    "SBU",
    "LOU",
    "FOUO",
    "NF",
    "UNCLASSIFIED",
    "CONFIDENTIAL",
    "SECRET",
    "UNCLAS",
}
_MARK_SPLIT = re.compile(r"[/\s,\-]+")


@lru_cache(maxsize=2048)
def is_marking(inner: str) -> bool:
    """Whether '(…)' content is a portion mark ('S//NF', 'C NF', 'sbu') rather than prose."""
    toks = [t for t in _MARK_SPLIT.split(inner.strip()) if t]
    return bool(toks) and toks[0].upper() in _MARK_FIRST and len(inner) <= 40


# ---------------------------------------------------------------- the header region
LABEL = re.compile(
    r"^\s*(?:\(U\)\s*)?(?:(?P<eo>(?i:E\s?\.?\s?O\.?|EO)\s*\d{4,5}\b|(?i:DECL|DNG)\s*:)"
    r"|(?P<tags>TAGS?|Tags?)(?:\s*:|\s+(?=\S))"
    r"|(?P<subject>SUBJECT|SUBJ|Subject|Subj)\s*:"
    r"|(?P<ref>REFS?|REFTELS?|Refs?|Reftels?|REFERENCES?|References?)\s*:"
    r"|(?P<cby>CLASSIFIED\s+BY|Classified\s+[Bb]y)\b\s*:?"
    r"|(?P<derived>DERIVED\s+FROM|Derived\s+[Ff]rom)\b\s*:?)",
)
INLINE_LABEL = re.compile(
    r"(?<=\S)\s+(?=(?:E\.O\.\s?\d{5}:|Tags?:|TAGS?:|Subject:|SUBJECT:|Refs?:|REFS?:|REFTELS?:|Classified [Bb]y\b"
    r"|CLASSIFIED BY\b))"
)
PARA_START = re.compile(r"^\s*(?P<n>\d{1,3})\s?\.(?:\s+|(?=\())(?P<mark>\([^()\n]{1,40}\))?(?=\S|$)")
_REF_ITEM_LINE = re.compile(r"^\s*(?:\(?[A-Za-z]\)|[A-Za-z]\.|\d{2}\s+[A-Z])\s*\S")
# text opening with a portion mark, numbered or not: "(SBU) Poloff delivered ...", "1, (C) Summary."
_TEXT_OPENING = re.compile(r"^\s*(?:\d{1,3}\s?[.,]\s*)?\((?P<m>[^()\n]{1,40})\)\s*(?P<rest>\S.*)?$")
# what may continue a Classified By line whose reasons are complete: "and (d).", "(C)", "1.5 (b)"
_REASON_MORE = re.compile(
    r"^\s*(?:\(?\s*[a-h]\s*\)|and\b|or\b|&|,|1\s*[./:]\s*[45]|(?:[\s(),/&;:.+\-]|and\b|or\b|nd\b|[a-h]\b)+$)",
    re.I,
)
_PORTION_ONLY = re.compile(r"^\s*\([A-Za-z/ ]{1,10}\)")
_REASON_LINE = re.compile(r"^\s*1\s*[./:]\s*[45]")
# "STATE 6461  PLEASE PASS TO RSO, ...": a routing instruction typed on the REF line (09STATE15113)
_REF_PROSE = re.compile(r"\s(?=(?:PLEASE|Please)\s+(?:PASS|pass)\b)")


@dataclass(slots=True)
class BodyHeader:
    """The typed header fields with where the header ended (index of the first line after it)."""

    class_line: ClassLine | None = None
    class_at: int | None = None
    caveats: list[str] = field(default_factory=list)
    eo: str | None = None
    tags: str | None = None
    subject: str | None = None
    ref: str | None = None
    classified_by: str | None = None
    end: int = 0
    spill: list[str] = field(default_factory=list)  # body text typed on header lines, in order


def parse_body_header(lines: list[str]) -> BodyHeader:
    """Walk the first lines of the body, collecting labelled fields until paragraph 1 begins."""
    h = BodyHeader()
    limit = min(len(lines), 120)
    for i in range(limit):
        cl = class_line(lines[i])
        if cl is not None:
            h.class_line, h.class_at = cl, i
            h.caveats.extend(caveats_in(cl.tail))
            break
    start = (h.class_at + 1) if h.class_at is not None else 0
    current: str | None = None
    values: dict[str, list[str]] = {}
    last_label_end = start
    seen_label = False
    i = start
    stop = min(len(lines), start + 150)
    while i < stop:
        raw = lines[i]
        pieces = INLINE_LABEL.split(raw) if ":" in raw or "lassified" in raw or "LASSIFIED" in raw else [raw]
        line0 = pieces[0]
        if not raw.strip():
            if current == "ref":
                j = i + 1
                while j < stop and not lines[j].strip():
                    j += 1
                if (
                    j < stop
                    and _REF_ITEM_LINE.match(lines[j])
                    and not PARA_START.match(lines[j])
                    and not LABEL.match(INLINE_LABEL.split(lines[j])[-1])
                ):
                    i = j
                    continue
            if current == "cby" and not _has_reasons(values["cby"]):
                j = i + 1  # "FOR REASON" / blank line / "1.4(C)." (05SOFIA1207)
                while j < stop and not lines[j].strip():
                    j += 1
                if j < stop and _REASON_LINE.match(lines[j]):
                    i = j
                    continue
            if current is not None:
                last_label_end = i
            current = None
            i += 1
            continue
        pm = PARA_START.match(line0)
        if pm and current != "ref" and not LABEL.match(line0):
            break
        if pm and current == "ref" and re.match(r"^\s*\d{1,3}\s?\.\s+\(", line0):
            break
        for piece in pieces:
            m = LABEL.match(piece)
            if m:
                kind = m.lastgroup or ""
                if kind in values and kind != "cby":
                    # a second SUBJECT/TAGS (a dump repeated the header): keep the first
                    current = "skip"
                    continue
                current = kind
                values.setdefault(kind, [])
                seen_label = True
                value = piece[m.end() :] if kind not in ("eo",) else piece.strip()
                if kind == "cby" and any(_PORTION_ONLY.sub("", v).strip() for v in values[kind]):
                    current = "skip"
                    continue
                if kind == "cby":
                    values[kind] = []  # "Classified By: Classified by IO/DAS ..." (08STATE93970)
                values[kind].append(value)
            elif current in ("eo", "tags", "subject", "ref", "cby", "derived"):
                if current == "tags" and len(values["tags"]) >= 3:
                    current = None
                    continue
                if current in ("ref", "cby") and _text_starts(piece, current, values[current]):
                    return _fill(h, values, i)
                values[current].append(piece)
            elif current == "skip":
                continue
            elif not seen_label:
                if is_caveat_line(piece) or piece.strip().upper().startswith(("NOFORN", "SIPDIS")):
                    for c in caveats_in(piece):
                        if c not in h.caveats:
                            h.caveats.append(c)
            else:
                # unlabelled text after the labels: the header is over
                if current is None:
                    h.end = last_label_end
                    return _fill(h, values, last_label_end)
        i += 1
        if current is not None:
            last_label_end = i
    return _fill(h, values, last_label_end if seen_label else start if i >= stop else i)


def _fill(h: BodyHeader, values: dict[str, list[str]], end: int) -> BodyHeader:
    def joined(k: str) -> str | None:
        v = values.get(k)
        return "\n".join(x.rstrip() for x in v).strip() if v else None

    h.eo = joined("eo")
    h.tags = joined("tags")
    h.subject = joined("subject")
    h.ref = joined("ref")
    if h.ref and _REF_PROSE.search(h.ref):
        h.ref, prose = _REF_PROSE.split(h.ref, maxsplit=1)
        h.spill.append(prose.strip())
    h.classified_by = joined("cby")
    if h.classified_by:
        h.classified_by, rest = split_classified_by(" ".join(h.classified_by.split()))
        heading = re.fullmatch(r"-*\s*(.*?)\s*-{3,}\s*", rest)
        h.spill.extend([heading.group(1), "-" * 7] if heading else [rest] if rest else [])
    h.end = end
    return h


def _has_reasons(values: list[str]) -> bool:
    return bool(parse_reasons(" ".join(values)))


def _text_starts(piece: str, kind: str, values: list[str]) -> bool:
    """Whether a line under REF or Classified By is really the cable's first text."""
    m = _TEXT_OPENING.match(piece)
    words = len((m.group("rest") or "").split()) if m else 0
    if kind == "ref":
        return bool(m and is_marking(m.group("m")) and words >= 5)
    complete = _has_reasons(values)
    if m and is_marking(m.group("m")) and (words >= 2 or complete):
        return True
    return complete and not _REASON_MORE.match(piece)
