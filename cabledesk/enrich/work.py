"""The per-cable work of ``enrich`` (extraction, then clustering into heads), inline or on worker processes.

Each worker process keeps one :class:`~cabledesk.enrich.ner.Extractor` (the model, the true-caser and
the planner's memo) for the whole run and returns only the small per-cable results; the parent
process reads cables and writes rows. Results come back in input order (see
:func:`cabledesk.parallel.ordered_map`), so a parallel run writes what a serial run writes, except
that each worker's memo has seen a different share of the cables.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from cabledesk.enrich import aliases as al
from cabledesk.enrich.ner import Extractor, TrueCase
from cabledesk.model import Cable

#: (cable id, content hash, origin, created ISO date, heads): what ``EntityStore.write_cables`` takes.
Result = tuple[str, str, str | None, str | None, list[al.Head]]
#: Cables per task sent to a worker: large enough to batch the model, small enough to stream.
CHUNK = 16


@dataclass
class WorkStats:
    """CPU seconds spent on extraction in all processes, and words the model read out of all words."""

    cpu_seconds: float = 0.0
    model_words: int = 0
    all_words: int = 0
    load_seconds: float = 0.0  # part of cpu_seconds: workers loading the model and true-caser (once each)

    def add(self, cpu: float, model_words: int, all_words: int, load: float = 0.0) -> None:
        self.cpu_seconds += cpu
        self.model_words += model_words
        self.all_words += all_words
        self.load_seconds += load


def analyse(extractor: Extractor, cables: Iterable[Cable]) -> Iterator[Result]:
    """Entities of each cable, clustered into heads with their resolution nodes, in input order."""
    for cable, spans in extractor.extract(cables):
        cb = cable.classified_by
        heads = al.cluster_cable(
            spans,
            origin=cable.origin,
            signer=cable.signer,
            classified_by=(cb.name, cb.title) if cb else None,
        )
        for h in heads:
            h.node = al.node_of(h.type, h.key, cable.origin)
        created = cable.created.isoformat() if cable.created else None
        yield cable.id, cable.content_hash(), cable.origin, created, heads


@lru_cache(maxsize=2)
def _worker_extractor(truecase: TrueCase) -> Extractor:
    ex = Extractor(truecase=truecase)
    if truecase == "statistical":  # load it now (timed as loading), not at the first ALL-CAPS paragraph
        from cabledesk.enrich.cable_ruler import _statistical_truecaser

        _statistical_truecaser()
    return ex


def analyse_chunk(
    payload: tuple[TrueCase, list[Cable]],
) -> tuple[list[Result], tuple[float, int, int, float]]:
    """A worker's task: one chunk of cables in, their results (and CPU seconds, words read) out."""
    truecase, cables = payload
    t = time.process_time()
    ex = _worker_extractor(truecase)
    load = time.process_time() - t  # non-zero on a worker's first task only
    m0, a0 = ex.words_read()
    results = list(analyse(ex, cables))
    m1, a1 = ex.words_read()
    return results, (time.process_time() - t, m1 - m0, a1 - a0, load)


def analyse_parallel(
    cables: Iterable[Cable], truecase: TrueCase, workers: int, stats: WorkStats | None = None
) -> Iterator[Result]:
    """:func:`analyse` on ``workers`` processes, results in input order."""
    from cabledesk.parallel import ordered_map

    def tasks() -> Iterator[tuple[int, tuple[TrueCase, list[Cable]]]]:
        chunk: list[Cable] = []
        for cable in cables:
            chunk.append(cable)
            if len(chunk) >= CHUNK:
                yield 0, (truecase, chunk)
                chunk = []
        if chunk:
            yield 0, (truecase, chunk)

    for _tag, (results, spent) in ordered_map(analyse_chunk, tasks(), workers, window=2 * workers + 2):
        if stats is not None:
            stats.add(*spent)
        yield from results
