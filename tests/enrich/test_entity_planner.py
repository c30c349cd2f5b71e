"""The throughput work of issue 6: the planner (model windows + frozen memo) and parallel enrichment.

Quality is guarded by test_entities_eval.py (F1 on the labelled set, which runs the planner); these
tests prove the mechanisms on real cables: the model reads a fraction of the words, its answers are
kept, the memo is frozen data, and worker processes write what a serial run writes.
"""

from __future__ import annotations

from pathlib import Path

import test_entities_kit as kit

from cabledesk.desk import Desk
from cabledesk.enrich import entities as ent
from cabledesk.enrich import entity_read
from cabledesk.enrich.ner import Extractor
from cabledesk.enrich.planner import OUT, Memo, Planner, load_memo
from cabledesk.enrich.work import WorkStats
from cabledesk.store import SQLiteStore

ent_store = kit.ent_store
ent_db = kit.ent_db

MIXED_CASE = ["09MEXICO2882", "10MEXICO83", "05PARIS3118", "07ANKARA1091", "07LAPAZ383"]


def _spans(ex: Extractor, store: SQLiteStore, ids: list[str]) -> set[tuple[str, int, int, int, str]]:
    cables = [store.get(i) for i in ids]
    return {(c.id, s.paragraph, s.start, s.end, s.type) for c, spans in ex.extract(cables) for s in spans}


def test_planner_sends_the_model_under_40_percent_of_the_words_and_keeps_nine_in_ten_exact_answers(
    ent_store: SQLiteStore,
) -> None:
    ids = [*MIXED_CASE, "00HARARE6677"]  # one ALL-CAPS body, true-cased first
    whole = _spans(Extractor(truecase="statistical", planner=None), ent_store, ids)
    planner = Planner()
    planned = _spans(Extractor(truecase="statistical", planner=planner), ent_store, ids)
    assert planner.model_share < 0.4, planner.model_share
    # the differences are mostly boundary cases both ways; F1 against the labels is unchanged (eval test)
    agree = len(whole & planned) / len(whole | planned)
    assert agree >= 0.88, (agree, sorted(whole ^ planned)[:20])


def test_memo_settles_words_the_model_always_treats_alike_and_round_trips_through_json() -> None:
    memo = load_memo()
    assert "President" in memo.outside or memo.alone.get("President") == OUT
    assert memo.alone.get("September") == OUT
    assert len(memo.alone) > 1000 and len(memo.phrases) > 100
    assert Memo.from_json(memo.to_json()) == memo


def test_a_settled_word_alone_is_tagged_without_the_model_and_a_run_goes_to_the_model() -> None:
    planner = Planner(memo=Memo(alone={"Tijuana": 3, "Mines": 1}, outside=frozenset({"Ambassador"})))
    text = "They flew to Tijuana on the morning flight, met Ambassador Mines at noon. NAS Director Jones joined later."
    plan = planner.plan(text)
    settled = {text[a:b]: label for a, b, label in plan.settled}
    assert settled == {"Tijuana": "GPE", "Mines": "PERSON"}
    windows = [text[a:b] for a, b in plan.windows]
    assert any("Jones" in w and "NAS" in w for w in windows)
    assert not any("Tijuana" in w for w in windows)


def test_enrich_on_two_worker_processes_writes_what_a_serial_run_writes(tmp_path: Path, cable_page) -> None:
    results = []
    for workers in (1, 2):
        with Desk(tmp_path / f"w{workers}.db") as desk:
            desk.ingest([cable_page(i) for i in MIXED_CASE])
            stats = WorkStats()
            summary = ent.enrich(desk.store, n_process=workers, stats=stats)
            assert summary.processed == len(MIXED_CASE)
            assert stats.cpu_seconds > 0 and 0 < stats.model_words < stats.all_words
            results.append({i: entity_read.entities_for_cable(desk.store, i) for i in MIXED_CASE})
    assert results[0] == results[1]
