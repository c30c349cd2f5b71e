"""Cable knowledge the statistical model lacks: titles, acronyms, true-casing, span clean-up.

The model reads newspaper English; cables write ``Undersecretary for Governance Gutierrez Fernandez``,
``PolCouns``, ``GOM`` and whole bodies in capitals. This module holds that knowledge as data and
small pure functions, so :mod:`cabledesk.enrich.ner` stays a thin driver around spaCy.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

#: Words that make a preceding phrase a title or role ("Undersecretary for Governance", "NAS Director").
TITLE_WORDS: frozenset[str] = frozenset(
    w.lower()
    for w in """
    President Vice Prime Minister Ministers FM DefMin ForMin FonMin Secretary Undersecretary Under-Secretary
    Subsecretary Sub-Secretary Deputy Assistant Ambassador Amb Amb. Ambassador-designate DCM Charge Chargé
    d'Affaires A/S U/S DAS PDAS S/P Counselor Consul Consul-General CG PolCouns PolOff Poloff Poloffs
    EconCouns Econoff Econoffs PolMilOff Emboff Emboffs Conoff RSO LegAtt Attache Attaché Director
    Director-General DG Coordinator Advisor Adviser Spokesman Spokeswoman Spokesperson Chief Head Chairman
    Chairwoman Chair Commissioner Commander Governor Gov. Mayor Senator Sen. Representative Rep.
    Congressman Congresswoman Deputy Speaker Leader General Gen. Gen Admiral Adm. Adm Colonel Col. Col
    Lieutenant Lt. Major Maj. Captain Capt. Brigadier Marshal King Queen Prince Princess Emir Sheikh
    Sultan Shah Imam Ayatollah Cardinal Bishop Pope Judge Justice Prosecutor Attorney AG DAG Ombudsman
    Officer Officers Official Envoy Representative Delegate Rapporteur Presidente Secretario Ministro
    Senador Diputado Gobernador Embajador Mr. Mr Mrs. Mrs Ms. Ms Dr. Dr Prof. Professor Sir Lord Dame
    Pres. Sec. SecState SecDef Treasurer Comptroller Auditor President-elect ex-President Former former
    Acting Interim Executive Managing Senior Principal Special Political Economic Military Press Public
    """.split()
)

#: Honorifics and ranks stripped from the front of a person span (never part of the name).
_LEADING_TITLE = frozenset(
    w.lower()
    for w in """
    President Vice Prime Minister FM DefMin ForMin FonMin Secretary Undersecretary Ambassador Amb Amb.
    DCM Charge Chargé PolCouns Poloff Poloffs Econoff Emboff Emboffs Director Coordinator Chief General
    Gen. Gen Admiral Adm. Adm Colonel Col. Col Lieutenant Lt. Major Maj. Captain Capt. King Queen Prince
    Emir Sheikh Sultan Imam Ayatollah Judge Senator Sen. Representative Rep. Governor Gov. Mayor Mr. Mr
    Mrs. Mrs Ms. Ms Dr. Dr Prof. Professor Sir Lord Dame Deputy Speaker Chairman Chairwoman Commissioner
    Codel CODEL Staffdel ex-President Former former Acting Interim President-elect DG AG DAG SYG Attache
    """.split()
)

#: Spans the model tags as persons that are roles, not people.
ROLE_ONLY = frozenset(
    w.lower() for w in TITLE_WORDS | {"POTUS", "SecState", "Codel", "Staffdel", "XXXXXXXXXXXX"}
)

_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'’]*")
_POSSESSIVE = re.compile(r"(?:['’][sS]|['’]|,s)$")
_KEEP_DOT = frozenset({"ltd.", "co.", "inc.", "corp.", "jr.", "sr.", "st.", "bros."})

#: Words of a title phrase that the model sometimes glues to the front of a name.
TITLE_VOCAB = frozenset(
    """governance security affairs foreign defense defence interior justice finance economy economics
    planning planner planer policy nonproliferation disarmament intelligence political economic public
    national international trade energy health education development legal consular military naval
    armed forces staff cabinet presidency committee commission council federal state regional""".split()
)

#: Cable furniture and generic words the model tags as names.
NOT_NAMES = frozenset(
    """embassy department post state country team government working group westerner mission consulate
    the embassy the department emboff emboffs poloff poloffs econoff codel staffdel""".split()
) | {"country team", "working group", "the government"}


@lru_cache(maxsize=1)
def ruler_patterns() -> list[dict[str, Any]]:
    """EntityRuler patterns shipped in ``cabledesk/data/entity_patterns.jsonl`` (acronyms, places)."""
    text = resources.files("cabledesk.data").joinpath("entity_patterns.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def acronyms() -> frozenset[str]:
    """Upper-case tokens that stay upper when an ALL-CAPS text is true-cased."""
    out = {"US", "U.S.", "UK", "UN", "EU", "USSR", "GDP", "DCM", "NGO", "NGOS", "HVT", "HVTS", "DTO", "DTOS"}
    for p in ruler_patterns():
        pat = p["pattern"]
        if isinstance(pat, list):
            for tok in pat:
                t = tok.get("TEXT")
                if isinstance(t, str) and t.isupper():
                    out.add(t)
    return frozenset(out)


def is_all_caps(text: str, threshold: float = 0.8) -> bool:
    """True when most letters are capitals: the model misses names there unless we true-case."""
    letters = sum(map(str.isalpha, text))  # map over str methods: C speed
    if letters < 12:
        return False
    return sum(map(str.isupper, text)) / letters >= threshold


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    extra = """said says told noted added asked stated believed claimed reported according also will would
    could should may might must new old last next first second third week month year years today
    government ministry officials official embassy post comment summary end note met meet meets
    percent million billion report reports meeting meetings security political economic military foreign
    national international public private issue issues support country countries people party""".split()
    return frozenset(STOP_WORDS) | frozenset(extra)


def truecase_simple(text: str) -> str:
    """Same-length true-casing: acronyms stay upper, common words lower, other words Title-case."""
    acr = acronyms()
    stop = _stop_words()

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in acr or (len(w) <= 3 and w.endswith(".")):
            return w
        low = w.lower()
        if low in stop or low.rstrip("'’s") in stop:
            return low
        return w[0].upper() + low[1:]

    out = _WORD.sub(fix, text)
    return out


@lru_cache(maxsize=1)
def _statistical_truecaser() -> Any:
    """The ``truecase`` package's model (76 MB, loaded once); ImportError when not installed."""
    from truecase import get_truecaser  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return get_truecaser()


def truecase_statistical(text: str) -> str:
    """Same-length true-casing with the ``truecase`` package's n-gram model (offline, slower)."""
    tc = _statistical_truecaser()
    acr = acronyms()
    words = list(_WORD.finditer(text))
    tokens = [m.group(0) for m in words]
    cased = tc.get_true_case_from_tokens(tokens, out_of_vocabulary_token_option="title") if tokens else []
    parts: list[str] = []
    last = 0
    for m, new in zip(words, cased, strict=True):
        w = m.group(0)
        if w in acr or len(new) != len(w):
            new = w if w in acr else w[0] + w[1:].lower()
        parts.append(text[last : m.start()])
        parts.append(new)
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def clean_person_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim leading titles and a trailing possessive off a person span; None if only a title is left."""
    return _clean_span(text, start, end, strip_titles=True)


def clean_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim a leading "the", a trailing possessive and punctuation off an org or place span."""
    return _clean_span(text, start, end, strip_titles=False)


def _clean_span(text: str, start: int, end: int, *, strip_titles: bool) -> tuple[int, int] | None:
    span = text[start:end]
    # trailing possessive and punctuation
    m = _POSSESSIVE.search(span)
    if m and m.start() > 0:
        end = start + m.start()
        span = text[start:end]
    while span and (
        span[-1] in " ,;:-–—(\"“”'’"
        or (
            span[-1] == "."
            and "." not in span.split(" ")[-1][:-1]
            and span.split(" ")[-1].lower() not in _KEEP_DOT
        )
    ):
        end -= 1
        span = text[start:end]
    while span and span[0] in " ,;:-–—)\"“”'’(":
        start += 1
        span = text[start:end]
    words = span.split(" ")
    dropped = 0
    for w in words[:-1]:
        lw = w.lower().strip(",")
        if lw == "the" or (strip_titles and (lw in _LEADING_TITLE or lw in TITLE_VOCAB)):
            dropped += len(w) + 1
            continue
        break
    start += dropped
    span = text[start:end]
    if strip_titles:
        # "Tony Garcia NAS": a trailing acronym belongs to the next title, not to the name
        parts = span.split(" ")
        while len(parts) > 1 and parts[-1].isupper() and not span.isupper() and len(parts[-1]) >= 2:
            end -= len(parts.pop()) + 1
        span = text[start:end]
    if not span.strip():
        return None
    low = span.lower()
    if low in NOT_NAMES or low in ROLE_ONLY or low.rstrip(".") in ROLE_ONLY or re.match(r"^[xX]{4,}", span):
        return None
    return start, end


_TITLE_TAIL = re.compile(
    r"((?:(?:[A-Z][\w’'/.&-]*|[a-z]?/[A-Z]\w*|for|of|the|and|on|de|del|to|in|\([A-Z]{2,}\))\s+){1,9})$"
)


def title_before(text: str, start: int, floor: int = 0) -> str | None:
    """The title written just before a name ("Undersecretary for Governance"), if any.

    ``floor`` is where the previous entity ended, so a title never swallows an earlier name.
    """
    window = text[max(floor, start - 120) : start]
    m = _TITLE_TAIL.search(window)
    if not m:
        return None
    words = m.group(1).split()
    if words[-1][0].islower():  # "Deputy for Iran", "Ambassador in Tehran": a place after a title
        return None
    while words and (words[0][0].islower() or words[0].startswith("(") or words[0].lower() == "the"):
        words.pop(0)
    while words and (words[-1][0].islower() or words[-1].startswith("(")):
        words.pop()
    if not any(w.lower().rstrip(",.") in TITLE_WORDS for w in words):
        return None
    title = " ".join(words).strip(" ,.")
    if title.lower().rstrip(".") in {"mr", "mrs", "ms", "dr", "former", "acting"}:
        return None
    return title or None
