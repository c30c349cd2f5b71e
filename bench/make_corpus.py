"""Generate a Cablegate-scale corpus (up to 251,287 cables) from the real cables only.

    python bench/make_corpus.py CORPUS_DIR_OR_TGZ OUT --count 251287 --seed 1 \
        --format mirror|csv|text [--compress] [--manifest PATH]

Deterministic for a given seed. Every generated cable takes a real reference id from the 2011
manifest (``ID,MONTH``), so its year, month and post follow Cablegate's real mix (363 posts, most
cables 2004-2010). Classifications follow the full release's published counts. The text is real:
subject and TAGS from a real cable of the same classification level (same post when the sample has
one), paragraphs from real cables of the same level (same post first), a consistent header (DTG on
the created date, FM line of the post, letter-spaced classification line with the new post and
serial), REF lines citing earlier generated cables (mostly of the same post), ALL CAPS for most
older cables, section-break lines in long bodies. Output through the same writers the tests use:
``cabledesk.dumps`` (CSV rows, text files) and the mirror page layout the reader expects.

    mirror  OUT/cable/YYYY/MM/ID.html (a folder), or OUT.tar.gz with --compress
    csv     OUT (cables.csv, the 2011 release's quoting), or OUT.gz with --compress
    text    OUT/ID.txt (header, blank line, body)
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import io
import random
import re
import sys
import tarfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cabledesk.dumps import CsvRow, csv_field, iso_to_release_date, write_text
from cabledesk.model import Cable
from cabledesk.origins import origin_from_fm, post_code
from cabledesk.readers import read_source
from cabledesk.telegram import parse

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT.parent / "shared" / "corpus" / "cablegate-manifest-2011.csv.gz"
FULL_COUNT = 251_287

#: Classification counts of the full August 2011 release (251,287 cables).
RELEASE_CLASSIFICATIONS: dict[str, int] = {
    "CONFIDENTIAL": 97_070,
    "UNCLASSIFIED": 75_792,
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY": 58_095,
    "SECRET": 11_322,
    "CONFIDENTIAL//NOFORN": 4_678,
    "SECRET//NOFORN": 4_330,
}
_LEVEL = {label: label.split("//")[0] for label in RELEASE_CLASSIFICATIONS}
_SPACED = {"CONFIDENTIAL": "C O N F I D E N T I A L", "SECRET": "S E C R E T"}
_ZNY = {"UNCLASSIFIED": "ZNR UUUUU ZZH", "CONFIDENTIAL": "ZNY CCCCC ZZH", "SECRET": "ZNY SSSSS ZZH"}
_MARK = {"UNCLASSIFIED": ("U", "SBU"), "CONFIDENTIAL": ("C", "C"), "SECRET": ("S", "C")}
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_ID = re.compile(r"^(\d{2})([A-Z]+?)(\d+)$")
#: Target body size relative to the donor: the real release averages ~6.8 kB a cable, the sample more.
SIZE_FACTOR = 0.7
SECTION_CHARS = 6000


@dataclass(slots=True)
class Donor:
    """What a real cable lends: its subject, tags, signer, paragraphs and size."""

    id: str
    level: str
    post: str
    subject: str
    tags: list[str]
    signer: str
    classified_by: str
    paragraphs: list[tuple[str | None, str]]  # (marking, text)
    size: int


@dataclass(slots=True)
class Generated:
    """One generated cable, ready for any writer."""

    id: str
    created: datetime
    origin: str
    classification: str
    references: list[str]
    header: str
    body: str


def load_donors(source: Path) -> list[Donor]:
    """Real cables with paragraphs, parsed by cabledesk itself."""
    donors = []
    for rec in read_source(source):
        if rec.error:
            continue
        try:
            c: Cable = parse(rec)
        except Exception:  # noqa: BLE001 - a cable the parser rejects lends nothing
            continue
        paras = [(p.marking, p.text.strip()) for p in c.paragraphs if len(p.text.strip()) > 40]
        if not paras or not c.classification or not c.subject:
            continue
        m = _ID.match(c.id)
        donors.append(
            Donor(
                id=c.id, level=c.classification, post=m.group(2) if m else "STATE",
                subject=" ".join(c.subject.split()), tags=[t for t in c.tags if t.strip()][:8] or ["PREL"],
                signer=(c.signer or "").strip() or "", classified_by=c.classified_by.text if c.classified_by else "",
                paragraphs=paras, size=sum(len(t) for _m, t in paras),
            )
        )  # fmt: skip
    if not donors:
        raise SystemExit(f"no usable real cables in {source}")
    return donors


def load_manifest(path: Path) -> list[tuple[str, int, int]]:
    """(id, year, month) of every manifest row, in manifest order."""
    rows = []
    with gzip.open(path, "rt", encoding="ascii") as fh:
        for line in fh:
            ref, _, month = line.strip().partition(",")
            if not ref:
                continue
            yy = int(ref[:2])
            rows.append((ref, (1900 if yy >= 50 else 2000) + yy, int(month or 1)))
    return rows


class Generator:
    """Deterministic generation: one seeded RNG consumed in a fixed order."""

    def __init__(self, donors: list[Donor], fm_names: dict[str, str], seed: int) -> None:
        self.rng = random.Random(seed)
        self.fm_names = fm_names
        self.by_level: dict[str, list[Donor]] = defaultdict(list)
        self.by_level_post: dict[tuple[str, str], list[Donor]] = defaultdict(list)
        for d in donors:
            self.by_level[d.level].append(d)
            self.by_level_post[(d.level, d.post)].append(d)
        labels = list(RELEASE_CLASSIFICATIONS)
        total = sum(RELEASE_CLASSIFICATIONS.values())
        acc, self.cum = 0, []
        for label in labels:
            acc += RELEASE_CLASSIFICATIONS[label]
            self.cum.append(acc / total)
        self.labels = labels
        self.earlier: dict[str, list[str]] = defaultdict(list)  # post -> generated ids so far
        self.all_earlier: list[str] = []

    def _label(self) -> str:
        i = bisect.bisect_left(self.cum, self.rng.random())
        return self.labels[min(i, len(self.labels) - 1)]

    def _donor(self, level: str, post: str) -> Donor:
        same = self.by_level_post.get((level, post))
        if same and self.rng.random() < 0.7:
            return self.rng.choice(same)
        pool = self.by_level.get(level) or next(iter(self.by_level.values()))
        return self.rng.choice(pool)

    def fm(self, post: str) -> str:
        if post == "STATE":
            return "SECSTATE WASHDC"
        return self.fm_names.get(post) or f"AMEMBASSY {post}"

    def make(self, ref: str, year: int, month: int) -> Generated:
        rng = self.rng
        m = _ID.match(ref)
        post, serial = (m.group(2), int(m.group(3))) if m else ("STATE", rng.randint(1, 99999))
        created = datetime(year, month, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))
        dtg_at = created + timedelta(minutes=rng.randint(0, 59))
        label = self._label()
        level = _LEVEL[label]
        donor = self._donor(level, post)
        fm = self.fm(post)
        yy = f"{created.year % 100:02d}"

        # Paragraphs: the donor's first, then others of the same level, up to a target size.
        target = max(400, int(donor.size * SIZE_FACTOR * rng.uniform(0.5, 1.5)))
        paras: list[tuple[str | None, str]] = []
        size = 0
        source = donor
        while size < target and len(paras) < 60:
            take = source.paragraphs[rng.randrange(len(source.paragraphs))]
            paras.append(take)
            size += len(take[1])
            if rng.random() < 0.35:
                source = self._donor(level, post)
        caps = rng.random() < (0.9 if year < 1995 else 0.4 if year < 2004 else 0.02)

        # References: earlier generated cables, mostly of the same post.
        refs: list[str] = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            pool = self.earlier.get(post) if rng.random() < 0.8 else self.all_earlier
            if pool:
                cand = pool[-rng.randint(1, min(len(pool), 400))]
                if cand not in refs:
                    refs.append(cand)

        sections = max(1, -(-size // SECTION_CHARS))
        precedence = rng.choice(("P", "R", "O", "P R", "O P"))
        to = "RUEHC/SECSTATE WASHDC" if post != "STATE" else "RUEHXX/ALL DIPLOMATIC AND CONSULAR POSTS"
        header = "\n".join(
            (
                f"VZCZCXRO{rng.randint(1000, 9999)}",
                f"{precedence.split()[0]}{precedence.split()[0]} RUEH{post[:2]} RUEH{post[-2:]}",
                f"DE RUEH{post[:2]} #{serial % 10000:04d}/01 {dtg_at.timetuple().tm_yday:03d}{dtg_at:%H%M}",
                _ZNY[level],
                f"{precedence} {dtg_at:%d%H%M}Z {_MONTHS[dtg_at.month - 1]} {yy}",
                f"FM {fm}",
                f"TO {to} {rng.choice(('PRIORITY', 'IMMEDIATE', 'ROUTINE'))} {rng.randint(1, 9999):04d}",
            )
        )
        place = fm.split(" ", 1)[1] if fm.startswith(("AMEMBASSY ", "AMCONSUL ", "USMISSION ")) else post
        place_line = f"{place} {serial:06d}"
        if level == "UNCLASSIFIED":
            cls_line = "UNCLAS " + (f"SECTION 01 OF {sections:02d} " if sections > 1 else "") + place_line
        else:
            cls_line = (
                _SPACED[level] + (f" SECTION 01 OF {sections:02d} " if sections > 1 else " ") + place_line
            )
        lines = [cls_line, ""]
        if "NOFORN" in label:
            lines.append("NOFORN")
        if "OFFICIAL USE" in label:
            lines.append("SENSITIVE")
        lines += ["SIPDIS", ""]
        decl = created.replace(year=created.year + 10)
        lines.append("E.O. 12958: N/A" if level == "UNCLASSIFIED" else f"E.O. 12958: DECL: {decl:%m/%d/%Y}")
        lines.append("TAGS: " + " ".join(donor.tags))
        lines.append("SUBJECT: " + donor.subject)
        lines.append("")
        if refs:
            letters = "ABCDEFGH"
            items = [f"{letters[i]}. {_ref_text(r)}" for i, r in enumerate(refs)]
            lines.append("REF: " + " ".join(items) if len(items) == 1 else "REF: " + items[0])
            lines += [f"     {it}" for it in items[1:]]
            lines.append("")
        if level != "UNCLASSIFIED":
            lines.append(
                "Classified By: "
                + (donor.classified_by or "Charge d'Affaires, a.i., for reasons 1.4 (b) and (d)")
            )
            lines.append("")
        section, written = 2, 0
        main, fallback = _MARK[level]
        for n, (marking, text) in enumerate(paras, start=1):
            mark = marking if marking else (main if rng.random() < 0.8 else fallback)
            lines.append(f"{n}. ({mark}) {text}")
            lines.append("")
            written += len(text)
            if sections > 1 and section <= sections and written >= SECTION_CHARS * (section - 1):
                lines.append(f"{post} {serial:08d} {section:03d} OF {sections:03d}")
                section += 1
        lines.append(donor.signer or post.title())
        body = "\n".join(lines)
        if caps:
            body = body.upper()
        self.earlier[post].append(ref)
        self.all_earlier.append(ref)
        if len(self.all_earlier) > 5000:
            del self.all_earlier[:1000]
        return Generated(ref, created, origin_from_fm(fm) or post, label, refs, header, body)


def _ref_text(ref: str) -> str:
    """A cited id as a REF item is written: '09ASTANA95' -> '09 ASTANA 95', or 'ASTANA 95'."""
    m = _ID.match(ref)
    return f"{m.group(1)} {m.group(2)} {int(m.group(3))}" if m else ref


def fm_names(donors_source: Path) -> dict[str, str]:
    """Post code -> FM line, from the real cables' own FM lines."""
    names: dict[str, str] = {}
    for rec in read_source(donors_source):
        m = re.search(r"^FM (.+?)\s*$", rec.header or "", re.M)
        if m and not rec.error:
            code = post_code(m.group(1))
            if code and code not in names:
                names[code] = m.group(1).strip()
    return names


def pick_ids(manifest: list[tuple[str, int, int]], count: int, seed: int) -> list[tuple[str, int, int]]:
    """``count`` manifest rows (all of them at full size), in created order."""
    rows = manifest if count >= len(manifest) else random.Random(seed).sample(manifest, count)
    return sorted(rows, key=lambda r: (r[1], r[2], r[0]))


def generate(source: Path, count: int, seed: int, manifest: Path = MANIFEST) -> Iterator[Generated]:
    """The generated cables in created order (REF lines only point backwards)."""
    donors = load_donors(source)
    gen = Generator(donors, fm_names(source), seed)
    for ref, year, month in pick_ids(load_manifest(manifest), count, seed):
        yield gen.make(ref, year, month)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "&#x000A;")


_PARA_START = re.compile(r"(?m)^(\d+)\. ")


def mirror_page(g: Generated) -> str:
    """A page in the December 2010 mirror's layout (metadata table, two <pre> blocks, ¶ anchors)."""
    body = _escape(g.body)
    body = _PARA_START.sub(
        lambda m: f"<a id='par{m[1]}' href='#par{m[1]}'>\u00b6</a>{m[1]}. ", body.replace("&#x000A;", "\n")
    )
    body = body.replace("\n", "&#x000A;")
    ym = f"{g.created:%Y/%m}"
    return (
        "<?xml version='1.0' encoding='utf-8' ?>\n<html><head><title>Cable Viewer</title></head><body>\n"
        "<table class='cable'>\n<tr>\n<th>Reference ID</th>\n<th>Created</th>\n<th>Released</th>\n"
        "<th>Classification</th>\n<th>Origin</th>\n</tr>\n<tr>\n"
        f"<td>\n<a href='/cable/{ym}/{g.id}.html'>{g.id}</a>\n</td>\n"
        f"<td>\n<a href='/date/{g.created:%Y-%m}_0.html'>{g.created:%Y-%m-%d %H:%M}</a>\n</td>\n"
        "<td>\n<a href='/reldate/2011-08-30_0.html'>2011-08-30 01:44</a>\n</td>\n"
        f"<td>\n<a href='/classification/0_0.html' title='x'>{g.classification}</a>\n</td>\n"
        f"<td>\n<a href='/origin/0_0.html'>{_escape(g.origin)}</a>\n</td>\n</tr>\n</table>\n"
        f"<code><pre>{_escape(g.header)}</pre></code>\n<code><pre>{body}</pre></code>\n</body></html>\n"
    )


def write_corpus(cables: Iterator[Generated], out: Path, fmt: str, compress: bool) -> tuple[int, int]:
    """Write in one format; returns (cables, bytes of telegram text)."""
    n = text_bytes = 0
    if fmt == "csv":
        opener = (
            gzip.open(out, "wt", encoding="utf-8", newline="", compresslevel=1)
            if compress
            else out.open("w", encoding="utf-8", newline="")
        )
        with opener as fh:
            for g in cables:
                n += 1
                row = CsvRow(
                    str(n),
                    iso_to_release_date(g.created.isoformat()),
                    g.id,
                    g.origin,
                    g.classification,
                    "|".join(g.references),
                    g.header,
                    g.body,
                )
                fh.write(",".join(csv_field(v) for v in (row.sequence, row.created, row.id, row.origin,
                         row.classification, row.references, row.header, row.body)) + "\n")  # fmt: skip
                text_bytes += len(g.header) + len(g.body)
        return n, text_bytes
    if fmt == "mirror" and compress:
        with tarfile.open(out, "w:gz", compresslevel=1) as tf:
            for g in cables:
                data = mirror_page(g).encode("utf-8")
                info = tarfile.TarInfo(f"cablegate/cable/{g.created:%Y/%m}/{g.id}.html")
                info.size, info.mtime = len(data), 1291939200
                tf.addfile(info, io.BytesIO(data))
                n += 1
                text_bytes += len(g.header) + len(g.body)
        return n, text_bytes
    for g in cables:
        if fmt == "mirror":
            path, page = out / "cable" / f"{g.created:%Y/%m}" / f"{g.id}.html", mirror_page(g)
        else:
            path, page = out / f"{g.id}.txt", write_text(g.header, g.body)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        n += 1
        text_bytes += len(g.header) + len(g.body)
    return n, text_bytes


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="real cables: the mirror .tar.gz or its unpacked folder")
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=FULL_COUNT)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("mirror", "csv", "text"), default="csv")
    ap.add_argument("--compress", action="store_true", help="mirror: one .tar.gz; csv: .csv.gz")
    ap.add_argument("--manifest", type=Path, default=MANIFEST)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    n, nbytes = write_corpus(generate(args.corpus, args.count, args.seed, args.manifest), args.out,
                             args.format, args.compress)  # fmt: skip
    secs = time.perf_counter() - t0
    print(
        f"{n:,} cables, {nbytes / 1e6:,.0f} MB of telegram text -> {args.out} in {secs:.0f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
