"""From mentions to entities: one person under every spelling, title, capitalisation and surname.

Two steps. :func:`cluster_cable` groups one cable's mentions into local heads (the longest name
wins: "Gutierrez" and "Gutierrez Fernandez" join "Geronimo Gutierrez Fernandez"; the signer
"FEELEY" joins "John Feeley" from the Classified By line). :func:`resolve` links heads across cables:
the same full name anywhere; a surname alone only to the one full name that carries it in cables of
the same post within two years; curated short forms (FCH) from ``data/entity_aliases.json``; then
the user's merge and split decisions, in order.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from cabledesk.enrich.ner import Span

_PUNCT = re.compile(r"[^\w\s'&/+-]")
_SPACES = re.compile(r"\s+")
#: Organisation names that mean a different body in each country: scoped to the cable's post.
_GENERIC_ORG = re.compile(
    r"^(go[a-z]|mfa|mofa|mod|moi|moj|fonoff|fonmin|parliament|congress|senate|cabinet|government|"
    r"national police|federal police|supreme court|constitutional court|central bank|foreign ministry|"
    r"ministry of .*|.*ministry|national assembly|presidency|army|navy|air force|police|"
    r"attorney general'?s office|prosecutor'?s office|interior ministry)$"
)


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Accent-free, lower-case, punctuation-light form used as a matching key."""
    t = unicodedata.normalize("NFKD", text.replace("’", "'"))
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    t = _PUNCT.sub(" ", t)
    t = re.sub(r"^the\s+", "", t)
    return _SPACES.sub(" ", t).strip()


def name_tokens(key: str) -> tuple[str, ...]:
    """Tokens of a person key without initials ("susan e rice" -> susan, rice)."""
    return tuple(t for t in key.split() if len(t) > 1)


def is_short_form(short: Sequence[str], long: Sequence[str]) -> bool:
    """``short`` names the same person as ``long``: an ordered subset, not the first name alone."""
    if not short or len(short) >= len(long):
        return False
    if len(short) == 1 and short[0] == long[0]:
        return False
    it = iter(long)
    return all(any(t == u for u in it) for t in short)


@dataclass(slots=True)
class Mention:
    """A mention kept with its cable position; paragraph None for the signature / Classified By."""

    paragraph: int | None
    start: int | None
    end: int | None
    text: str
    source: str = "text"  # text | signer | classified_by


@dataclass(slots=True)
class Head:
    """One entity as seen inside one cable: its best name, forms and mentions."""

    local_id: int
    type: str
    key: str  # folded longest form
    display: str
    forms: set[str] = field(default_factory=set)  # folded forms seen in this cable
    mentions: list[Mention] = field(default_factory=list)
    titles: list[tuple[str, str]] = field(default_factory=list)  # (title, source)
    node: str = ""


@lru_cache(maxsize=1)
def curated() -> list[dict[str, Any]]:
    """The curated alias table shipped with cabledesk."""
    text = resources.files("cabledesk.data").joinpath("entity_aliases.json").read_text("utf-8")
    return list(json.loads(text)["entities"])


def curated_key(etype: str, key: str, origin: str | None) -> str | None:
    """The canonical key for a curated short form in a cable of ``origin``, if any."""
    return _curated_forms(etype, origin).get(key)


@lru_cache(maxsize=1024)
def _curated_forms(etype: str, origin: str | None) -> dict[str, str]:
    """{folded short form: canonical key} for one type in cables of ``origin`` (first entry wins)."""
    out: dict[str, str] = {}
    for e in curated():
        if e["type"] != etype:
            continue
        forms = {fold(a) for a in e.get("aliases", [])}
        if e.get("posts") and origin and any(p.lower() in origin.lower() for p in e["posts"]):
            forms |= {fold(a) for a in e.get("local_aliases", [])}
        for f in forms:
            out.setdefault(f, fold(e["name"]))
    return out


def cluster_cable(
    spans: Iterable[Span],
    *,
    origin: str | None,
    signer: str | None = None,
    classified_by: tuple[str | None, str | None] | None = None,
) -> list[Head]:
    """Group one cable's mentions into heads (see the module docstring)."""
    heads: list[Head] = []
    items: list[tuple[str, str, Mention, str | None]] = []  # type, key, mention, title
    defs: list[tuple[str, str, str]] = []  # (type, acronym key, long key)
    for s in spans:
        key = fold(s.text)
        if key:
            items.append((s.type, key, Mention(s.paragraph, s.start, s.end, s.text), s.title))
            if s.acronym_for:
                defs.append((s.type, key, fold(s.acronym_for)))
    if classified_by and classified_by[0]:
        name = classified_by[0].strip()
        if len(name) > 2 and key_ok(name):
            items.append(
                ("person", fold(name), Mention(None, None, None, name, "classified_by"), classified_by[1])
            )
    if signer:
        sig = " ".join(dict.fromkeys(signer.split()))  # "BRUSH BRUSH" -> "BRUSH"
        if key_ok(sig):
            items.append(("person", fold(sig), Mention(None, None, None, sig, "signer"), None))
    by_type: dict[str, list[tuple[str, Mention, str | None]]] = defaultdict(list)
    for etype, key, m, t in items:
        ck = curated_key(etype, key, origin)
        if ck is None:  # the model may have the type wrong: a curated form of another type wins
            for other in ("person", "org", "place"):
                if other != etype and (ck := curated_key(other, key, origin)) is not None:
                    etype = other
                    break
        by_type[etype].append((ck or key, m, t))
    for etype, group in by_type.items():
        keys = sorted({k for k, _m, _t in group}, key=lambda k: (-len(name_tokens(k)), -len(k), k))
        owner: dict[str, Head] = {}
        local: list[Head] = []
        for k in keys:
            target: Head | None = None
            if etype == "person":
                cands = [h for h in local if is_short_form(name_tokens(k), name_tokens(h.key))]
                if len({h.key for h in cands}) == 1:
                    target = cands[0]
            if target is None:
                target = Head(len(heads) + len(local), etype, k, "")
                local.append(target)
            target.forms.add(k)
            owner[k] = target
        for k, m, t in group:
            h = owner[k]
            h.mentions.append(m)
            if t:
                h.titles.append((t, m.source))
        heads.extend(local)
    if defs:
        _link_acronyms(heads, defs, origin)
    for h in heads:
        h.display = best_display(h)
    return [h for h in heads if h.mentions]


def key_ok(name: str) -> bool:
    """A signer or Classified By value that is a name (not "Ambassador", not a redaction)."""
    return bool(re.search(r"[A-Za-z]{2,}", name)) and "XXXX" not in name.upper()


def _link_acronyms(heads: list[Head], defs: list[tuple[str, str, str]], origin: str | None) -> None:
    """Fold the head of an acronym the cable defines ("Attorney General's Office (PGR)") into its long form."""
    by_form = {(h.type, f): h for h in heads for f in h.forms}
    for etype, acr, long in defs:
        a = by_form.get((etype, curated_key(etype, acr, origin) or acr))
        b = by_form.get((etype, curated_key(etype, long, origin) or long))
        if a is None or b is None or a is b:
            continue
        b.forms |= a.forms
        b.mentions.extend(a.mentions)
        b.titles.extend(a.titles)
        a.mentions = []
        for f in a.forms:
            by_form[(etype, f)] = b


def best_display(h: Head) -> str:
    """The nicest surface form of a head's key: mixed case first, then the most frequent."""
    texts = [m.text for m in h.mentions if fold(m.text) == h.key] or [m.text for m in h.mentions]
    if not texts:
        return h.key.title()
    counts: dict[str, int] = defaultdict(int)
    for t in texts:
        counts[t] += 1
    return max(counts, key=lambda t: (not t.isupper(), any(ord(c) > 127 for c in t), counts[t], len(t)))


def node_of(etype: str, key: str, origin: str | None) -> str:
    """The resolution node of a head: full names are global, bare surnames and generic orgs per post."""
    post = (origin or "?").strip()
    if etype == "person" and len(name_tokens(key)) < 2:
        return f"person:{key}@{post}"
    if etype == "org" and _GENERIC_ORG.match(key):
        return f"org:{key}@{post}"
    return f"{etype}:{key}"


def entity_id(node: str) -> str:
    """Stable id derived from the canonical node: P-/O-/L- plus 10 hex digits."""
    prefix = {"person": "P", "org": "O", "place": "L"}[node.split(":", 1)[0]]
    return f"{prefix}-{hashlib.sha1(node.encode('utf-8')).hexdigest()[:10]}"


@dataclass(slots=True)
class NodeInfo:
    """What resolution knows about one node: its type, key, posts and years, and org forms."""

    type: str
    key: str
    posts: dict[str, set[int]] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    count: int = 0


class _UF:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def auto_edges(nodes: dict[str, NodeInfo]) -> list[tuple[str, str]]:
    """Links found without the user: surname -> unique full name of the same post and period; org forms."""
    edges: list[tuple[str, str]] = []
    by_token: dict[str, list[str]] = defaultdict(list)
    for n, info in nodes.items():
        if info.type == "person" and len(name_tokens(info.key)) >= 2:
            for t in set(name_tokens(info.key)):
                by_token[t].append(n)
    for n, info in nodes.items():
        if info.type == "person":
            toks = name_tokens(info.key)
            if not toks:
                continue
            cands = [
                c
                for c in by_token.get(toks[-1], ())
                if c != n and is_short_form(toks, name_tokens(nodes[c].key))
            ]
            if len(toks) < 2:  # a bare surname: same post, within two years
                cands = [c for c in cands if _near(info, nodes[c])]
            if len(toks) >= 2:  # a shorter full name: unique longer one anywhere
                pass
            keys = {nodes[c].key for c in cands}
            if len(keys) == 1:
                edges.extend((c, n) for c in cands)
        elif info.type == "org":
            for f in info.forms:
                if f == info.key:
                    continue
                for other in (f"org:{f}", *(f"org:{f}@{p}" for p in info.posts)):
                    if other in nodes:
                        edges.append((n, other))
    return edges


def _near(short: NodeInfo, long: NodeInfo) -> bool:
    for post, years in short.posts.items():
        other = long.posts.get(post)
        if other and any(abs(a - b) <= 2 for a in years for b in other):
            return True
    return False


def resolve(nodes: dict[str, NodeInfo], decisions: Sequence[tuple[str, str, str]]) -> dict[str, str]:
    """{node: canonical node} after automatic links and the user's (kind, a, b) decisions in order."""
    edges = auto_edges(nodes)
    user: list[tuple[str, str]] = []
    isolated: set[str] = set()
    for kind, a, b in decisions:
        if kind == "merge":
            user.append((a, b))
            isolated.discard(a)
            isolated.discard(b)
        elif kind == "split":
            isolated.add(b)
            user = [(x, y) for x, y in user if b not in (x, y)]
    uf = _UF()
    for n in nodes:
        uf.find(n)
    for a, b in edges:
        if a not in isolated and b not in isolated:
            uf.union(a, b)
    for a, b in user:
        if a in nodes and b in nodes:
            uf.union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[uf.find(n)].append(n)
    canon: dict[str, str] = {}
    for members in groups.values():
        best = max(members, key=lambda m: (len(name_tokens(nodes[m].key)), nodes[m].count, "@" not in m, m))
        for m in members:
            canon[m] = best
    return canon
