"""Cables for the search tests: the real reader + parser, or a stand-in page parser until they land."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

from cabledesk.model import Cable, Paragraph, Reference

_CELL = re.compile(r"<td>\s*<a[^>]*>([^<]*)</a>\s*</td>", re.S)
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_PARA = re.compile(r"^(\d{1,3})\.\s+\(([A-Za-z/ \-,]{1,24})\)\s*", re.M)


def _clean(s: str) -> str:
    s = re.sub(r"<a id='par\d+'[^>]*>¶</a>", "", s)
    s = re.sub(r"<[^>]+>", "", s)
    return html.unescape(s.replace("&#x000A;", "\n"))


def crude_cable(path: Path) -> Cable:
    """A Cable from a page: metadata cells, body text, SUBJECT/TAGS lines, N. (X) paragraphs."""
    page = path.read_text(encoding="utf-8")
    cells = _CELL.findall(page)
    pres = [_clean(p) for p in _PRE.findall(page)]
    body = pres[-1] if pres else ""
    header = pres[0] if len(pres) > 1 else ""
    level = cells[3].strip().upper()
    subj = re.search(r"^SUBJECT:\s*(.*)$", body, re.M | re.I)
    tags = re.search(r"^TAGS:?\s*(.*)$", body, re.M | re.I)
    signer = re.search(r"\b([A-Z]{3,})\s*$", body.strip())
    to = re.findall(r"^TO (?:\w+/)?(.*?)(?: IMMEDIATE| PRIORITY| ROUTINE)?(?: \d+)?$", header, re.M)
    refs = [
        Reference(raw=m.group(0), id=f"{cells[0][:2]}{m.group(1)}{int(m.group(2))}", kind="cable")
        for m in re.finditer(
            r"\b([A-Z]{4,}) (\d{1,6})\b", (re.search(r"^REF:?(.*)$", body, re.M) or ["", " "])[1]
        )
    ]
    starts = list(_PARA.finditer(body))
    paras = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        paras.append(
            Paragraph(n=int(m.group(1)), marking=m.group(2).upper(), text=body[m.end() : end].strip())
        )
    caveats = [c for c in ("NOFORN", "SIPDIS") if re.search(rf"\b{c}\b", body)]
    return Cable(
        id=cells[0].strip(),
        created=datetime.strptime(cells[1].strip(), "%Y-%m-%d %H:%M"),
        origin=cells[4].strip(),
        classification=level.split("//")[0],
        classification_label=level,
        caveats=caveats,
        to=to,
        tags=[t.strip() for t in re.split(r"[,\s]+", tags.group(1)) if t.strip()] if tags else [],
        subject=subj.group(1).strip() if subj else None,
        references=refs,
        signer=signer.group(1) if signer else None,
        paragraphs=paras,
        body=body,
        header=header,
    )


def load_cables(corpus_dir: Path) -> list[Cable]:
    """Parsed cables of a corpus folder: read_source + telegram.parse, or the stand-in until they land."""
    try:
        from cabledesk.readers import read_source
        from cabledesk.telegram import parse
    except ImportError:
        return sorted((crude_cable(p) for p in corpus_dir.glob("cable/*/*/*.html")), key=lambda c: c.id)
    out = []
    for rec in read_source(corpus_dir):
        if rec.error is None:
            out.append(parse(rec))
    return sorted(out, key=lambda c: c.id)
