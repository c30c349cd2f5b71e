"""Trace benchmark and threshold calibration on the shared corpus of 1,295 real cables.

    python bench/trace.py               # latency: 1,000-word article with 10 quotes, vs brute force
    python bench/trace.py --calibrate   # score threshold and too-short cut, from perturbed quotes
    python bench/trace.py --db DIR/scale.db   # latency on an existing (e.g. 251,287-cable) database

With ``--db`` the article's 10 quotes come from 400 random cables of that database and its prose
from their other sentences (outside the quotation marks, so never matched); no brute-force baseline
(scanning 1.9 M paragraphs per quote would take tens of minutes).

Both modes unpack the corpus, hold HOLDOUT cables out of the database (their sentences are honest
negatives: real diplomatic prose that is not in the index) and ingest the rest.
Positives are sentences of indexed paragraphs, perturbed as reporters do (case, punctuation,
quote style, an ellipsis gap, a bracketed case change, a changed word, a trimmed end).
Negatives are held-out sentences and "chimeras" glued from halves of two indexed sentences.
Prints markdown rows.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from cabledesk.desk import Desk
from cabledesk.trace import match_quote, trace
from cabledesk.trace_match import Matcher, Para, fold
from cabledesk.trace_quotes import extract

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cablegate-2010-12-mirror.tar.gz"
HOLDOUT = 120
SEED = 7
WORDS = ["officials", "government", "security", "minister", "embassy", "policy", "economic", "public"]


def build(tmp: Path) -> tuple[Desk, list[Path]]:
    """A database of the corpus minus HOLDOUT random cables; returns it and the held-out pages."""
    with tarfile.open(CORPUS) as tf:
        tf.extractall(tmp / "src", filter="data")
    pages = sorted((tmp / "src").glob("*/cable/*/*/*.html"))
    rng = random.Random(SEED)
    held = rng.sample(pages, HOLDOUT)
    hold_dir = tmp / "held"
    hold_dir.mkdir()
    moved = []
    for p in held:
        dest = hold_dir / p.name
        shutil.move(str(p), dest)
        moved.append(dest)
    desk = Desk(tmp / "c.db")
    desk.ingest([tmp / "src"])
    return desk, moved


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) >= 3]


def all_paragraphs(desk: Desk) -> list[Para]:
    """Every paragraph of the database (the brute-force baseline scans them all)."""
    out = []
    for c in desk.store.iter_cables():
        paras = [p for p in c.paragraphs if p.text.strip()]
        out += [Para(c.id, p.n, pos, p.text) for pos, p in enumerate(paras)]
    return out


def perturb(rng: random.Random, s: str) -> str:
    """One or two reporter's edits of a sentence."""
    words = s.split()
    for op in rng.sample(["case", "punct", "gap", "bracket", "word", "trim", "quote"], rng.choice([1, 2])):
        if op == "case":
            words = [w.lower() if rng.random() < 0.5 else w.capitalize() for w in words]
        elif op == "punct":
            words = [w.strip(",;:") for w in words]
        elif op == "gap" and len(words) >= 12:
            i = rng.randrange(3, len(words) - 6)
            words = words[:i] + ["..."] + words[i + rng.randint(2, 4) :]
        elif op == "bracket" and words:
            w = words[0]
            words[0] = f"[{w[0].upper()}]{w[1:]}" if len(w) > 1 else w
        elif op == "word" and len(words) >= 6:
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        elif op == "trim" and len(words) >= 10:
            words = words[rng.randint(1, 3) :]
        elif op == "quote":
            words = [w.replace("’", "'").replace("'", "’") for w in words]
    return " ".join(words)


def samples(desk: Desk, held: list[Path], n: int, rng: random.Random) -> tuple[list, list]:
    """(positives [(quote, id, pos)], negatives [quote]) of 4-40 words."""
    paras = [p for p in all_paragraphs(desk) if len(p.text.split()) >= 12]
    pos = []
    while len(pos) < n:
        p = rng.choice(paras)
        sents = [s for s in _sentences(p.text) if 4 <= len(s.split()) <= 40]
        if sents:
            pos.append((perturb(rng, rng.choice(sents)), p.id, p.pos))
    from cabledesk.readers import read_source
    from cabledesk.telegram import parse

    held_sents = []
    for path in held:
        for rec in read_source(path):
            cable = parse(rec)
            for p in cable.paragraphs:
                held_sents += [s for s in _sentences(p.text) if 4 <= len(s.split()) <= 40]
    # A held-out sentence that another cable repeats word for word is not a negative: drop those.
    held_sents = [s for s in held_sents if not _indexed(desk, s)]
    neg = [perturb(rng, s) for s in rng.sample(held_sents, min(n // 2, len(held_sents)))]
    while len(neg) < n:  # chimeras: first half of one indexed sentence + second half of another
        a = rng.choice(_sentences(rng.choice(paras).text)).split()
        b = rng.choice(_sentences(rng.choice(paras).text)).split()
        if len(a) >= 12 and len(b) >= 12:  # halves of equal weight: neither is "mostly a real quote"
            neg.append(" ".join(a[: len(a) // 2] + b[len(b) // 2 :]))
    return pos, neg


def _indexed(desk: Desk, sentence: str) -> bool:
    """Whether the sentence occurs word for word (folded) in some indexed paragraph."""
    import tantivy

    from cabledesk import textnorm

    ts = textnorm.terms(sentence)
    if not ts:
        return False
    q = (
        tantivy.Query.phrase_query(desk.index.schema, "text", ts)
        if len(ts) > 1
        else tantivy.Query.term_query(desk.index.schema, "text", ts[0])
    )
    return bool(desk.index.searcher("paragraphs").search(q, 1, count=False).hits)


def _parts(q: str) -> list[str]:
    got = extract(f"“{q}”")
    return got[0].parts if got else [q]


def calibrate(desk: Desk, held: list[Path], n: int) -> None:
    rng = random.Random(SEED)
    pos, neg = samples(desk, held, n, rng)
    m = Matcher(desk.index)
    P = []  # (words, score, right cable, right paragraph)
    for q, cid, ppos in pos:
        got = m.match(_parts(q))
        best = got[0] if got else None
        P.append(
            (
                len(q.split()),
                best.score if best else 0.0,
                bool(best and best.id == cid),
                bool(best and best.id == cid and best.pos == ppos),
            )
        )
    N = []
    for q in neg:
        got = m.match(_parts(q))
        N.append((len(q.split()), got[0].score if got else 0.0))
    print(f"positives {len(P)}, negatives {len(N)} (held-out cables {len(held)})\n")
    for min_words in (4, 5, 6):
        p_ = [x for x in P if x[0] >= min_words]
        n_ = [x for x in N if x[0] >= min_words]
        print(f"\nquotes of >= {min_words} words: {len(p_)} positives, {len(n_)} negatives")
        print(
            "| threshold | precision | recall (right cable) | right paragraph | false matches of negatives |"
        )
        print("|---|---|---|---|---|")
        for t in (60, 65, 70, 75, 80, 82, 85, 88, 90, 92, 95):
            tp = sum(1 for _, s, ok, _ in p_ if s >= t and ok)
            fp = sum(1 for _, s, ok, _ in p_ if s >= t and not ok) + sum(1 for _, s in n_ if s >= t)
            tpp = sum(1 for _, s, _, okp in p_ if s >= t and okp)
            fneg = sum(1 for _, s in n_ if s >= t)
            prec = tp / (tp + fp) if tp + fp else 1.0
            print(f"| {t} | {prec:.3f} | {tp / len(p_):.3f} | {tpp / len(p_):.3f} | {fneg}/{len(n_)} |")
    print("\ntop-1 right cable for positives by length (any score):")
    for lo, hi in ((4, 4), (5, 5), (6, 7), (8, 12), (13, 40)):
        xs = [x for x in P if lo <= x[0] <= hi]
        ys = [x for x in N if lo <= x[0] <= hi]
        if xs:
            print(
                f"- {lo}-{hi} words: {sum(x[2] for x in xs)}/{len(xs)} right cable; median score pos "
                f"{statistics.median(x[1] for x in xs):.1f}, neg {statistics.median(y[1] for y in ys) if ys else 0:.1f}"
            )


def article(desk: Desk, held: list[Path], rng: random.Random) -> tuple[str, list[str]]:
    """A ~1,000-word article: 10 perturbed quotes from indexed cables amid held-out prose."""
    pos, neg = samples(desk, held, 80, rng)
    pos = pos[:10]
    filler = " ".join(neg).split()
    paras, k = [], 0
    for q, _, _ in pos:
        lead = " ".join(filler[k : k + 70])
        k += 70
        paras.append(f"{lead}. The cable said: “{q}” Officials declined to comment.")
    text = "\n\n".join(paras)
    words = len(text.split())
    if words < 1000:
        text += "\n\n" + " ".join((filler * 3)[k : k + 1000 - words]) + "."
    return text, [q for q, _, _ in pos]


def latency(desk: Desk, held: list[Path], runs: int) -> None:
    rng = random.Random(SEED + 1)
    text, quotes = article(desk, held, rng)
    matcher = Matcher(desk.index)
    trace(desk, text, matcher=matcher)  # warm caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = trace(desk, text, matcher=matcher)
        times.append((time.perf_counter() - t0) * 1000)
    # Baseline: rapidfuzz's own scan (process.extractOne, partial_ratio) of every paragraph, folded
    # beforehand (folding not timed), each quote part by part.
    paras = all_paragraphs(desk)
    folded = [fold(p.text) for p in paras]
    quoted = [q for q in res.quotes if q.status != "too_short"]
    t0 = time.perf_counter()
    brute = []
    for q in quoted:
        best = [process.extractOne(fold(part), folded, scorer=fuzz.partial_ratio) for part in q.quote.parts]
        brute.append(max(best, key=lambda b: b[1]) if best else None)
    brute_ms = (time.perf_counter() - t0) * 1000
    agree = sum(
        1
        for b, q in zip(brute, quoted, strict=True)
        if b and q.matches and (paras[b[2]].id, paras[b[2]].pos) == (q.matches[0].id, q.matches[0].pos)
    )
    med = statistics.median(times)
    qtimes = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for q in extract(res.text):
            match_quote(matcher, q)
        qtimes.append((time.perf_counter() - t0) * 1000)
    qmed = statistics.median(qtimes)
    print(
        "| bench | corpus | article | quotes | trace median | quote matching only | brute-force scan | ratio "
        "(scan / quote matching) | same top-1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| trace 1,000-word article | {desk.store.count():,} cables / {len(paras):,} paragraphs | "
        f"{len(text.split()):,} words | {len(res.quotes)} ({res.counts()['matched']} matched) | "
        f"{med:.0f} ms | {qmed:.0f} ms ({qmed / max(1, len(quoted)):.0f} ms a quote) | {brute_ms:.0f} ms | "
        f"{brute_ms / qmed:.0f}x | {agree}/{len(brute)} |"
    )


def scale_latency(db: Path, runs: int) -> None:
    """Median and worst trace time of a 1,000-word, 10-quote article on an existing database."""
    rng = random.Random(SEED + 2)
    with Desk(db, readonly=True) as desk:
        ids = sorted(desk.store.ids())
        cables = desk.store.get_many(rng.sample(ids, 400))
        paras = [Para(c.id, p.n, pos, p.text) for c in cables.values()
                 for pos, p in enumerate(x for x in c.paragraphs if x.text.strip())]  # fmt: skip
        sents = [s for p in paras if len(p.text.split()) >= 12 for s in _sentences(p.text)]
        quotes = []
        while len(quotes) < 10:
            p = rng.choice(paras)
            cand = [s for s in _sentences(p.text) if 8 <= len(s.split()) <= 40]
            if cand:
                quotes.append(perturb(rng, rng.choice(cand)))
        filler = " ".join(rng.sample(sents, 200)).replace("“", "").replace("”", "").replace('"', "").split()
        text = "\n\n".join(
            f"{' '.join(filler[k * 70 : k * 70 + 70])}. The cable said: “{q}” Officials declined to comment."
            for k, q in enumerate(quotes)
        )
        matcher = Matcher(desk.index)
        t0 = time.perf_counter()
        trace(desk, text, matcher=matcher)
        first = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            res = trace(desk, text, matcher=matcher)
            times.append((time.perf_counter() - t0) * 1000)
        print("| bench | corpus | article | quotes | first run | trace median | worst |")
        print("|---|---|---|---|---|---|---|")
        print(f"| trace 1,000-word article | {len(ids):,} cables | {len(text.split()):,} words | "
              f"{len(res.quotes)} ({res.counts()['matched']} matched) | {first:.0f} ms | "
              f"{statistics.median(times):.0f} ms | {max(times):.0f} ms |")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("-n", type=int, default=400, help="positives (and negatives) for --calibrate")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--db", type=Path, help="time trace on this existing database instead")
    args = ap.parse_args()
    if args.db:
        scale_latency(args.db, args.runs)
        return 0
    with tempfile.TemporaryDirectory(prefix="cabledesk-trace-") as tmp:
        desk, held = build(Path(tmp))
        with desk:
            if args.calibrate:
                calibrate(desk, held, args.n)
            else:
                latency(desk, held, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
