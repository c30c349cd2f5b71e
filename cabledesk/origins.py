"""Post names: FM-line spellings to the conventional origin names and reference-id post codes.

The mirror's origin column ("Embassy Mexico", "Secretary of State") is the truth; the telegram
writes the same post as ``FM AMEMBASSY MEXICO`` and the id writes it as ``MEXICO``. The rules
below were learned by comparing FM lines with page origins on the 1,295 real cables; the
special table holds only spellings that the general rules get wrong.
"""

from __future__ import annotations

import re

#: FM-line addressee (upper case, single spaces) -> conventional origin name.
_SPECIAL_ORIGINS: dict[str, str] = {
    "SECSTATE WASHDC": "Secretary of State",
    "SECSTATE WASHINGTON DC": "Secretary of State",
    "USMISSION USNATO": "Mission USNATO",
    "USMISSION UNVIE VIENNA": "UNVIE",
    "USINT HAVANA": "US Interests Section Havana",
    "USEU BRUSSELS": "USEU Brussels",
    "RPO DUBAI": "Iran RPO Dubai",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "AMEMBASSY KIEV": "Embassy Kyiv",  # the page uses the post's later spelling
}

#: Posts (as written in the classification line) whose conventional name is not "Embassy X".
_SPECIAL_POSTS: dict[str, str] = {
    "STATE": "Secretary of State",
    "SECSTATE": "Secretary of State",
    "USNATO": "Mission USNATO",
    "UNVIE VIENNA": "UNVIE",
    "UNVIE": "UNVIE",
    "USEU BRUSSELS": "USEU Brussels",
    "RPO DUBAI": "Iran RPO Dubai",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "HAVANA": "US Interests Section Havana",
    "KIEV": "Embassy Kyiv",
}

#: Posts that are consulates (used only when there is no FM line to say so).
CONSULATES: frozenset[str] = frozenset(
    {
        "ADANA",
        "ALEXANDRIA",
        "AUCKLAND",
        "BARCELONA",
        "BELFAST",
        "CALCUTTA",
        "CALGARY",
        "CAPE TOWN",
        "CASABLANCA",
        "CHENGDU",
        "CHENNAI",
        "CHIANG MAI",
        "CIUDAD JUAREZ",
        "CURACAO",
        "DHAHRAN",
        "DUBAI",
        "DURBAN",
        "DUSSELDORF",
        "FLORENCE",
        "FRANKFURT",
        "FUKUOKA",
        "GUADALAJARA",
        "GUANGZHOU",
        "GUAYAQUIL",
        "HALIFAX",
        "HAMBURG",
        "HAMILTON",
        "HERMOSILLO",
        "HO CHI MINH CITY",
        "HONG KONG",
        "HYDERABAD",
        "ISTANBUL",
        "IZMIR",
        "JEDDAH",
        "JERUSALEM",
        "JOHANNESBURG",
        "KARACHI",
        "KOLKATA",
        "KRAKOW",
        "LAGOS",
        "LAHORE",
        "LEIPZIG",
        "MADRAS",
        "MARSEILLE",
        "MATAMOROS",
        "MELBOURNE",
        "MERIDA",
        "MILAN",
        "MONTERREY",
        "MONTREAL",
        "MUMBAI",
        "MUNICH",
        "NAGOYA",
        "NAHA",
        "NAPLES",
        "NOGALES",
        "NUEVO LAREDO",
        "OSAKA KOBE",
        "PERTH",
        "PESHAWAR",
        "PONTA DELGADA",
        "QUEBEC",
        "RECIFE",
        "RIO DE JANEIRO",
        "SAO PAULO",
        "SAPPORO",
        "SHANGHAI",
        "SHENYANG",
        "ST PETERSBURG",
        "STRASBOURG",
        "SURABAYA",
        "SYDNEY",
        "THESSALONIKI",
        "TIJUANA",
        "TORONTO",
        "VANCOUVER",
        "VLADIVOSTOK",
        "YEKATERINBURG",
    }
)

#: Posts whose id code is not simply the name without spaces.
_SPECIAL_CODES: dict[str, str] = {
    "SECSTATE WASHDC": "STATE",
    "SECSTATE WASHINGTON DC": "STATE",
    "SECSTATE": "STATE",
    "USMISSION USNATO": "USNATO",
    "USMISSION UNVIE VIENNA": "UNVIEVIENNA",
    "USINT HAVANA": "HAVANA",
    "USMISSION GENEVA": "GENEVA",
    "USUN NEW YORK": "USUNNEWYORK",
    "USMISSION USUN NEW YORK": "USUNNEWYORK",
}

_PREFIXES = (("AMEMBASSY ", "Embassy "), ("AMCONSUL ", "Consulate "), ("USMISSION ", "Mission "))
_SPACES = re.compile(r"\s+")
_NON_LETTERS = re.compile(r"[^A-Z]")


def _key(name: str) -> str:
    return _SPACES.sub(" ", name.strip().upper()).strip(" ./")


def _title(place: str) -> str:
    """'PORT AU PRINCE' -> 'Port Au Prince': the mirror capitalises every word."""
    return " ".join(w.capitalize() for w in place.split())


def origin_from_fm(fm: str | None) -> str | None:
    """Conventional origin name for an FM line ('AMEMBASSY MEXICO' -> 'Embassy Mexico')."""
    if not fm:
        return None
    key = _key(fm)
    if not key:
        return None
    if key in _SPECIAL_ORIGINS:
        return _SPECIAL_ORIGINS[key]
    for prefix, name in _PREFIXES:
        if key.startswith(prefix):
            return name + _title(key[len(prefix) :])
    return _title(key)


def origin_from_post(post: str | None) -> str | None:
    """Best conventional origin for a post named only in the classification line (no FM line)."""
    if not post:
        return None
    key = _key(post)
    if not key:
        return None
    if key in _SPECIAL_POSTS:
        return _SPECIAL_POSTS[key]
    if key in CONSULATES:
        return "Consulate " + _title(key)
    return "Embassy " + _title(key)


def post_code(name: str | None) -> str | None:
    """The id spelling of a post: 'SAO PAULO' -> 'SAOPAULO', 'SECSTATE WASHDC' -> 'STATE'."""
    if not name:
        return None
    key = _key(name)
    if key in _SPECIAL_CODES:
        return _SPECIAL_CODES[key]
    for prefix in ("AMEMBASSY ", "AMCONSUL ", "USMISSION "):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    code = _NON_LETTERS.sub("", key)
    return code or None
