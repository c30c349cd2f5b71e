"""Self-check for the trace evaluation articles: do the hand-written expectations agree with the cables?

Independent of cabledesk's code on purpose (the expectations must not inherit the engine's bugs): it
reads the mirror pages itself, splits paragraphs with its own simple rules and compares words.

    python tests/trace/articles/check_expectations.py [corpus .tar.gz or unpacked cablegate-2010-12 dir]

For every article it checks that (1) the quotes listed in NN-slug.expected.json are exactly the quoted
passages of NN-slug.md, in order; (2) every "matched" quote's words (ellipses and brackets removed)
are found in the cited paragraph, and are not found as well in another paragraph of the story's
cables; (3) no "unmatched" quote shares a run of five words with any cable of the corpus. Exit 1 on a
failure; warnings (W) are printed for a human to judge.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tarfile
import unicodedata
from collections.abc import Iterator
from difflib import SequenceMatcher
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TGZ = (
    Path(os.environ.get("CABLEDESK_SHARED", HERE.parents[2].parent / "shared"))
    / "corpus"
    / "cablegate-2010-12-mirror.tar.gz"
)
MIN_COVER = 0.75  # share of a quote's words that must be found, in order, in the cited paragraph
RIVAL_COVER = 0.9  # another paragraph matching this well makes the expectation ambiguous

PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
PORTION = r"\((?:U|C|S|SBU|TS|S/NF|C/NF|S//NF|C//NF|U//FOUO|SBU/NF|S/REL[^)]*)\)"
# A paragraph starts with "N." at the start of a line, or "N. (portion)" anywhere (glued page headers).
PARA_START = re.compile(rf"(?m)(?:^[ \t-]*(\d{{1,2}})\.(?=\s)|(?<=\s)(\d{{1,2}})\.\s+(?={PORTION}))")


def cable_body(page: str) -> str:
    """The telegram body of a mirror page as plain text (second <pre>, anchors and tags stripped)."""
    body = PRE.findall(page)[1]
    body = re.sub(r"<a [^>]*>¶</a>", "", body)
    body = re.sub(r"<[^>]+>", "", body)
    return html.unescape(body.replace("&#x000A;", "\n"))


def paragraphs(body: str) -> list[tuple[int | None, str]]:
    """(number, text) pairs; text before the first numbered paragraph gets None."""
    out: list[tuple[int | None, str]] = []
    last = 0
    num: int | None = None
    for m in PARA_START.finditer(body):
        out.append((num, body[last : m.start()]))
        num = int(m.group(1) or m.group(2))
        last = m.start()
    out.append((num, body[last:]))
    return out


def tokens(text: str) -> list[str]:
    """Lower-case words, repairing the cables' mangled punctuation (Google,s  &monopoly8)."""
    t = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    t = re.sub(r"(?<=[A-Za-z]),(?=[sS]\b)", "'", t)  # Zapatero,s -> Zapatero's
    t = re.sub(r"&(?=[A-Za-z])", "", t)  # &monopoly8 -> monopoly8
    t = re.sub(r"(?<=[A-Za-z])8\b", "", t)  # monopoly8 -> monopoly
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch)).lower()
    return re.findall(r"[a-z0-9]+(?:['.][a-z0-9]+)*", t)


def fragments(quote: str) -> list[list[str]]:
    """A quote's word runs, split at ellipses; bracketed editorial insertions dropped, (T)he -> the."""
    q = re.sub(r"\[(?:\.\.\.|…)\]", " … ", quote)
    q = re.sub(r"\[([A-Za-z])\]", r"\1", q)  # [t]he
    q = re.sub(r"\(([A-Za-z])\)(?=[a-z])", r"\1", q)  # (T)he
    q = re.sub(r"\[[^\]]*\]", " ", q)  # [Calderon]
    parts = re.split(r"\.\.\.|…", q)
    return [tokens(p) for p in parts if tokens(p)]


def cover(frags: list[list[str]], para: list[str]) -> float:
    """Share of the quote's words found in order (per fragment) in a paragraph's words."""
    total = found = 0
    for f in frags:
        sm = SequenceMatcher(None, f, para, autojunk=False)
        found += sum(b.size for b in sm.get_matching_blocks())
        total += len(f)
    return found / total if total else 0.0


def article_quotes(md: str) -> Iterator[str]:
    """Quoted passages of a Markdown article, per paragraph; an unclosed quote ends with its paragraph."""
    for para in re.split(r"\n\s*\n", md):
        text = para.replace("“", '"').replace("”", '"')
        for m in re.finditer(r'"([^"]*)(?:"|$)', text):
            if m.group(1).strip():
                yield m.group(1)


def load_corpus(src: Path) -> dict[str, str]:
    """Reference id -> telegram body for every page of the mirror (tar.gz or unpacked folder)."""
    bodies: dict[str, str] = {}
    if src.is_dir():
        for p in src.glob("cable/*/*/*.html"):
            bodies[p.stem] = cable_body(p.read_text(encoding="utf-8", errors="replace"))
        return bodies
    with tarfile.open(src) as tf:
        for member in tf:
            if member.isfile() and re.search(r"/cable/\d{4}/\d{2}/[^/]+\.html$", member.name):
                fh = tf.extractfile(member)
                if fh is not None:
                    page = fh.read().decode("utf-8", errors="replace")
                    bodies[Path(member.name).stem] = cable_body(page)
    return bodies


def shingles(words: list[str], n: int = 5) -> set[tuple[str, ...]]:
    """All runs of n consecutive words."""
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def main(argv: list[str]) -> int:
    """Check every article; print a line per quote problem and a summary table."""
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_TGZ
    corpus = load_corpus(src)
    split = {cid: [(n, tokens(t)) for n, t in paragraphs(b)] for cid, b in corpus.items()}
    owners: dict[tuple[str, ...], set[str]] = {}
    for cid, paras in split.items():
        for _, words in paras:
            for s in shingles(words):
                owners.setdefault(s, set()).add(cid)
    failures = warnings = 0
    totals = {"matched": 0, "unmatched": 0, "too_short": 0}
    for exp_path in sorted(HERE.glob("*.expected.json")):
        md_path = exp_path.with_name(exp_path.name.replace(".expected.json", ".md"))
        exp = json.loads(exp_path.read_text(encoding="utf-8"))
        name = md_path.stem
        got = list(article_quotes(md_path.read_text(encoding="utf-8")))
        want = [q["text"] for q in exp["quotes"]]
        if got != want:
            failures += 1
            print(f"FAIL {name}: quote list differs from the article")
            for i in range(max(len(got), len(want))):
                g = got[i] if i < len(got) else None
                w = want[i] if i < len(want) else None
                if g != w:
                    print(f"   #{i}: article={g!r}\n        expected={w!r}")
                    break
        for c in exp["cables"]:
            if c not in corpus:
                failures += 1
                print(f"FAIL {name}: cable {c} not in corpus")
        for q in exp["quotes"]:
            totals[q["status"]] += 1
            frags = fragments(q["text"])
            nwords = sum(len(f) for f in frags)
            if q["status"] == "matched":
                cid, num = q["id"], q["paragraph"]
                if cid not in exp["cables"]:
                    failures += 1
                    print(f"FAIL {name}: {cid} cited by a quote but not in cables")
                paras = split.get(cid, [])
                cited = [w for n, w in paras if n == num]
                best = max((cover(frags, w) for w in cited), default=0.0)
                if best < MIN_COVER:
                    failures += 1
                    print(f"FAIL {name}: {cid} ¶{num} covers {best:.2f} of {q['text'][:60]!r}")
                rivals = sorted(
                    {
                        f"{c}¶{n}"
                        for c in exp["cables"]
                        for n, w in split.get(c, [])
                        if not (c == cid and n == num) and cover(frags, w) >= RIVAL_COVER
                    }
                )
                if rivals:
                    warnings += 1
                    print(f"W    {name}: {q['text'][:50]!r} also fits {', '.join(rivals)}")
                if nwords < 6:
                    warnings += 1
                    print(f"W    {name}: matched quote has only {nwords} words: {q['text']!r}")
            elif q["status"] == "unmatched":
                sh = shingles(tokens(q["text"]))
                shared = [s for s in sh if s in owners]
                hits = sorted({c for s in shared for c in owners[s]})
                if sh and len(shared) / len(sh) > 0.2:
                    failures += 1
                    print(
                        f"FAIL {name}: 'unmatched' {q['text'][:50]!r} shares {len(shared)}/{len(sh)} 5-word runs with {hits}"
                    )
                elif shared:
                    warnings += 1
                    print(
                        f"W    {name}: 'unmatched' {q['text'][:50]!r} shares {[' '.join(s) for s in shared]} with {hits}"
                    )
                if q["id"] is not None or q["paragraph"] is not None:
                    failures += 1
                    print(f"FAIL {name}: unmatched quote with an id/paragraph")
            else:
                if nwords > 3:
                    warnings += 1
                    print(f"W    {name}: too_short quote has {nwords} words: {q['text']!r}")
    print(
        f"\n{len(list(HERE.glob('*.expected.json')))} articles; quotes: {totals}; failures {failures}, warnings {warnings}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
