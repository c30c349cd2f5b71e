"""Build ``cabledesk/data/entity_memo.json``: the NER model's settled answers on a corpus.

Usage: ``python -m cabledesk.enrich.memo_build DB [OUT]`` runs the model on every paragraph of every
cable in the database (whole paragraphs, no planner shortcuts), counts what it answered for each
capitalised word and run of words, and writes the answers given at least ``--min-seen`` times with
at least ``--share`` agreement. Shipped file: built from the 1,295 cables of the shared corpus.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from cabledesk.enrich.ner import Extractor, TrueCase
from cabledesk.enrich.planner import Memo, Planner
from cabledesk.model import Cable
from cabledesk.store import open_store


def build(cables: Iterator[Cable], truecase: TrueCase, min_seen: int = 3, share: float = 0.95) -> Memo:
    """Count the model's answers on ``cables`` (whole paragraphs) and freeze them into a memo."""
    planner = Planner(learn=True)
    ex = Extractor(truecase=truecase, planner=planner)
    for _cable, _spans in ex.extract(cables):
        pass
    return planner.freeze(min_seen, share)


def main() -> None:
    """Command-line entry point (see the module docstring)."""
    from cabledesk.enrich.entities import default_truecase

    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument(
        "out", type=Path, nargs="?", default=Path(__file__).parents[1] / "data" / "entity_memo.json"
    )
    ap.add_argument("--min-seen", type=int, default=3)
    ap.add_argument("--share", type=float, default=0.95)
    args = ap.parse_args()
    store = open_store(args.db, readonly=True)
    ids = sorted(store.ids())

    def cables() -> Iterator[Cable]:
        for i in range(0, len(ids), 200):
            got = store.get_many(ids[i : i + 200])
            yield from (got[c] for c in ids[i : i + 200] if c in got)

    memo = build(cables(), default_truecase(), args.min_seen, args.share)
    args.out.write_text(
        json.dumps(memo.to_json(), ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8"
    )
    print(
        f"{len(memo.alone)} words alone, {len(memo.outside)} words outside runs, {len(memo.phrases)} runs -> {args.out}"
    )


if __name__ == "__main__":
    main()
