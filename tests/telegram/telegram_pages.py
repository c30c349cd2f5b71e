"""A tiny local reader of mirror pages, so telegram tests do not depend on the mirror reader's progress."""

from __future__ import annotations

import html
import re
from pathlib import Path

from cabledesk.model import RawRecord

_CELLS = re.compile(r"<table class='cable'>.*?</tr>\s*<tr>(.*?)</tr>", re.S)
_TD = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_TAG = re.compile(r"<[^>]+>")
_ANCHOR = re.compile(r"<a id='par[^']*' href='#par[^']*'>\u00b6</a>")


def _text(fragment: str) -> str:
    """Page markup -> telegram text: anchors dropped, tags stripped, entities unescaped."""
    fragment = _ANCHOR.sub("", fragment)
    return html.unescape(_TAG.sub("", fragment))


def page_record(path: Path) -> RawRecord:
    """One mirror page as the RawRecord a mirror reader would yield (meta from the table)."""
    page = path.read_text(encoding="utf-8")
    row = _CELLS.search(page)
    cells = [_text(c).strip() for c in _TD.findall(row.group(1))] if row else []
    meta: dict[str, str] = {}
    if len(cells) == 5:
        for key, value in zip(("id", "created", "released", "classification", "origin"), cells, strict=True):
            if key in ("created", "released"):
                value = value.replace(" ", "T")
            meta[key] = value
    pres = _PRE.findall(page)
    header = _text(pres[0]) if len(pres) > 1 else None
    body = _text(pres[-1]) if pres else ""
    return RawRecord(
        source=str(path),
        item=path.name,
        format="mirror",
        body=body,
        header=header,
        meta=meta,
        size=len(page.encode("utf-8")),
    )
