"""The telegram's routing block: date-time group, precedence, FM/TO/INFO and the DE line.

Kept apart from the body parser because the routing block is a machine format (fixed line
shapes) while the body header is typed by people; both are needed to rebuild a cable from a
plain-text file that has no metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
PRECEDENCE_LETTERS = {"O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE", "Z": "FLASH"}
ZNY_LEVELS = {"C": "CONFIDENTIAL", "S": "SECRET", "U": "UNCLASSIFIED", "T": "TOP SECRET"}

# "O R 292049Z JAN 10", "291359Z Nov 00", "R 021258Z JAN 88"
DTG_LINE = re.compile(
    r"^\s*(?:(?P<p1>[OPRZ])\s+)?(?:(?P<p2>[OPRZ])\s+)?"
    r"(?P<dtg>(?P<d>\d{2})(?P<h>\d{2})(?P<mi>\d{2})Z\s+(?P<mon>[A-Za-z]{3})\s+(?P<y>\d{2}))\s*$"
)
# "Wednesday, 11 February 2009, 13:03"
DATE_LINE = re.compile(
    r"^\s*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3})[a-z]*\s+"
    r"(?P<y>\d{4}),\s+(?P<h>\d{1,2}):(?P<mi>\d{2})\s*$"
)
FM_LINE = re.compile(r"^\s*FM\s+(?P<v>[A-Z][A-Z0-9 .,'/&()\-]*?)\s*$")
TO_LINE = re.compile(r"^\s*TO\s+(?P<v>.*?)\s*$")
INFO_LINE = re.compile(r"^\s*INFO\s+(?P<v>.*?)\s*$")
DE_LINE = re.compile(
    r"^\s*DE\s+(?P<station>[A-Z]{4,6})\s+#(?P<serial>\d{1,6})(?:/(?P<section>\d+))?\s+(?P<jt>\d{7})"
)
ZNY_LINE = re.compile(r"^\s*ZN[RY]\s+(?P<c>[CSUT])\1{4}\s+ZZH\b")
PARTIAL_NOTE = re.compile(r"partial extract of the original cable", re.I)
ROUTING_INDICATOR = re.compile(r"^[A-Z0-9]{4,8}/")
PAGE_MARK = re.compile(r"\bPAGE\s+\d+\s+[A-Z][A-Z .]*?\s+0*\d+\s+(?:\d+\s+OF\s+\d+\s+)?\d{6}Z\b\s*")
ADDRESSEE_TAIL = re.compile(
    r"(?:\s*/+)?(?:\s+(?:NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE|FLASH))?(?:\s+\d{1,5})?\s*$"
)
ADDRESSEE_PREC = re.compile(r"\b(NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE|FLASH)\b(?:\s+\d{1,5})?\s*$")
HEADER_END = re.compile(r"^\s*(?:BT|XMT\b.*|NNNN)\s*$")


@dataclass(slots=True)
class Routing:
    """What the routing block says; every field optional because many cables lack the block."""

    dtg: str | None = None
    dtg_time: datetime | None = None
    precedence: str | None = None
    from_: str | None = None
    to: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    de_serial: str | None = None  # "0083" from "DE RUEHME #0083/01 0292049"
    znc_level: str | None = None  # from "ZNY SSSSS ZZH"
    date_line: datetime | None = None  # "Wednesday, 11 February 2009, 13:03"
    partial: bool = False


def century(yy: int) -> int:
    """Two-digit years in the cables: 66-99 are 19xx, 00-65 are 20xx."""
    return 1900 + yy if yy >= 66 else 2000 + yy


def dtg_datetime(m: re.Match[str]) -> datetime | None:
    """The date-time group's instant, or None when it names an impossible date."""
    mon = MONTHS.get(m.group("mon").upper())
    if mon is None:
        return None
    try:
        return datetime(
            century(int(m.group("y"))),
            mon,
            int(m.group("d")),
            int(m.group("h")) % 24,
            int(m.group("mi")) % 60,
        )
    except ValueError:
        return None


def date_line_datetime(m: re.Match[str]) -> datetime | None:
    """The 'Wednesday, 11 February 2009, 13:03' line as a datetime."""
    mon = MONTHS.get(m.group("mon")[:3].upper())
    if mon is None:
        return None
    try:
        return datetime(int(m.group("y")), mon, int(m.group("d")), int(m.group("h")) % 24, int(m.group("mi")))
    except ValueError:
        return None


def clean_addressee(raw: str) -> tuple[str, str | None]:
    """'RUEHC/SECSTATE WASHDC IMMEDIATE 0250' -> ('SECSTATE WASHDC', 'IMMEDIATE')."""
    s = PAGE_MARK.sub("", raw).strip()
    s = ROUTING_INDICATOR.sub("", s)
    prec_m = ADDRESSEE_PREC.search(s)
    prec = " ".join(prec_m.group(1).split()) if prec_m else None
    s = ADDRESSEE_TAIL.sub("", s).strip()
    s = s.rstrip("/ ").strip()
    return s, prec


def parse_routing(lines: list[str]) -> Routing:
    """Read the routing fields from header lines (tolerant: unknown lines are skipped)."""
    r = Routing()
    mode: str | None = None  # "to" / "info" while inside the addressee lists
    to_prec: str | None = None
    for line in lines:
        if not line.strip():
            mode = None if mode is None else mode
            continue
        if r.dtg is None:
            m = DTG_LINE.match(line)
            if m:
                r.dtg = m.group("dtg")
                r.dtg_time = dtg_datetime(m)
                letter = m.group("p1")
                if letter:
                    r.precedence = PRECEDENCE_LETTERS.get(letter)
                mode = None
                continue
        if r.date_line is None:
            m = DATE_LINE.match(line)
            if m:
                r.date_line = date_line_datetime(m)
                continue
        if PARTIAL_NOTE.search(line):
            r.partial = True
            continue
        m = DE_LINE.match(line)
        if m and r.de_serial is None:
            r.de_serial = m.group("serial")
            continue
        m = ZNY_LINE.match(line)
        if m and r.znc_level is None:
            r.znc_level = ZNY_LEVELS.get(m.group("c"))
            continue
        m = FM_LINE.match(line)
        if m and r.from_ is None:
            r.from_ = " ".join(m.group("v").split())
            mode = None
            continue
        if r.from_ is None:
            continue  # addressee lists only count after the FM line
        if HEADER_END.match(line):
            mode = "stop"
            continue
        m = TO_LINE.match(line)
        if m and mode in (None, "to") and not r.to:
            mode = "to"
            value = m.group("v")
        else:
            m = INFO_LINE.match(line)
            if m and mode in (None, "to"):
                mode = "info"
                value = m.group("v")
            elif mode in ("to", "info"):
                value = line
            else:
                continue
        name, prec = clean_addressee(value)
        if mode == "to" and prec and to_prec is None:
            to_prec = prec
        if name:
            (r.to if mode == "to" else r.info).append(name)
    if to_prec == "NIACT IMMEDIATE" or (r.precedence is None and to_prec):
        r.precedence = to_prec
    return r


def _is_body_start(line: str) -> bool:
    from cabledesk.telegram_body import class_line  # local import: the modules reference each other

    return bool(DATE_LINE.match(line) or class_line(line))


def split_text(text: str) -> tuple[str, str]:
    """Whole telegram text -> (routing header, body): the body starts after the address block."""
    lines = text.split("\n")
    limit = min(len(lines), 400)
    fm_at = next((i for i in range(limit) if FM_LINE.match(lines[i])), None)
    if fm_at is None:
        # No FM line: a bare DTG line or the partial-extract note may still lead the text.
        lead = None
        for i in range(min(len(lines), 12)):
            s = lines[i]
            if DTG_LINE.match(s) or PARTIAL_NOTE.search(s) or s.startswith("VZCZC"):
                lead = i
            elif s.strip() and (DATE_LINE.match(s) or _is_body_start(s)):
                break
        if lead is None:
            return "", text
        start = lead + 1
    else:
        start = fm_at + 1
    i = start
    while i < len(lines):
        s = lines[i]
        if not s.strip() or HEADER_END.match(s) or _is_body_start(s):
            break
        i += 1
    header = "\n".join(lines[:i]).rstrip("\n")
    j = i
    while j < len(lines) and (not lines[j].strip() or HEADER_END.match(lines[j])):
        j += 1
    return header, "\n".join(lines[j:])
