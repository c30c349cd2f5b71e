"""Measure how REF items of the 1,295 mirror cables resolve to ids of the full release's manifest.

Usage: python bench/refs_resolution.py /path/to/shared/corpus [--list]

Reads ``cablegate-2010-12-mirror.tar.gz`` and ``cablegate-manifest-2011.csv.gz`` from that folder, cuts
each cable's REF block with a simple local rule, runs :func:`cabledesk.refline.parse_ref_items` and
counts: items, cable-like items, items resolved to a well-formed id, ids found in the manifest (stated
and inferred years apart), and what the previous-year rule changed. ``--list`` prints the misses.
"""

from __future__ import annotations

import gzip
import html
import re
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

from cabledesk.refline import parse_ref_items

_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_ANCHOR = re.compile(r"<a id='par[^']*' href='#par[^']*'>\u00b6</a>")
_TAG = re.compile(r"<[^>]+>")
_CREATED = re.compile(r"href='/date/[^']*'>(\d{4})-(\d{2})-\d{2} \d{2}:\d{2}<")
_FIRST_PARA = re.compile(r"^[ \t]*1\.[ \t]", re.M)
_REF_LINE = re.compile(r"^[ \t]*(?:REF|Ref|REFS|REFTEL)S?\b[ \t]*:?[ \t]*(.*)$", re.M)
_END = re.compile(
    r"^\s*(?:$|Classified\s+By|CLASSIFIED\s+BY|DERIVED\s+FROM|\d+\.\s|SUBJECT|TAGS|E\.\s?O\.|Summary|SUMMARY)"
)
# A "POST SERIAL"-looking stretch: what a reader would take for a cable citation.
_CABLE_LIKE = re.compile(r"(?<![\w/-])[A-Za-z]{3,}(?:[ \t]+[A-Za-z]+)*[ \t]*\d{1,6}\b(?![/-]\d|\.\d)")
_NOT_CABLE = re.compile(
    r"\b(?:IIR|FAM|TDX?|OSC|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\b", re.I
)
_ID = re.compile(r"^(\d{2})([A-Z]+)(\d+)$")


def body_text(page: str) -> str:
    """Telegram body of a mirror page: the last <pre> block, anchors dropped, entities unescaped."""
    pres = _PRE.findall(page)
    return html.unescape(_TAG.sub("", _ANCHOR.sub("", pres[-1]))) if pres else ""


def ref_block(body: str) -> str | None:
    """REF block by a simple rule: the REF line before paragraph 1 plus its continuation lines."""
    first = _FIRST_PARA.search(body)
    head = body[: first.start()] if first else body
    m = _REF_LINE.search(head)
    if not m:
        return None
    lines = [m.group(1)]
    for line in head[m.end() :].split("\n")[1:]:
        if _END.match(line):
            break
        lines.append(line)
    return "\n".join(lines)


def load_manifest(path: Path) -> dict[str, int]:
    """All reference ids of the full release, each with its month (1-12)."""
    out: dict[str, int] = {}
    with gzip.open(path, "rt", encoding="ascii") as fh:
        for line in fh:
            ref_id, _, month = line.strip().partition(",")
            if ref_id:
                out[ref_id] = int(month) if month.isdigit() else 0
    return out


def dated_after(manifest: dict[str, int], ref_id: str, year: int, month: int) -> bool:
    """True when the manifest dates ref_id after the citing cable's month: it cannot be the one cited."""
    return ref_id in manifest and int(ref_id[:2]) == year % 100 and manifest[ref_id] > month


def main(argv: list[str]) -> int:
    """Print the resolution figures quoted in docs/references.md."""
    if len(argv) < 2:
        print(__doc__)
        return 2
    shared = Path(argv[1])
    show = "--list" in argv
    manifest = load_manifest(shared / "cablegate-manifest-2011.csv.gz")
    c: Counter[str] = Counter()
    misses: list[str] = []
    t0 = time.perf_counter()
    parse_s = 0.0
    with tarfile.open(shared / "cablegate-2010-12-mirror.tar.gz") as tf:
        for member in tf:
            if not member.name.endswith(".html") or "/cable/" not in member.name:
                continue
            fh = tf.extractfile(member)
            if fh is None:
                continue
            page = fh.read().decode("utf-8")
            cid = Path(member.name).stem
            c["cables"] += 1
            block = ref_block(body_text(page))
            if block is None:
                continue
            c["cables with REF"] += 1
            created = _CREATED.search(page)
            year = int(created.group(1)) if created else None
            month = int(created.group(2)) if created else 12
            t = time.perf_counter()
            refs = parse_ref_items(block, cid, year)
            parse_s += time.perf_counter() - t
            for r in refs:
                c["items"] += 1
                c[f"kind {r.kind}"] += 1
                if r.kind != "cable" and not (_CABLE_LIKE.search(r.raw) and not _NOT_CABLE.search(r.raw)):
                    continue
                c["cable-like"] += 1
                if r.id is None or not _ID.match(r.id):
                    misses.append(f"{cid}: unresolved {r.raw!r}")
                    continue
                c["resolved"] += 1
                src = r.year_source or "none"
                c[f"{src} resolved"] += 1
                found = r.id in manifest
                c[f"{src} found"] += found
                if found and year and dated_after(manifest, r.id, year, month):
                    c[f"{src} found but dated after the citing cable"] += 1
                    misses.append(f"{cid}: {src} {r.id} is dated after the citing cable {r.raw!r}")
                if src != "inferred":
                    if not found:
                        misses.append(f"{cid}: {src} {r.id} not in manifest {r.raw!r}")
                    continue
                yy, post, serial = _ID.match(r.id).groups()  # type: ignore[union-attr]
                base = f"{year % 100 if year else int(cid[:2]):02d}{post}{serial}"
                c["inferred, base year only: found"] += base in manifest
                c["inferred, base year only: found but dated after"] += bool(
                    year and dated_after(manifest, base, year, month)
                )
                if base != r.id:  # the previous-year rule applied
                    c["rule applied"] += 1
                    c["rule applied, found"] += found
                    c["rule fixed (base year not found)"] += found and base not in manifest
                    c["rule applied, base year found"] += (not found) and base in manifest
                    c["rule applied, base year found but dated after"] += bool(
                        (not found) and year and dated_after(manifest, base, year, month)
                    )
                    if (not found) and base in manifest:
                        misses.append(f"{cid}: rule chose {r.id}, base year {base} exists {r.raw!r}")
                if not found:
                    prev = f"{(int(yy) - 1) % 100:02d}{post}{serial}"
                    c["inferred missing, previous year in manifest"] += prev in manifest
                    misses.append(f"{cid}: inferred {r.id} not in manifest {r.raw!r}")
    total_s = time.perf_counter() - t0
    for key in sorted(c, key=lambda k: (not k.startswith(("cables", "items")), k)):
        print(f"{key:48} {c[key]:6}")
    for src in ("stated", "inferred"):
        if c[f"{src} resolved"]:
            print(f"{src} found rate: {c[f'{src} found'] / c[f'{src} resolved']:.1%}")
    if c["cable-like"]:
        n_found = c["stated found"] + c["inferred found"]
        print(f"cable-like found rate: {n_found / c['cable-like']:.1%}  ({n_found}/{c['cable-like']})")
    print(f"parse time {parse_s * 1000:.1f} ms for {c['cables with REF']} blocks; run {total_s:.1f} s")
    if show:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
