"""Run the NER model only where it can matter: small windows around capitalised words it has not settled.

spaCy's small English NER reads a few tokens each side of a word (its CNN encoder), so cutting a
paragraph into windows around the words that could be (part of) a name and feeding only those gives
nearly the model's own answer at a fraction of the cost. A memo shipped with cabledesk
(``data/entity_memo.json``, built by :mod:`cabledesk.enrich.memo_build` from the model's own answers
on whole paragraphs) settles the capitalised words the model always treats the same way: "President"
or "September" never start a window, "Iran" alone is a place without asking. The memo is frozen, so
a cable's entities never depend on which cables were enriched before it. Figures: docs/entities.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from cabledesk.enrich import cable_ruler as cr

_CHUNK = re.compile(r"\S+")
_LEAD = "(\"'“‘[<«*-"
_TRAIL = re.compile(r"(?:['’][sS]?)?[,;:!?)\"'’”\]>»*]*$")
_SENT_END = re.compile(r"[.!?:;]['\"’”)]*$")
_XXX = re.compile(r"^[xX]{4,}")
#: Lower-case words that may sit inside a name ("Bank of Mexico", "Gutierrez de la Fuente").
CONNECTORS = frozenset(
    "of de del la le los las el al bin ibn van von der du da di dos das y and for the".split()
)

# memo classes
OUT, PERSON, ORG, PLACE, PARTIAL = range(5)
_CLASS_OF_LABEL = {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}
_LABEL_OF_CLASS = {PERSON: "PERSON", ORG: "ORG", PLACE: "GPE"}
UNSETTLED = -1

Ent = tuple[int, int, str]  # (start, end, spaCy label) in paragraph coordinates


@dataclass(slots=True)
class Plan:
    """What to do with one paragraph: character windows for the model, entities settled by the memo."""

    windows: list[tuple[int, int]] = field(default_factory=list)
    settled: list[Ent] = field(default_factory=list)
    #: (chunk start, chunk core end) of capitalised words inside windows, for learning afterwards
    probes: list[tuple[int, int, int, bool]] = field(default_factory=list)  # (start, end, window, in a run)
    runs: list[tuple[int, int, int, int]] = field(default_factory=list)  # (start, end, first, last chunk)
    run_probes: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, window)


class Planner:
    """Chooses the model's windows per paragraph; in build mode, counts the model's answers for the memo.

    Capitalised words are grouped into runs (neighbours, or joined by "of", "de"...). A whole run
    the memo knows ("United States", "President Karzai") gets the model's usual entities for it. In
    a longer run, words the model never put inside an entity there ("President" in "President
    Karzai") are set aside; what is left must be one word the memo settles alone (outside, person, org,
    place), else the model reads a window of ``window`` words each side of every word left.
    """

    def __init__(self, window: int = 2, memo: Memo | None = None, learn: bool = False) -> None:
        self.window = window
        self.memo = memo if memo is not None else (Memo() if learn else load_memo())
        self.learning = learn
        # build mode: counts of the model's answers
        self.iso: dict[str, list[int]] = {}  # word alone: [outside, person, org, place, other]
        self.run: dict[str, list[int]] = {}  # word in a longer run: [outside, inside an entity]
        self.phrases: dict[str, tuple[tuple[Ent, ...] | None, int]] = {}  # run: (entities, times seen)
        self._static: dict[str, int] = {}
        for p in cr.ruler_patterns():
            pat = p["pattern"]
            if isinstance(pat, list) and len(pat) == 1 and isinstance(pat[0].get("TEXT"), str):
                self._static[pat[0]["TEXT"]] = _CLASS_OF_LABEL.get(p["label"], UNSETTLED)
        self.model_words = 0  # words sent to the model
        self.all_words = 0

    def _static_o(self, core: str, sentence_start: bool) -> bool:
        return (
            (sentence_start and core.lower() in cr._stop_words())
            or core.upper() in _NOISE_UPPER
            or _XXX.match(core) is not None
        )

    def verdict(self, core: str) -> int:
        """O, PERSON, ORG or PLACE when ``core`` standing alone is settled; UNSETTLED otherwise."""
        static = self._static.get(core)
        if static is not None:
            return static
        return self.memo.alone.get(core, UNSETTLED)

    def plan(self, text: str) -> Plan:
        """Windows (character ranges) to run the model on and memo-settled entities for ``text``.

        In build mode the whole paragraph is one window and every capitalised word a probe.
        """
        chunks = [(m.start(), m.end()) for m in _CHUNK.finditer(text)]
        n = len(chunks)
        self.all_words += n
        cores: list[tuple[int, int] | None] = [None] * n
        sentence_start = True
        for i, (a, b) in enumerate(chunks):
            s = a
            while s < b and text[s] in _LEAD:
                s += 1
            m = _TRAIL.search(text, s, b)
            e = m.start() if m else b
            if e - s > 1 and text[e - 1] == "." and "." not in text[s : e - 1]:
                e -= 1  # sentence-final dot ("Mexico."), kept in "U.S."
            if s < e and text[s].isupper():
                start = sentence_start or (a > 0 and text[a - 1] == "\n")
                if not self._static_o(text[s:e], start):
                    cores[i] = (s, e)
            sentence_start = _SENT_END.search(text, a, b) is not None
        # runs of linked capitalised words
        runs: list[list[int]] = []
        i = 0
        while i < n:
            if cores[i] is None:
                i += 1
                continue
            run = [i]
            j = i
            while True:
                if j + 1 < n and cores[j + 1] is not None:
                    j += 1
                elif (
                    j + 2 < n
                    and cores[j + 2] is not None
                    and text[chunks[j + 1][0] : chunks[j + 1][1]] in CONNECTORS
                ):
                    j += 2
                else:
                    break
                run.append(j)
            runs.append(run)
            i = j + 1
        plan = Plan()
        trig = [False] * n
        role = [False] * n  # True: in a run of several words (learned as such)
        for run in runs:
            members = run
            if len(run) > 1:
                rs, re_ = cores[run[0]][0], cores[run[-1]][1]  # type: ignore[index]
                plan.runs.append((rs, re_, run[0], run[-1]))
                for k in run:
                    role[k] = True
                if self.learning:
                    members = run
                else:
                    known = self.memo.phrases.get(text[rs:re_])
                    if known is not None:
                        plan.settled.extend((a + rs, b + rs, label) for a, b, label in known)
                        continue
                    members = [k for k in run if _core(text, cores[k]) not in self.memo.outside]
            if not members:
                continue
            if len(members) == 1 and not self.learning:
                v = self.verdict(_core(text, cores[members[0]]))
                if v != UNSETTLED:
                    if v != OUT:
                        s0, e0 = cores[members[0]]  # type: ignore[misc]
                        plan.settled.append((s0, e0, _LABEL_OF_CLASS[v]))
                    continue
            for k in members:
                trig[k] = True
        covered = [self.learning] * n
        W = n if self.learning else self.window
        for i in range(n):
            if trig[i]:
                for j in range(max(0, i - W), min(n, i + W + 1)):
                    covered[j] = True
        i = 0
        while i < n:
            if not covered[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and covered[j + 1]:
                j += 1
            widx = len(plan.windows)
            plan.windows.append((chunks[i][0], chunks[j][1]))
            for rs, re_, first, last in plan.runs:
                if (first - i >= W or i == 0) and (j - last >= W or j == n - 1) and i <= first and last <= j:
                    plan.run_probes.append((rs, re_, widx))
            self.model_words += j - i + 1
            for k in range(i, j + 1):
                core = cores[k]
                # learn only from words with full context: not at a cut window edge
                inner = (k - i >= W or i == 0) and (j - k >= W or j == n - 1)
                if core is not None and inner:
                    plan.probes.append((core[0], core[1], widx, role[k]))
            i = j + 1
        if plan.settled and plan.windows:  # the model's answer wins inside its windows
            plan.settled = [x for x in plan.settled if not any(a <= x[0] < b for a, b in plan.windows)]
        return plan

    def learn(self, text: str, plan: Plan, widx: int, ents: list[Ent]) -> None:
        """Record the model's answer (``ents`` in paragraph coordinates) for the probes of window ``widx``."""
        if not self.learning:
            return
        for s, e, w, in_run in plan.probes:
            if w != widx:
                continue
            cls = OUT
            for a, b, label in ents:
                if a < e and s < b:
                    kind = _CLASS_OF_LABEL.get(label)
                    if kind is None:
                        continue
                    cls = kind if (a, b) == (s, e) and cls == OUT else PARTIAL
            core = text[s:e]
            table = self.run if in_run else self.iso
            c = table.get(core)
            if c is None:
                c = table[core] = [0, 0] if in_run else [0, 0, 0, 0, 0]
            if in_run:
                c[cls != OUT] += 1
            else:
                c[cls] += 1
        for rs, re_, w in plan.run_probes:
            if w != widx:
                continue
            inside: list[Ent] | None = []
            for a, b, label in ents:
                if a < re_ and rs < b and label in _CLASS_OF_LABEL:
                    if a < rs or b > re_:
                        inside = None  # the model's entity leaves the run: never settle it
                        break
                    inside.append((a - rs, b - rs, label))  # type: ignore[union-attr]
            key = text[rs:re_]
            got = tuple(inside) if inside is not None else None
            old = self.phrases.get(key)
            if old is None:
                self.phrases[key] = (got, 1)
            elif old[0] is not None:
                self.phrases[key] = (got, old[1] + 1) if old[0] == got else (None, 0)

    def freeze(self, min_seen: int = 3, share: float = 0.95) -> Memo:
        """The memo of what was counted: answers given at least ``min_seen`` times, ``share`` of the time."""
        alone = {}
        for k, c in self.iso.items():
            total = sum(c)
            best = max(range(4), key=c.__getitem__)
            if total >= min_seen and c[best] >= total * share:
                alone[k] = best
        outside = frozenset(
            k
            for k, (out, inside) in self.run.items()
            if out + inside >= min_seen and inside <= (1 - share) * (out + inside)
        )
        phrases = {k: ents for k, (ents, n) in self.phrases.items() if ents is not None and n >= min_seen}
        return Memo(alone, outside, phrases)

    @property
    def model_share(self) -> float:
        """Share of words the model has read so far (1.0 = every word)."""
        return self.model_words / self.all_words if self.all_words else 0.0


@dataclass
class Memo:
    """Frozen answers of the model: words settled alone, words outside entities in runs, whole runs."""

    alone: dict[str, int] = field(default_factory=dict)
    outside: frozenset[str] = frozenset()
    phrases: dict[str, tuple[Ent, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``data/entity_memo.json``."""
        names = {OUT: "O", PERSON: "PERSON", ORG: "ORG", PLACE: "GPE"}
        return {
            "alone": {k: names[v] for k, v in sorted(self.alone.items())},
            "outside": sorted(self.outside),
            "phrases": {k: [list(e) for e in v] for k, v in sorted(self.phrases.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Memo:
        """Inverse of :meth:`to_json`."""
        classes = {"O": OUT, "PERSON": PERSON, "ORG": ORG, "GPE": PLACE}
        return cls(
            {k: classes[v] for k, v in data["alone"].items()},
            frozenset(data["outside"]),
            {k: tuple((int(a), int(b), str(c)) for a, b, c in v) for k, v in data["phrases"].items()},
        )


@lru_cache(maxsize=1)
def load_memo() -> Memo:
    """The memo shipped in ``cabledesk/data/entity_memo.json`` (empty when absent)."""
    f = resources.files("cabledesk.data").joinpath("entity_memo.json")
    if not f.is_file():
        return Memo()
    return Memo.from_json(json.loads(f.read_text("utf-8")))


def _core(text: str, span: tuple[int, int] | None) -> str:
    assert span is not None
    return text[span[0] : span[1]]


_NOISE_UPPER = frozenset(
    """SIPDIS NOFORN SBU REF REFS REFTEL SUMMARY COMMENT END NOTE CONFIDENTIAL SECRET UNCLASSIFIED TAGS
    SUBJECT PARA PARAS SEPTEL FOUO DECL CLASSIFIED""".split()
)
