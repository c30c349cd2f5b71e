"""Turn one telegram (with or without page/CSV metadata) into a :class:`~cabledesk.model.Cable`.

Every reader's output goes through :func:`parse`. Metadata wins for id/created/released/
classification/origin; where the telegram text says otherwise a :class:`Conflict` keeps both,
because a reporter must see that the page and the cable disagree before quoting either.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from cabledesk.errors import ParseError
from cabledesk.model import Cable, Conflict, RawRecord, Reference
from cabledesk.origins import origin_from_fm, origin_from_post, post_code
from cabledesk.telegram_body import (
    BodyHeader,
    class_line,
    label_for,
    parse_body_header,
    parse_declassify,
    parse_label,
    parse_subject,
)
from cabledesk.telegram_fields import parse_classified_by, parse_tags
from cabledesk.telegram_header import Routing, parse_routing, split_text
from cabledesk.telegram_paragraphs import clean_tail, paragraphs, pre_clean, take_signer

try:
    from cabledesk.refline import parse_ref_items
except ImportError:  # pragma: no cover - refline.py is written by another engineer

    def parse_ref_items(block: str, citing_id: str | None, created_year: int | None) -> list[Reference]:
        """Fallback until cabledesk.refline exists: the whole block as one raw reference."""
        return [Reference(raw=block.strip())] if block.strip() else []


__all__ = ["parse", "parse_text"]

_ID = re.compile(r"^(?P<yy>\d{2})(?P<post>[A-Z]+?)(?P<serial>\d+)$")


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
    body_lines = pre_clean(body.split("\n"))
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
        # a repair, not a disagreement: "classification" stays reserved for page-vs-telegram conflicts
        written = body_lines[bh.class_at].strip() if bh.class_at is not None else None
        note = f"damaged classification line read as {text_level}"
        conflicts.append(Conflict("classification_line", None, written, note))
    text_caveats = list(bh.caveats)
    text_origin = origin_from_fm(routing.from_) if routing.from_ else None
    cl_post = bh.class_line.post if bh.class_line else None
    if text_origin is None and cl_post:
        text_origin = origin_from_post(cl_post)
    foreign = bool(routing.from_ and cl_post and not _same_post(cl_post, routing.from_))
    id_year, year_note = _body_year(bh, body_lines, text_created, foreign)
    text_id = _text_id(bh, routing, id_year)

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
        note = "the telegram text names another cable" + year_note
        conflicts.append(Conflict("id", meta["id"], text_id, note))
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
    if foreign and cl_post:
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
    tail = clean_tail([*bh.spill, *body_lines[bh.end :]], bh)
    cable.signer = take_signer(tail)
    cable.paragraphs = paragraphs(tail)
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


_LAST_YEAR = 2010  # the newest cable of the 2010 release
_YEAR = re.compile(r"\b(19[4-9]\d|20[0-4]\d)\b")


def _body_year(
    bh: BodyHeader, lines: list[str], created: datetime | None, foreign: bool
) -> tuple[int | None, str]:
    """Year for the text's own id, and a note when it is not the date-time group's year.

    When the body is another post's cable (88BAGHDAD28: FM BAGHDAD, body 'S e c r e t state 068250')
    the header's date does not date the body. It is kept unless the body names a later year, which a
    text cannot do before it is written ('as of mid-May 2009' in a cable dated 1988); then the latest
    such year is the best year for its id, and the conflict says so. Only years more than five years
    after the header count (a nearby later year may be a plan), and none after the release's last year.
    """
    year = created.year if created else None
    if not foreign or year is None:
        return year, ""
    # a year named a few years ahead may be a plan ("elections in 2012"); the release ends in 2010
    later = [
        int(y) for line in lines[bh.end :] for y in _YEAR.findall(line) if year + 5 < int(y) <= _LAST_YEAR
    ]
    if not later:
        return year, ""
    best = max(later)
    return best, f" (year {best}: the latest year the body names; its header is dated {year})"


def _text_id(bh: BodyHeader, routing: Routing, year: int | None) -> str | None:
    """The reference id the text itself gives: class-line post + serial, else DE serial + FM post."""
    if year is None:
        return None
    yy = f"{year % 100:02d}"
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
