"""Post spellings: FM lines to page origin names, class-line posts to reference-id codes."""

from __future__ import annotations

import gzip
import re

from conftest_paths import MANIFEST

from cabledesk.origins import origin_from_fm, post_code


def test_fm_spellings_map_to_the_mirror_origin_names() -> None:
    assert origin_from_fm("AMEMBASSY MEXICO") == "Embassy Mexico"
    assert origin_from_fm("AMCONSUL RIO DE JANEIRO") == "Consulate Rio De Janeiro"
    assert origin_from_fm("SECSTATE WASHDC") == "Secretary of State"
    assert origin_from_fm("USMISSION USNATO") == "Mission USNATO"
    assert origin_from_fm("USINT HAVANA") == "US Interests Section Havana"


def test_post_codes_name_real_posts_of_the_full_release() -> None:
    with gzip.open(MANIFEST, "rt") as f:
        codes = {m.group(1) for line in f if (m := re.match(r"^\d{2}([A-Z]+)\d+,", line))}
    for name in ("SAO PAULO", "SECSTATE WASHDC", "USMISSION USNATO", "RPO DUBAI", "UNVIE VIENNA", "TEL AVIV"):
        assert post_code(name) in codes, name
