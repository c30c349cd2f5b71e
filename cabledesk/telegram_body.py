"""The body header people typed (classification line, caveats, E.O., TAGS, SUBJECT, REF,
Classified By) and the small field parsers for it.

Tolerant on purpose: the lines are damaged (``SS E C R E T``), flattened onto one line in partial
extracts, mixed case or ALL CAPS; a field that cannot be read is left empty, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from cabledesk.model import ClassifiedBy, Declassify


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


# ---------------------------------------------------------------- TAGS
_TAG_ITEM = re.compile(r"\([^()]*\)?|[^,;\s()]+(?:\([^()]*\))?")
_CODE_TAG = re.compile(r"^[A-Za-z]{2,6}[0-9]?$")


def parse_tags(value: str) -> list[str]:
    """Tags in order, codes upper-cased, person tags '(CLINTON, HILLARY)' and free text kept whole."""
    value = " ".join(value.split()).strip(" .:")
    items: list[str] = []
    if "," in value or ";" in value:
        depth = 0
        cur = ""
        for ch in value:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            if ch in ",;" and depth == 0:
                items.append(cur)
                cur = ""
            else:
                cur += ch
        items.append(cur)
        # a comma item holding only codes separated by spaces ("PREL PGOV") is several tags
        split: list[str] = []
        for it in items:
            it = it.strip()
            if "(" in it and not it.startswith("("):
                # "OVIP (CLINTON, HILLARY)": a code tag, then a person tag
                head, _, person = it.partition("(")
                if all(_CODE_TAG.match(t) for t in head.split()):
                    split.extend(head.split())
                    split.append("(" + person)
                    continue
            toks = it.split()
            if (
                len(toks) > 1
                and not it.startswith("(")
                and all(t.isupper() and _CODE_TAG.match(t) for t in toks)
            ):
                split.extend(toks)
            else:
                split.append(it)
        items = split
    else:
        items = [m.group(0) for m in _TAG_ITEM.finditer(value)]
    out: list[str] = []
    for it in items:
        it = it.strip(" .")
        if not it:
            continue
        if _CODE_TAG.match(it):
            it = it.upper()
        if it not in out:
            out.append(it)
    return out


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


def is_marking(inner: str) -> bool:
    """Whether '(…)' content is a portion mark ('S//NF', 'C NF', 'sbu') rather than prose."""
    toks = [t for t in _MARK_SPLIT.split(inner.strip()) if t]
    return bool(toks) and toks[0].upper() in _MARK_FIRST and len(inner) <= 40


# ---------------------------------------------------------------- Classified By
_REASON = re.compile(r"1\s*[./]\s*([45])\s*((?:[\s(),/&;:.\-]|and\b|or\b|[a-hA-H](?![A-Za-z]))*)", re.I)
_REASON_START = re.compile(
    r"(?:,|;|\.)?\s*(?:\bfor\s+(?:the\s+)?reasons?\b|\breasons?\b|\bfor\b\s+(?=1\s*[./]\s*[45])|\bE\.?O\.?\s*\d{5}\b|"
    r"\bsections?\b\s*(?=1\s*[./]\s*[45])|(?=1\s*[./]\s*[45]\s*\(?\s*[a-h]))",
    re.I,
)
_TITLE_WORDS = {
    w.upper()
    for w in (
        "Ambassador Amb Amb. Charge Chargé d'Affaires d’Affaires d'Affaires, a.i. CDA DCM A/DCM Deputy Chief "
        "of Mission Counselor Counsellor Consul General Director Officer Political Economic Pol Econ "
        "PolCouns EconCouns Pol/Econ PolChief Acting Minister Assistant Secretary Section Head Senior "
        "Advisor Adviser Attache Coordinator Principal Officer Office Deputy Manager Affairs Specialist "
        "Classified By Polcouns Poloff Econoff PolOff EconOff and the for Regional"
    ).split()
}
_NAME_TOKEN = re.compile(
    r"^(?:[A-Z][a-zA-Z'’\-]+|[A-Z]\.|[A-Z][a-z]*[A-Z][a-z]+|Mc[A-Z][a-z]+|[A-Z]{2,}[,.]?)$"
)


def parse_classified_by(text: str) -> ClassifiedBy:
    """'Ambassador Carlos Pascual for reasons 1.4 (b) and (d)' -> name, title, ['1.4(b)', '1.4(d)']."""
    text = " ".join(text.split()).strip()
    reasons: list[str] = []
    for m in _REASON.finditer(text):
        for letter in re.findall(
            r"(?<![A-Za-z])([a-hA-H])(?![A-Za-z])", re.sub(r"\b(?:and|or)\b", " ", m.group(2), flags=re.I)
        ):
            r = f"1.{m.group(1)}({letter.lower()})"
            if r not in reasons:
                reasons.append(r)
    who = text
    rs = _REASON_START.search(text)
    if rs:
        who = text[: rs.start()]
    who = who.strip(" ,.;:-")
    name, title = _split_name_title(who)
    return ClassifiedBy(text=text, name=name, title=title, reasons=reasons)


def _split_name_title(who: str) -> tuple[str | None, str | None]:
    """Separate a person's name from the office ('DCM Gerald M. Feierstein')."""
    if not who:
        return None, None
    if "," in who:
        first, _, rest = who.partition(",")
        toks = first.split()
        if 2 <= len(toks) <= 4 and all(_NAME_TOKEN.match(t) and t.upper() not in _TITLE_WORDS for t in toks):
            return first.strip(), rest.strip(" ,") or None
    toks = who.split()
    i = len(toks)
    while (
        i > 0
        and _NAME_TOKEN.match(toks[i - 1])
        and not (toks[i - 1].endswith(",") and i < len(toks))
        and toks[i - 1].upper().strip(",") not in _TITLE_WORDS
    ):
        i -= 1
    name = " ".join(toks[i:]).strip(" ,") or None
    title = " ".join(toks[:i]).strip(" ,") or None
    if name and title is None and len(toks) == 1:
        return None, name  # a lone word is an office ("Ambassador"), not a name
    return name, title


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
    r"(?<=\S)\s+(?=(?:E\.O\.\s?\d{5}:|Tags?:|TAGS?:|Subject:|SUBJECT:|Ref:|REF:|Classified [Bb]y\b|CLASSIFIED BY\b))"
)
PARA_START = re.compile(r"^\s*(?P<n>\d{1,3})\s?\.(?:\s+|(?=\())(?P<mark>\([^()\n]{1,40}\))?(?=\S|$)")
_REF_ITEM_LINE = re.compile(r"^\s*(?:\(?[A-Za-z]\)|[A-Za-z]\.|\d{2}\s+[A-Z])\s*\S")


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
                if kind == "cby" and values[kind]:
                    current = "skip"
                    continue
                values[kind].append(value)
            elif current in ("eo", "tags", "subject", "ref", "cby", "derived"):
                if current == "tags" and len(values["tags"]) >= 3:
                    current = None
                    continue
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
    h.classified_by = joined("cby")
    h.end = end
    return h
