"""Build cabledesk/data/sample-cables.tar.xz: the 1,295 real cables bundled for `cabledesk demo`.

Each mirror page is cut down to what the mirror reader uses (the metadata table and the two
<pre> blocks, byte for byte); the navigation around them is dropped. Deterministic output.

    python tools/make_demo_sample.py ../shared/corpus/cablegate-2010-12-mirror.tar.gz
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "cabledesk" / "data" / "sample-cables.tar.xz"
PRE = re.compile(r"<code><pre>.*?</pre></code>", re.S)


def slim(page: str) -> str:
    """The metadata table and the telegram blocks of a mirror page, nothing else."""
    start = page.index("<table class='cable'>")
    end = page.index("</table>", start) + len("</table>")
    pres = PRE.findall(page)
    return ("<?xml version='1.0' encoding='utf-8' ?>\n<html><body>\n" + page[start:end] + "\n"
            + "\n".join(pres) + "\n</body></html>\n")


def main(src: str) -> None:
    pages: dict[str, bytes] = {}
    with tarfile.open(src, "r:*") as tf:
        for m in tf:
            if m.isfile() and m.name.endswith(".html"):
                f = tf.extractfile(m)
                assert f is not None
                rel = m.name.split("/", 1)[1]  # cable/YYYY/MM/ID.html
                pages[rel] = slim(f.read().decode("utf-8")).encode("utf-8")
    with tarfile.open(OUT, "w:xz", preset=9) as out:
        for rel in sorted(pages):
            info = tarfile.TarInfo("cablegate-2010-12-sample/" + rel)
            info.size = len(pages[rel])
            info.mtime = 1291939200  # 2010-12-10, the mirror's date
            out.addfile(info, io.BytesIO(pages[rel]))
    print(f"{len(pages)} cables -> {OUT} ({OUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/cablegate-2010-12-mirror.tar.gz")
