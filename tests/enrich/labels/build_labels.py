"""Turn the hand annotations (annotations.txt) into one JSON label file per cable.

The annotations list each mention's text and type in reading order; this script only finds the
character offsets of those texts in the parsed paragraphs (word-bounded, left to right) and fails
loudly when a text is not there. It never runs the model. Usage:
    python tests/enrich/labels/build_labels.py DB_WITH_THE_SHARED_CORPUS
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from cabledesk.store import open_store

HERE = Path(__file__).parent
TYPES = {"P": "person", "O": "org", "L": "place"}


def parse(path: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    cur: dict | None = None
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("# "):
            continue
        if line.startswith("## "):
            cur = {"id": line[3:].strip(), "paragraphs": {}, "aliases": []}
            out[cur["id"]] = cur
        elif line.startswith("= ") and cur is not None:
            cur["aliases"].append([f.strip() for f in line[2:].split("|")])
        elif line.startswith("[") and cur is not None:
            idx, _, rest = line[1:].partition("]")
            items = [i.strip() for i in rest.split(";") if i.strip()]
            cur["paragraphs"][int(idx)] = [i.split("|") for i in items]
    return out


def locate(text: str, items: list[list[str]]) -> list[dict]:
    pos = 0
    spans = []
    for item in items:
        mention, t = item[0], item[1]
        skip = int(item[2]) if len(item) > 2 else 0
        rx = re.compile(r"(?<!\w)" + re.escape(mention) + r"(?!\w)")
        for _ in range(skip + 1):
            m = rx.search(text, pos)
            if m is None:
                raise SystemExit(f"not found: {mention!r} after {pos} in {text[:80]!r}")
            pos = m.end()
        spans.append({"start": m.start(), "end": m.end(), "text": mention, "type": TYPES[t]})
    return spans


def main(db: str) -> None:
    store = open_store(db, readonly=True)
    for cid, ann in parse(HERE / "annotations.txt").items():
        cable = store.get(cid)
        paras = {
            str(idx): locate(cable.paragraphs[idx].text, items)
            for idx, items in sorted(ann["paragraphs"].items())
        }
        doc = {
            "id": cid,
            "note": "paragraph keys are 0-based positions in Cable.paragraphs; offsets index Paragraph.text",
            "content_hash": cable.content_hash(),
            "paragraphs": paras,
            "aliases": ann["aliases"],
        }
        (HERE / f"{cid}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
