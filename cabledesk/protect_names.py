"""Name handling for source protection: accent/case folding, name spans, and the variants of a person.

Used when the entity module (``cabledesk.enrich.entities``) offers no alias function, and always
for the folding that both detection and redaction rely on: a name must be found (and masked)
whether it is written ``Jean-François Ricard``, ``JEAN-FRANCOIS RICARD`` or wrapped over two lines.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Lower-case words that may sit inside a personal name ("Gomez de Olea", "Karl-Theodor zu Guttenberg").
PARTICLES = frozenset(
    "de del della der den di da das do dos du la le van von zu al el bin ibn ter y e".split()
)
#: Words that introduce a name but are not part of it (folded, no trailing dot).
TITLES = frozenset(
    """ambassador minister secretary general president prosecutor judge dr mr mrs ms mp dcm brigadier
    chairman chairwoman manager candidate director head chief officer consul deputy vice former senator
    governor advisor adviser counselor counsellor colonel col gen lt maj capt admiral chancellor king
    prince princess sheikh shaykh emir staff commander spokesman spokeswoman mayor professor prof rep
    representative undersecretary under assistant envoy charge cg ceo founder owner editor journalist
    lawyer attorney judge magistrate father bishop imam rabbi sir lord lady dame his her excellency
    foreign interior defense defence justice finance economy trade labor labour health""".split()
)
#: Capitalised words that start sentences or clauses and are never part of a name.
STOPWORDS = frozenset(
    """a an the but and or in on at of for from to by with as when while after before also however both
    our his her their its this that these those we he she they it according since during although
    though if then there here summary comment note end so yet one two three reftel ref per via
    january february march april may june july august september october november december monday
    tuesday wednesday thursday friday saturday sunday""".split()
)
PREPOSITIONS = frozenset("for of in from at to".split())
ARTICLES = frozenset("the a an".split())
#: Last words of organisations and places, never of a person.
ORG_WORDS = frozenset(
    """group society council house institute association unit union party ministry company bank
    chancellery embassy office committee commission agency court university foundation fund center
    centre chamber assembly parliament congress government administration service services""".split()
)

_TOKEN = re.compile(r"[^\s,;:()\[\]\"“”]+|[,;:()\[\]\"“”]")
_XRUN = re.compile(r"^[Xx]{3,}$")


def _fold_char(c: str) -> str:
    if c in "’‘`´":
        return "'"
    if c in "‐‑‒–—":
        return "-"
    d = unicodedata.normalize("NFKD", c)
    base = next((ch for ch in d if not unicodedata.combining(ch)), c) if d else c
    low = base.lower()
    return low[0] if low else c


_FOLD: dict[int, str] = {cp: chr(cp).lower() for cp in range(128)}


def fold(text: str) -> str:
    """Lower-case and strip accents without changing the length, so offsets map back to the original."""
    if text.isascii():
        return text.lower()
    for ch in set(text):
        cp = ord(ch)
        if cp not in _FOLD:
            _FOLD[cp] = _fold_char(ch)
    return text.translate(_FOLD)


def slug(name: str) -> str:
    """A stable key for a person: folded words joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", fold(name)))


def tokens(text: str) -> list[tuple[int, int, str]]:
    """Words and separators of ``text`` with their offsets."""
    return [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]


def _strip_possessive(tok: str) -> str:
    for s in ("'s", "’s", "'S", "’S"):
        if tok.endswith(s):
            return tok[: -len(s)]
    return tok.rstrip(".") if not re.fullmatch(r"(?:[A-Z]\.)+", tok) else tok


def is_name_token(tok: str, all_caps: bool = False) -> bool:
    """A capitalised word that can be part of a personal name (not a title, stopword or acronym)."""
    t = _strip_possessive(tok)
    if not t or not t[0].isalpha():
        return False
    f = fold(t).strip(".")
    if f in TITLES or f in STOPWORDS:
        return False
    if re.fullmatch(r"(?:[A-Z]\.)+", t):  # initials "J." "J.F."
        return True
    if re.fullmatch(r"(?:von|van|de|di|da|du|le|la|mc|mac|al)[A-Z][\w'’-]+", t):  # "vonLemden"
        return True
    if not t[0].isupper():
        return False
    if not all_caps and t.isupper() and len(t) > 1:  # an acronym in mixed-case text
        return False
    return bool(re.fullmatch(r"[^\W\d_][\w'’.-]*", t))


@dataclass(slots=True)
class Span:
    """A name (or redaction, or descriptor) found just before a protection marker."""

    start: int
    end: int
    text: str
    kind: str  # "name" | "redacted" | "descriptor"
    confidence: float


def _trailing_name(text: str, toks: list[tuple[int, int, str]], all_caps: bool) -> list[tuple[int, int, str]]:
    """The run of name tokens at the end of ``toks`` (particles allowed inside, titles stop it)."""
    run: list[tuple[int, int, str]] = []
    for s, e, t in reversed(toks):
        if run and t.endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", t) and fold(t).strip(".") not in TITLES:
            break  # "... Chavez. Juan Carlos Sanchez": the previous sentence ends here
        if is_name_token(t, all_caps):
            run.insert(0, (s, e, t))
            continue
        if run and t in PARTICLES:
            run.insert(0, (s, e, t))
            continue
        break
    while run and run[0][2] in PARTICLES:
        run.pop(0)
    if len(run) > 4:
        run = run[-4:]
    return run


def name_before(text: str, end: int) -> Span | None:
    """The protected person's span ending just before ``end`` (where a marker starts) in ``text``."""
    floor = max(0, end - 240)
    seg = text[floor:end]
    toks = [(s + floor, e + floor, t) for s, e, t in tokens(seg)]
    all_caps = sum(c.isupper() for c in seg) > 0.8 * max(1, sum(c.isalpha() for c in seg))
    if not toks:
        return None
    # 1. Already redacted by the publisher: one or more runs of X.
    xs: list[tuple[int, int]] = []
    for s, e, t in reversed(toks):
        if _XRUN.match(t.rstrip(",")):
            xs.insert(0, (s, e))
        else:
            break
    if xs:
        return Span(xs[0][0], xs[-1][1], text[xs[0][0]:xs[-1][1]], "redacted", 0.99)
    # 2. A name right before the marker ("Ricard (strictly protect)", "Maccotta's (protect)").
    run = _trailing_name(text, toks, all_caps)
    before_run = toks[: len(toks) - len(run)] if run else toks
    prev = before_run[-1][2] if before_run else ""
    if run and (fold(prev) in ARTICLES or fold(_strip_possessive(run[-1][2])) in ORG_WORDS
                or (len(run) == 1 and fold(prev) in PREPOSITIONS)):
        return _descriptor(text, toks)  # "the Chancellery", "a Julius Berger", "in Baku", "International Crisis Group"
    if run and len(run) == 1 and prev == ",":
        app = _appositive(text, toks, all_caps)  # "Gary vonLemden, Corporate Head, Europe, Citigoup"
        if app is not None:
            return app
    if run:
        if len(run) >= 3 and fold(prev) in PREPOSITIONS and run[1][2] not in PARTICLES:
            run = run[1:]  # "Candidate for Burton Ruth Smeeth": the first word is a place
        s, e = run[0][0], run[-1][0] + len(_strip_possessive(run[-1][2]))
        conf = 0.95 if len(run) > 1 or fold(prev).strip(".") in TITLES else 0.85
        return Span(s, e, text[s:e], "name", conf)
    # 3. Appositive: "Richard Teutten, head of HMG's Stabilization Unit (please protect)".
    app = _appositive(text, toks, all_caps)
    if app is not None:
        return app
    # 4. No name: keep the descriptor ("The Canadian Ambassador", "senior sources in the Chancellery").
    return _descriptor(text, toks)


def _descriptor(text: str, toks: list[tuple[int, int, str]]) -> Span | None:
    """The words before the marker back to a clause break: what is protected when no name is given."""
    words: list[tuple[int, int, str]] = []
    for s, e, t in reversed(toks):
        if t in {",", ";", ":", "(", ")", '"', "“", "”"} or t.endswith(".") or fold(t) in _DESC_STOP:
            break
        words.insert(0, (s, e, t))
        if len(words) >= 8:
            break
    if not words:
        return None
    s, e = words[0][0], words[-1][1]
    return Span(s, e, text[s:e], "descriptor", 0.6)


_DESC_STOP = frozenset("by with from that told said to according".split())


def _appositive(text: str, toks: list[tuple[int, int, str]], all_caps: bool) -> Span | None:
    """The name heading a comma chain that ends at the marker (two name words at least)."""
    seps = [i for i, (_, _, t) in enumerate(toks) if t in {";", ":", "(", ")"} or (t.endswith(".") and len(t) > 3)]
    stop = max(seps + [-1])
    commas = [i for i, (_, _, t) in enumerate(toks) if t == "," and i > stop]
    for ci in reversed(commas[-4:]):
        cand = _trailing_name(text, toks[:ci], all_caps)
        if len(cand) >= 2 and fold(cand[-1][2]) not in ORG_WORDS:
            s, e = cand[0][0], cand[-1][1]
            return Span(s, e, text[s:e], "name", 0.75)
    return None


@dataclass(slots=True)
class Person:
    """Someone to protect: display name, forms seen, and the variants to look for and to mask."""

    key: str
    display: str
    given: list[str] = field(default_factory=list)  # given names seen ("Jean-Francois", "J.")
    surname: str = ""  # "Ricard", "zu Guttenberg", "Gonzalez Mota"
    forms: set[str] = field(default_factory=set)  # every form seen before a marker
    aliases: list[str] = field(default_factory=list)  # from the entity module, when it has any
    entity_id: str | None = None
    watch: bool = False

    def surnames(self) -> list[str]:
        """Surname forms that may stand alone ("zu Guttenberg", "Guttenberg")."""
        out = [self.surname] if self.surname else []
        core = [w for w in self.surname.split() if w not in PARTICLES]
        if core and " ".join(core) != self.surname:
            out.append(" ".join(core))
        if len(core) > 1:
            out.append(core[-1])
        return [s for s in dict.fromkeys(out) if s]

    def full_forms(self) -> list[str]:
        """Given name(s) + surname forms, reversed forms and aliases."""
        out = set(self.forms) | set(self.aliases)
        for g in self.given:
            for s in self.surnames()[:1]:
                out.add(f"{g} {s}")
                out.add(f"{s}, {g}")
                if len(g) > 2 and not g.endswith("."):
                    out.add(f"{g[0]}. {s}")
        return sorted((f for f in out if " " in f.strip() or f in self.aliases), key=len, reverse=True)

    def mask_variants(self) -> list[str]:
        """Every string the export must mask for this person (longest first)."""
        return sorted(set(self.full_forms()) | set(self.surnames()) | self.forms, key=len, reverse=True)


def split_name(name: str) -> tuple[list[str], str]:
    """Given names and surname of a written name ("Karl-Theodor zu Guttenberg" -> (["Karl-Theodor"], "zu Guttenberg"))."""
    words = _strip_possessive(name.strip()).split()
    if len(words) <= 1:
        return [], " ".join(words)
    if len(words) >= 3 and words[1] in PARTICLES and not words[0].endswith("."):
        if re.fullmatch(r"[^\W\d_]+", words[0]) and len(words) == 3 and words[0] not in _COMMON_GIVEN:
            return [], " ".join(words)  # "Gomez de Olea": a compound surname, no given name
    i = 1
    while i < len(words) - 1 and (re.fullmatch(r"(?:[A-Z]\.)+", words[i]) or words[i] in _COMMON_GIVEN):
        i += 1
    return words[:i], " ".join(words[i:])


#: A few given names that are often second given names ("Juan Carlos", "Jose Luis", "Miguel Angel").
_COMMON_GIVEN = frozenset(
    "Carlos Luis Angel Maria Manuel Antonio Jose Juan Pablo Pedro Karl Anne Marie Jean Paul Pierre Louis".split()
)


def compatible_given(a: str, b: str) -> bool:
    """True when two given names can be the same person's ("J." and "Jean-Francois", accents aside)."""
    fa, fb = fold(a).strip("."), fold(b).strip(".")
    if not fa or not fb:
        return True
    if len(fa) == 1 or len(fb) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]?", fa) or re.fullmatch(r"(?:[a-z]\.)+[a-z]?", fb):
        return fa[0] == fb[0]
    return fa.replace("-", " ").split()[0] == fb.replace("-", " ").split()[0]


# -- the entity module, when present ---------------------------------------------------------------


@dataclass(slots=True)
class EntityHooks:
    """Alias / entity-id functions found in ``cabledesk.enrich.entities`` (None when absent)."""

    aliases: Callable[[str], list[str]] | None = None
    entity_id: Callable[[str], str | None] | None = None
    source: str = "fallback name matching (protect_names)"


@lru_cache(maxsize=1)
def entity_hooks() -> EntityHooks:
    """Look for the entity module's alias and id functions; fall back to our own matching."""
    try:
        mod: Any = importlib.import_module("cabledesk.enrich.entities")
    except Exception:  # noqa: BLE001 - absent or broken: fall back
        return EntityHooks()
    hooks = EntityHooks(source="cabledesk.enrich.entities")
    for n in ("aliases_of", "aliases_for", "aliases", "name_aliases"):
        fn = getattr(mod, n, None)
        if callable(fn):
            hooks.aliases = _safe_list(fn)
            hooks.source += f".{n}"
            break
    for n in ("entity_id", "entity_id_of", "entity_of", "resolve"):
        fn = getattr(mod, n, None)
        if callable(fn):
            hooks.entity_id = _safe_id(fn)
            hooks.source += f"+{n}"
            break
    if hooks.aliases is None and hooks.entity_id is None:
        return EntityHooks(source="fallback name matching (entities module has no alias function)")
    return hooks


def _safe_list(fn: Callable[..., Any]) -> Callable[[str], list[str]]:
    def call(name: str) -> list[str]:
        try:
            got = fn(name)
        except Exception:  # noqa: BLE001 - an entity bug must never stop protection
            return []
        if isinstance(got, str):
            return [got]
        try:
            return [str(getattr(a, "name", a)) for a in (got or [])]
        except TypeError:
            return []

    return call


def _safe_id(fn: Callable[..., Any]) -> Callable[[str], str | None]:
    def call(name: str) -> str | None:
        try:
            got = fn(name)
        except Exception:  # noqa: BLE001
            return None
        if got is None:
            return None
        return str(getattr(got, "id", got))

    return call


def variant_regex(variants: list[str]) -> re.Pattern[str] | None:
    """One folded-text regex for all variants: words joined by any whitespace/hyphen, whole words only."""
    parts = []
    for v in sorted({fold(v).strip() for v in variants if v and v.strip()}, key=len, reverse=True):
        words = re.split(r"[\s-]+", v)
        pat = r"[\s\-]+".join(re.escape(w).replace("\\.", r"\.?") for w in words if w)
        if pat:
            parts.append(pat)
    if not parts:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])")
