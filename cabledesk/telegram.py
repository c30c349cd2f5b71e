"""Turn one telegram (with or without page/CSV metadata) into a :class:`~cabledesk.model.Cable`.

Every reader's output goes through :func:`parse`. Metadata wins for id/created/released/
classification/origin; where the telegram text says otherwise a :class:`Conflict` keeps both,
because a reporter must see that the page and the cable disagree before quoting either.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from cabledesk.errors import ParseError
from cabledesk.model import Cable, Conflict, Paragraph, RawRecord, Reference
from cabledesk.origins import origin_from_fm, origin_from_post, post_code
from cabledesk.telegram_body import (
    PARA_START,
    BodyHeader,
    class_line,
    is_marking,
    label_for,
    parse_body_header,
    parse_classified_by,
    parse_declassify,
    parse_label,
    parse_subject,
    parse_tags,
)
from cabledesk.telegram_header import Routing, parse_routing, split_text

try:
    from cabledesk.refline import parse_ref_items
except ImportError:  # pragma: no cover - refline.py is written by another engineer

    def parse_ref_items(block: str, citing_id: str | None, created_year: int | None) -> list[Reference]:
        """Fallback until cabledesk.refline exists: the whole block as one raw reference."""
        return [Reference(raw=block.strip())] if block.strip() else []


__all__ = ["parse", "parse_text"]

_ID = re.compile(r"^(?P<yy>\d{2})(?P<post>[A-Z]+?)(?P<serial>\d+)$")
_SECTION_BREAK = re.compile(
    r"^\s*[A-Za-z][A-Za-z .'\-]*\s+\d{5,9}\s+\d{1,3}(?:\.\d+)?\s+OF\s+\d{1,3}\s*$", re.I
)
_PAGE_PREFIX = re.compile(r"^\s*PAGE\s+\d+\s+[A-Z][A-Z .]*?\s+\d+\s+(?:\d+\s+OF\s+\d+\s+)?\d{6}Z\s*")
_LONE_CLASS = re.compile(
    r"^\s*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET|LIMITED OFFICIAL USE)(?P<cav>//[A-Z/ ]+)?\s*$"
)
_RULE = re.compile(r"^\s*[-=_*~]{3,}[-=_*~\s]*$")
_TRAILER = re.compile(
    r"^\s*(?:NNNN|BT|#|>|END\s+OF\s+TEXT\.?|END\s+CABLE\s+TEXT\.?|SIPDIS|NOFORN|\d{4}[A-Z]{3,}\d+\s+-\s+.*|"
    r"[*]{5,}.*|.*https?://\S+.*|.*\bwww\.\S+.*|.*Classified Website.*|X{6,}|[A-Z .,'\-]{0,40}\.\.\.|"
    r"Declassified/Released.*|Systematic Review.*|SELECT \* FROM.*|"
    r"(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET)(?://[A-Z/ ]+)?)\s*$",
    re.I,
)
_NAME_LINE = re.compile(r"^\s*(?P<n>[A-Z][A-Za-z'’\-]+(?:\s+[A-Z][A-Za-z'’\-]+){0,2})\s*\.?\s*$")
_GLUED = re.compile(
    r"(?<=[.!?\"”’)\]*])\s+(?P<n>[A-Z][A-Z'’\-]{2,}(?:\s+[A-Z][A-Z'’\-]{2,})?|[A-Z][a-z]+(?:[A-Z][a-z]+)?)\s*$"
)
_TRAILING_DATE = re.compile(r"\s+\d{4}-\d{2}-\d{2}\s*$")
_NOT_NAMES = {
    "END",
    "COMMENT",
    "SUMMARY",
    "SIPDIS",
    "NOFORN",
    "NNNN",
    "BT",
    "TEXT",
    "NOTE",
    "ACTION",
    "THANKS",
    "REGARDS",
    "SENSITIVE",
    "UNCLASSIFIED",
    "CONFIDENTIAL",
    "SECRET",
    "SUBJECT",
    "TAGS",
    "REF",
    "STATE",
    "DRAFTED",
    "APPROVED",
    "CLEARED",
    "BACKGROUND",
    "CONCLUSION",
    "ENDS",
    "END COMMENT",
    "END SUMMARY",
}
_PORTION = re.compile(r"^\s*\((?P<m>[^()\n]{1,40})\)\s*")
_SUBITEM = re.compile(r"^\s*(?:[A-Z]\.|\(?[a-z0-9]{1,2}\)|\(?[A-Z]\)|--?|[*\u2022])\s+\S")


def parse(record: RawRecord) -> Cable:
    """The one entry point every reader's output goes through."""
    meta = dict(record.meta or {})
    if record.header is None:
        header, body_for_fields = split_text(record.body or "")
    else:
        header, body_for_fields = record.header, record.body or ""
    return _build(header, body_for_fields, meta, record.body or "", record.header)


def parse_text(text: str, meta: dict[str, str] | None = None) -> Cable:
    """Convenience for a whole telegram text (routing header + body in one string)."""
    header, body = split_text(text or "")
    return _build(header, body, dict(meta or {}), text or "", None)


# ---------------------------------------------------------------------------------------------
def _build(header: str, body: str, meta: dict[str, str], raw_body: str, raw_header: str | None) -> Cable:
    """Fill a Cable from routing header, body header and paragraphs; merge metadata last."""
    header_lines = header.split("\n") if header else []
    body_lines = _pre_clean(body.split("\n"))
    routing = parse_routing(header_lines)
    bh = parse_body_header(body_lines)
    if bh.class_line is None and not bh.subject:
        # the body never started properly (dump, odd print): try the header's own class line
        for line in header_lines:
            cl = class_line(line)
            if cl is not None and cl.serial:
                bh.class_line = cl
                break
    pre = body_lines[: bh.class_at] if bh.class_at else body_lines[: min(len(body_lines), 12)]
    _fill_routing(routing, parse_routing(pre))

    conflicts: list[Conflict] = []
    text_created = routing.dtg_time or routing.date_line
    text_level = bh.class_line.level if bh.class_line else routing.znc_level
    if bh.class_line and bh.class_line.damaged:
        conflicts.append(
            Conflict("classification", None, text_level, "damaged classification line recovered")
        )
    text_caveats = list(bh.caveats)
    text_origin = origin_from_fm(routing.from_) if routing.from_ else None
    cl_post = bh.class_line.post if bh.class_line else None
    if text_origin is None and cl_post:
        text_origin = origin_from_post(cl_post)
    text_id = _text_id(bh, routing, text_created)

    cable_id = (meta.get("id") or "").strip() or text_id
    if not cable_id:
        raise ParseError(_no_id_reason(bh, routing, text_created))

    cable = Cable(id=cable_id)
    cable.header = raw_header if raw_header is not None else header
    cable.body = raw_body if raw_header is not None else body
    cable.dtg = routing.dtg
    cable.precedence = routing.precedence
    cable.from_ = routing.from_
    cable.to = routing.to
    cable.info = routing.info

    # ---- metadata vs telegram
    meta_created = _iso_dt(meta.get("created"))
    cable.created = meta_created or text_created
    cable.released = _iso_dt(meta.get("released"))
    if meta.get("id") and text_id and _norm_id(meta["id"]) != text_id:
        conflicts.append(Conflict("id", meta["id"], text_id, "the telegram text names another cable"))
    if meta_created and text_created and abs(meta_created - text_created) > timedelta(hours=25):
        conflicts.append(
            Conflict(
                "created",
                meta_created.isoformat(),
                text_created.isoformat(),
                "the telegram's own date differs",
            )
        )
    label = (meta.get("classification") or "").strip()
    if label:
        meta_level, meta_caveats = parse_label(label)
        cable.classification = meta_level or text_level
        cable.classification_label = label
        if meta_level and text_level and meta_level != text_level:
            conflicts.append(Conflict("classification", label, text_level, "the body is marked otherwise"))
    else:
        meta_caveats = []
        cable.classification = text_level
        cable.classification_label = label_for(text_level, text_caveats)
    cable.caveats = list(dict.fromkeys([*text_caveats, *meta_caveats]))
    meta_origin = (meta.get("origin") or "").strip()
    cable.origin = meta_origin or text_origin
    if meta_origin and text_origin and meta_origin != text_origin:
        conflicts.append(Conflict("origin", meta_origin, text_origin, "the telegram names another post"))
    if routing.from_ and cl_post and not _same_post(cl_post, routing.from_):
        conflicts.append(
            Conflict(
                "origin",
                meta_origin or text_origin,
                origin_from_post(cl_post),
                f"FM line says {routing.from_}, classification line says {cl_post}",
            )
        )

    # ---- body header fields
    if bh.eo:
        cable.declassify = parse_declassify(bh.eo)
    if bh.tags:
        cable.tags = parse_tags(bh.tags)
    if bh.subject:
        cable.subject, cable.subject_marking = parse_subject(bh.subject)
    if bh.classified_by:
        cable.classified_by = parse_classified_by(bh.classified_by)
    year = cable.created.year if cable.created else None
    if bh.ref:
        cable.references = parse_ref_items(bh.ref, cable.id, year)
    elif meta.get("references"):
        cable.references = [
            Reference(raw=x.strip(), id=x.strip(), year_source="stated", kind="cable")
            for x in meta["references"].split("|")
            if x.strip()
        ]

    # ---- paragraphs and signer
    tail = _clean_lines(body_lines[bh.end :], bh)
    cable.signer = _take_signer(tail)
    cable.paragraphs = _paragraphs(tail)
    if cable.classified_by is None and cable.paragraphs:
        m = re.match(
            r"^\s*(?:Classified\s+by|CLASSIFIED\s+BY)\b\s*:?\s*(.*)$", cable.paragraphs[0].text, re.S
        )
        if m:
            cable.classified_by = parse_classified_by(m.group(1).split("\n\n")[0])
    cable.conflicts = conflicts
    return cable


def _same_post(class_post: str, fm: str) -> bool:
    """'BRUSSELS' (class line) and 'USEU BRUSSELS' (FM) are one post; redacted posts never conflict."""
    a, b = post_code(class_post) or "", post_code(fm) or ""
    return not a or set(a) == {"X"} or a == b or a.endswith(b) or b.endswith(a)


def _fill_routing(r: Routing, extra: Routing) -> None:
    """Take fields the header lacked from routing lines found at the top of the body."""
    for name in ("dtg", "dtg_time", "precedence", "from_", "de_serial", "znc_level", "date_line"):
        if getattr(r, name) is None and getattr(extra, name) is not None:
            setattr(r, name, getattr(extra, name))
    if not r.to and extra.to:
        r.to, r.info = extra.to, extra.info


def _text_id(bh: BodyHeader, routing: Routing, created: datetime | None) -> str | None:
    """The reference id the text itself gives: class-line post + serial, else DE serial + FM post."""
    if created is None:
        return None
    yy = f"{created.year % 100:02d}"
    cl = bh.class_line
    if cl and cl.post and cl.serial and cl.serial.strip("0"):
        code = post_code(cl.post)
        if code:
            return f"{yy}{code}{int(cl.serial)}"
    if routing.de_serial and routing.from_ and routing.de_serial.strip("0"):
        code = post_code(routing.from_)
        if code:
            return f"{yy}{code}{int(routing.de_serial)}"
    return None


def _no_id_reason(bh: BodyHeader, routing: Routing, created: datetime | None) -> str:
    """Say exactly what was missing, so the ledger row explains the failure."""
    cl = bh.class_line
    if cl and cl.post and cl.serial and created is None:
        return (
            f"no reference id: the text names {cl.post} {cl.serial} but gives no date to take the year from"
        )
    if created is None and not cl:
        return "no reference id: no metadata, no classification line and no date-time group in the text"
    return "no reference id: no metadata and no post/serial in the classification line or DE/FM lines"


def _norm_id(cable_id: str) -> str:
    m = _ID.match(cable_id.strip().upper())
    return f"{m.group('yy')}{m.group('post')}{int(m.group('serial'))}" if m else cable_id.strip().upper()


def _iso_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None


# --------------------------------------------------------------------------------- paragraphs
def _pre_clean(lines: list[str]) -> list[str]:
    """Drop section breaks, page headers and bare classification words, rejoining sentences."""
    out: list[str] = []
    for line in lines:
        if len(line) < 100:  # break lines are short; long prose lines skip the regexes
            if _SECTION_BREAK.match(line):
                continue
            m = _LONE_CLASS.match(line)
            if m and not m.group("cav"):
                continue
            if "PAGE" in line:
                m = _PAGE_PREFIX.match(line)
                if m:
                    line = line[m.end() :]
                    if not line.strip():
                        continue
        out.append(line)
    return out


def _clean_lines(lines: list[str], bh: BodyHeader) -> list[str]:
    """Past the header: also drop repeated classification lines ('SECTION 02 OF 05 ...')."""
    main = bh.class_line
    post = main.post if main and main.post else None
    out: list[str] = []
    for line in lines:
        if len(line) < 160:
            if _LONE_CLASS.match(line):
                continue
            up = line.upper()
            if "SECTION" in up or (post and post in up):
                cl = class_line(line)
                if cl is not None and (cl.section or (main and cl.post == post and cl.serial == main.serial)):
                    continue
        out.append(line.rstrip())
    return out


def _take_signer(lines: list[str]) -> str | None:
    """Remove trailers and the signature from the end of ``lines``; return the signer."""
    while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1])):
        lines.pop()
    if not lines:
        return None
    last = _TRAILING_DATE.sub("", lines[-1])
    m = _NAME_LINE.match(last)
    if (
        m
        and m.group("n").upper() not in _NOT_NAMES
        and not any(w in _NOT_NAMES for w in m.group("n").upper().split())
    ):
        if not PARA_START.match(last):
            lines.pop()
            while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1])):
                lines.pop()
            return " ".join(m.group("n").split())
    m = _GLUED.search(last)
    if m:
        name = m.group("n")
        words = name.upper().split()
        if not any(w in _NOT_NAMES for w in words) and len(last) > len(name) + 10:
            lines[-1] = last[: m.start()].rstrip()
            return " ".join(name.split())
    return None


def _paragraphs(lines: list[str]) -> list[Paragraph]:
    """Numbered paragraphs (with portion marks); text before paragraph 1 becomes n=None paragraphs."""
    starts: list[tuple[int, int]] = []
    prev: int | None = None
    for i, line in enumerate(lines):
        m = PARA_START.match(line)
        if not m:
            continue
        n = int(m.group("n"))
        marked = bool(m.group("mark")) and is_marking(m.group("mark")[1:-1])
        if (prev is None and (n <= 3 or marked)) or (
            prev is not None and prev < n <= prev + (5 if marked else 2)
        ):
            starts.append((i, n))
            prev = n
    paras: list[Paragraph] = []
    first = starts[0][0] if starts else len(lines)
    for block in _blocks(lines[:first]):
        marking, text = _split_mark(block)
        if text:
            paras.append(Paragraph(n=None, marking=marking, text=text))
    for k, (i, n) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        chunk = list(lines[i:end])
        chunk[0] = PARA_START.sub("", chunk[0], count=1)
        text = "\n\n".join(_blocks(chunk))
        marking, text = _split_mark(text)
        paras.append(Paragraph(n=n, marking=marking, text=text))
    return paras


def _split_mark(text: str) -> tuple[str | None, str]:
    m = _PORTION.match(text)
    if m and is_marking(m.group("m")):
        return m.group("m").strip().upper(), text[m.end() :].strip()
    return None, text.strip()


def _blocks(lines: list[str]) -> list[str]:
    """Blank-line separated blocks, hard wraps joined by spaces, underlined headings dropped."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        if _RULE.match(line):
            # an underline: the short line above it was a heading, not paragraph text
            cur = blocks[-1]
            if cur and len(cur[-1].strip()) <= 80:
                cur.pop()
            continue
        blocks[-1].append(line.strip())
    out: list[str] = []
    for b in blocks:
        if not b:
            continue
        text = b[0]
        for line in b[1:]:
            text += ("\n" if _SUBITEM.match(line) else " ") + line
        out.append(text)
    return out
