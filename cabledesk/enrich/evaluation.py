"""Score extraction and alias merging against the hand-labelled cables in ``tests/enrich/labels``.

Exact match: same paragraph, same start and end, same type. Lenient match: same paragraph and type,
spans overlap (each gold span and each predicted span is used once). Alias accuracy: share of the
labelled alias groups (forms of one person in one cable) whose mentions all land in one entity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cabledesk.enrich.ner import Extractor, Span
from cabledesk.model import Cable

TYPES = ("person", "org", "place")

Key = tuple[str, int]  # (cable id, paragraph position)
Item = tuple[int, int, str]  # (start, end, type)


@dataclass
class Counts:
    """True positives, false positives and false negatives of one type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
        }  # fmt: skip


@dataclass
class Report:
    """Exact and lenient counts per type and overall."""

    exact: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in (*TYPES, "all")})
    lenient: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in (*TYPES, "all")})

    def as_dict(self) -> dict[str, Any]:
        return {
            "exact": {t: c.as_dict() for t, c in self.exact.items()},
            "lenient": {t: c.as_dict() for t, c in self.lenient.items()},
        }


def load_labels(folder: Path) -> list[dict[str, Any]]:
    """Every ``<ID>.json`` label file in ``folder``, sorted by id."""
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]


def gold_spans(labels: Iterable[dict[str, Any]]) -> dict[Key, list[Item]]:
    """{(cable id, paragraph): [(start, end, type)]} from label files."""
    out: dict[Key, list[Item]] = {}
    for lab in labels:
        for p, spans in lab["paragraphs"].items():
            out[(lab["id"], int(p))] = [(s["start"], s["end"], s["type"]) for s in spans]
    return out


def predict(extractor: Extractor, cables: Iterable[Cable], keys: set[Key]) -> dict[Key, list[Item]]:
    """Run the extractor on whole cables, keep the labelled paragraphs."""
    out: dict[Key, list[Item]] = {k: [] for k in keys}
    for cable, spans in extractor.extract(cables):
        for s in spans:
            k = (cable.id, s.paragraph)
            if k in out:
                out[k].append((s.start, s.end, s.type))
    return out


def score(gold: dict[Key, list[Item]], pred: dict[Key, list[Item]]) -> Report:
    """Precision, recall and F1 per type, exact and lenient."""
    rep = Report()
    for key, g in gold.items():
        p = pred.get(key, [])
        gs, ps = set(g), set(p)
        for t in TYPES:
            gt = {x for x in gs if x[2] == t}
            pt = {x for x in ps if x[2] == t}
            tp = len(gt & pt)
            for c in (rep.exact[t], rep.exact["all"]):
                c.tp += tp
                c.fp += len(pt) - tp
                c.fn += len(gt) - tp
            used: set[Item] = set()
            ltp = 0
            for a in sorted(gt):
                hit = next((b for b in sorted(pt) if b not in used and b[0] < a[1] and a[0] < b[1]), None)
                if hit is not None:
                    used.add(hit)
                    ltp += 1
            for c in (rep.lenient[t], rep.lenient["all"]):
                c.tp += ltp
                c.fp += len(pt) - len(used)
                c.fn += len(gt) - ltp
    return rep


def alias_accuracy(
    labels: Iterable[dict[str, Any]], entity_of: dict[tuple[str, int, int, int], str]
) -> dict[str, Any]:
    """Share of labelled alias groups merged into one entity, given {(cable, para, start, end): entity}.

    A group counts as merged when every gold mention of its forms that the pipeline found carries the
    same entity id (and at least two forms were found); ``found`` says how many groups could be judged.
    """
    groups = merged = judged = 0
    for lab in labels:
        for forms in lab["aliases"]:
            groups += 1
            ids = set()
            seen_forms = set()
            for p, spans in lab["paragraphs"].items():
                for s in spans:
                    if s["text"] in forms:
                        eid = entity_of.get((lab["id"], int(p), s["start"], s["end"]))
                        if eid is not None:
                            ids.add(eid)
                            seen_forms.add(s["text"])
            if len(seen_forms) >= min(2, len(forms)):
                judged += 1
                merged += len(ids) == 1
    return {
        "groups": groups,
        "judged": judged,
        "merged": merged,
        "accuracy": round(merged / judged, 4) if judged else 0.0,
    }


def spans_by_key(cable: Cable, spans: list[Span]) -> dict[Key, list[Item]]:
    """Group one cable's spans by paragraph (helper for tests)."""
    out: dict[Key, list[Item]] = {}
    for s in spans:
        out.setdefault((cable.id, s.paragraph), []).append((s.start, s.end, s.type))
    return out
