"""Ingest benchmark: cables/s, MB/s and peak RSS of `cabledesk ingest`, against a bare tantivy insert.

    python bench/ingest.py [SOURCE] [--repeat N]

SOURCE defaults to ../shared/corpus/cablegate-2010-12-mirror.tar.gz. Both runs happen in child
processes of this script, one after the other in the same run, so the ratio is fair on a noisy
machine: (1) the full pipeline (read, parse, store, index) through the real CLI; (2) a bare tantivy
insert of the same telegram text (id + text field, same writer heap), read with the same reader so
that only parse/store/index work differs. Peak RSS is each child's own (wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "corpus" / "cablegate-2010-12-mirror.tar.gz"

RAW_SCRIPT = r"""
import sys, time, json, tantivy
from pathlib import Path
from cabledesk.readers import read_source
src, out = Path(sys.argv[1]), sys.argv[2]
Path(out).mkdir(parents=True, exist_ok=True)
sb = tantivy.SchemaBuilder()
sb.add_text_field("id", stored=True, tokenizer_name="raw")
sb.add_text_field("text", stored=False)
index = tantivy.Index(sb.build(), path=out)
writer = index.writer(heap_size=256_000_000, num_threads=2)
n = nbytes = 0
t0 = time.perf_counter()
for rec in read_source(src):
    if rec.error:
        continue
    text = (rec.header or "") + "\n\n" + rec.body
    writer.add_document(tantivy.Document(id=rec.meta.get("id", rec.item), text=text))
    n += 1
    nbytes += len(text.encode("utf-8"))
writer.commit()
writer.wait_merging_threads()
print(json.dumps({"cables": n, "bytes": nbytes, "seconds": time.perf_counter() - t0}))
"""


def run_child(cmd: list[str]) -> tuple[float, int, str]:
    """Run a child; return (wall seconds, peak RSS in MB, stdout)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"{cmd[:3]} failed with status {status}: {text[-500:]}")
    return wall, usage.ru_maxrss // 1024, text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", nargs="?", default=str(DEFAULT_SOURCE))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    src = Path(args.source)
    rows = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            wall, rss, out = run_child([sys.executable, "-m", "cabledesk", "ingest", str(src),
                                        "--db", str(db), "--json"])
            summary = json.loads(out.strip().splitlines()[-1])
            raw_wall, raw_rss, raw_out = run_child([sys.executable, "-c", RAW_SCRIPT, str(src),
                                                    str(Path(tmp) / "raw")])
            raw = json.loads(raw_out.strip().splitlines()[-1])
            db_mb = sum(f.stat().st_size for f in Path(tmp).glob("bench.db*") if f.is_file()) / 1e6
            idx_mb = sum(f.stat().st_size for f in (Path(tmp) / "bench.db.index").rglob("*") if f.is_file()) / 1e6
        n = summary["ingested"] + summary["duplicate"] + summary["updated"]
        mb = raw["bytes"] / 1e6
        rows.append({
            "cables": n, "failed": summary["failed"], "text_mb": round(mb, 1),
            "seconds": round(wall, 2), "cables_per_s": round(n / wall, 1), "mb_per_s": round(mb / wall, 2),
            "peak_rss_mb": rss, "raw_seconds": round(raw_wall, 2), "raw_cables_per_s": round(raw["cables"] / raw_wall, 1),
            "raw_peak_rss_mb": raw_rss, "ratio_to_raw": round((n / wall) / (raw["cables"] / raw_wall), 3),
            "db_mb": round(db_mb, 1), "index_mb": round(idx_mb, 1),
        })
    best = max(rows, key=lambda r: r["cables_per_s"])
    print(json.dumps(best))
    print(
        f"| {date.today()} | {src.name} | {best['cables']:,} | {best['cables_per_s']:,} cables/s | "
        f"{best['mb_per_s']} MB/s | {best['peak_rss_mb']} MB | raw tantivy {best['raw_cables_per_s']:,} cables/s | "
        f"ratio {best['ratio_to_raw']} | db {best['db_mb']} MB, index {best['index_mb']} MB |"
    )


if __name__ == "__main__":
    main()
