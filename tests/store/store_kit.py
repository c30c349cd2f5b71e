"""Kit for the store tests: the store type under test, and real cables read crudely from mirror pages.

The store never parses text, so its tests only need Cable objects with realistic, varied content.
When :func:`cabledesk.telegram.parse` and :func:`cabledesk.readers.read_source` exist, the store
fixtures use them instead (see :func:`load_cables`); this crude reader is the fallback.
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from cabledesk.model import LEVELS, Cable, ClassifiedBy, Conflict, Declassify, Paragraph, Reference
from cabledesk.store import Store


class StoreUnderTest(Store, Protocol):
    """The Store protocol plus what every backend also offers (not yet in store/base.py)."""

    def content_hashes(self) -> dict[str, str]: ...


#: Opens a store on the test's database; call again to reopen it.
StoreFactory = Callable[[], StoreUnderTest]

_CELLS = re.compile(r"<table class='cable'>.*?</tr>\s*<tr>(.*?)</tr>", re.S)
_TD = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a id='par[^']*' href='#par[^']*'>\u00b6</a>")
_DTG = re.compile(r"^([OPRZ])(?: [OPRZ])? (\d{6}Z [A-Z]{3} \d{2})\s*$", re.M)
_PARA = re.compile(r"^(\d+)\.\s*\(([A-Za-z/ ]+)\)\s*(.*)$")
_REF_ITEM = re.compile(r"(?:\(?([A-Z])[.)]\s*)?([A-Z][A-Z ]+?)\s+0*(\d+)")
_PRECEDENCE = {"O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE", "Z": "FLASH"}


def _text(fragment: str) -> str:
    """Page markup -> telegram text: anchors dropped, tags stripped, entities unescaped."""
    return html.unescape(_TAG.sub("", _ANCHOR.sub("", fragment)))


def _line(body: str, pattern: str) -> str | None:
    m = re.search(pattern, body, re.M | re.I)
    return m.group(1).strip() if m else None


def _decl(body: str) -> Declassify | None:
    raw = _line(body, r"^(E\.?O\.? ?\d+:? .*)$")
    if raw is None:
        return None
    day: date | None = None
    if m := re.search(r"(\d\d)/(\d\d)/(\d{4})", raw):
        day = date(int(m[3]), int(m[1]), int(m[2]))
    elif m := re.search(r"(\d{4})/(\d\d)/(\d\d)", raw):
        day = date(int(m[1]), int(m[2]), int(m[3]))
    return Declassify(raw=raw, date=day)


def cable_from_page(path: Path) -> Cable:
    """A Cable filled crudely from one mirror page: table metadata, header lines, body lines."""
    page = path.read_text(encoding="utf-8")
    row = _CELLS.search(page)
    assert row, path
    cid, created, released, label, origin = (_text(c).strip() for c in _TD.findall(row.group(1)))
    pres = [_text(p) for p in _PRE.findall(page)]
    header, body = (pres[0], pres[1]) if len(pres) > 1 else ("", pres[0] if pres else "")
    level = next((lv for lv in reversed(LEVELS) if label.upper().startswith(lv)), None)
    dtg = _DTG.search(header)
    subject = _line(body, r"^SUBJECT:\s*(.*)$")
    marking = None
    if subject and (m := re.match(r"\(([A-Z/]+)\)\s*(.*)", subject)):
        marking, subject = m[1], m[2]
    tags_line = _line(body, r"^TAGS?:?\s+(.*)$") or ""
    refs: list[Reference] = []
    ref_line = _line(body, r"^REF(?:S|TEL)?:\s*(.*)$")
    if ref_line:
        for m in _REF_ITEM.finditer(ref_line):
            target = f"{cid[:2]}{m[2].replace(' ', '')}{int(m[3])}"
            refs.append(Reference(raw=m[0], id=target, year_source="inferred", kind="cable", label=m[1]))
        if not refs:
            refs.append(Reference(raw=ref_line))
    by = _line(body, r"^Classified By:\s*(.*)$")
    paragraphs: list[Paragraph] = []
    for text_line in body.splitlines():
        if m := _PARA.match(text_line.strip()):
            paragraphs.append(Paragraph(n=int(m[1]), marking=m[2].upper(), text=m[3]))
        elif paragraphs and text_line.strip():
            paragraphs[-1].text += "\n" + text_line.strip()
    last = [ln.strip() for ln in body.splitlines() if ln.strip()]
    signer = last[-1] if last and re.fullmatch(r"[A-Z]{3,}", last[-1]) else None
    squeezed = re.sub(r"[ ]", "", body[:400]).upper()
    found = next((lv.replace(" ", "") for lv in reversed(LEVELS) if lv.replace(" ", "") in squeezed), None)
    conflicts = []
    if found and level and found != level.replace(" ", ""):
        conflicts.append(Conflict(field="classification", metadata=level, telegram=found, note="crude"))
    return Cable(
        id=cid,
        created=datetime.fromisoformat(created),
        released=datetime.fromisoformat(released),
        origin=origin,
        classification=level,
        caveats=[c for c in ("NOFORN", "SIPDIS") if c in body[:600]],
        classification_label=label,
        precedence=_PRECEDENCE.get(dtg[1]) if dtg else None,
        dtg=dtg[2] if dtg else None,
        from_=_line(header, r"^FM (.*)$"),
        to=[t for t in [_line(header, r"^TO (.*)$")] if t],
        info=[t for t in [_line(header, r"^INFO (.*)$")] if t],
        tags=[t for t in re.split(r"[,\s]+", tags_line) if t],
        subject=subject,
        subject_marking=marking,
        references=refs,
        classified_by=ClassifiedBy(text=by, reasons=re.findall(r"1\.4\s*\(?[a-h]\)?", by)) if by else None,
        declassify=_decl(body),
        signer=signer,
        paragraphs=paragraphs,
        body=body,
        header=header,
        conflicts=conflicts,
    )


#: Cables chosen for their oddities (see CABLE-FORMAT.md); the sample adds evenly spaced others.
NAMED = (
    "10MEXICO83", "10MEXICO614", "88BAGHDAD28", "03ABUDHABI2641", "09STATE11937",
    "01PRETORIA1173", "10ABUDHABI33", "06MANAGUA1002", "09SEOUL59",
)  # fmt: skip


def sample_pages(corpus_dir: Path, n: int = 30) -> list[Path]:
    """``n`` pages: the named oddities plus an even spread over the whole corpus (deterministic)."""
    pages = sorted(corpus_dir.glob("cable/*/*/*.html"), key=lambda p: p.stem)
    named = [p for p in pages if p.stem in NAMED]
    rest = [p for p in pages if p.stem not in NAMED]
    step = max(1, len(rest) // max(1, n - len(named)))
    return (named + rest[::step])[:n]


def load_cables(pages: list[Path]) -> list[Cable]:
    """Cables for these pages: through the real reader and parser when they exist, else crudely."""
    try:
        read_source = importlib.import_module("cabledesk.readers").read_source
        parse = importlib.import_module("cabledesk.telegram").parse
    except (ImportError, AttributeError):
        return [cable_from_page(p) for p in pages]
    return [parse(record) for page in pages for record in read_source(page)]
