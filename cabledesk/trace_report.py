"""The trace report as HTML: each quote with its cable excerpt, differences marked, and cable links.

One Jinja fragment (``trace_result.html``) serves both the standalone file of
``cabledesk trace --html`` and the web page ``/trace``. Everything is autoescaped (articles and
cables are hostile text) and the report runs no script at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from cabledesk.trace import TraceResult
from cabledesk.trace_match import SUBJECT

TEMPLATES_DIR = Path(__file__).with_name("web") / "templates"

#: Report styles: inlined in the standalone file, served as /trace/report.css on the web (CSP-safe).
CSS = """
.trace{max-width:60rem;margin:0 auto;font:15px/1.5 system-ui,sans-serif;color:#1b1f24}
.trace h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.trace .summary{color:#444}
.trace ol.quotes{padding-left:1.5rem}
.trace li.quote{margin:0 0 1.1rem;padding:.6rem .8rem;border-left:4px solid #bbb;background:#fafafa}
.trace li.quote.matched{border-color:#2e7d32}
.trace li.quote.unmatched{border-color:#c62828}
.trace li.quote.too_short{border-color:#9e9e9e}
.trace blockquote{margin:.2rem 0 .4rem;font-style:italic}
.trace .badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .45rem;border-radius:.6rem;
  color:#fff;background:#757575;text-transform:uppercase;letter-spacing:.03em}
.trace .badge.matched{background:#2e7d32}.trace .badge.unmatched{background:#c62828}
.trace .match{margin:.3rem 0 0}.trace .near{color:#555}
.trace .excerpt{font-family:ui-monospace,monospace;font-size:.85rem;background:#fff;border:1px solid #ddd;
  padding:.35rem .5rem;white-space:pre-wrap}
.trace del{background:#ffd7d5;color:#82071e;text-decoration:line-through}
.trace ins{background:#ccffd8;color:#055d20;text-decoration:none}
.trace table.cables{border-collapse:collapse;width:100%}
.trace table.cables td,.trace table.cables th{border-bottom:1px solid #ddd;padding:.3rem .4rem;
  text-align:left;vertical-align:top}
.trace ul.evidence{margin:0;padding-left:1.1rem;font-size:.88rem}
.trace .legend{font-size:.85rem;color:#555}
"""


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # every template: article and cable text are hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def anchor(paragraph: int | None, pos: int) -> str:
    """The cable page's paragraph anchor: ``p6`` for numbered paragraphs, ``u3`` for unnumbered ones,
    none for the subject line."""
    if pos == SUBJECT:
        return ""
    return f"#p{paragraph}" if paragraph is not None else f"#u{pos}"


def where(paragraph: int | None, pos: int) -> str:
    """How a reporter cites the place: ¶6, "subject line", "paragraph 3" (unnumbered)."""
    if pos == SUBJECT:
        return "subject line"
    return f"¶{paragraph}" if paragraph is not None else f"paragraph {pos + 1}"


def view(result: TraceResult, base_url: str = "") -> dict[str, Any]:
    """The report's template context: quotes with link targets, cables with their evidence."""
    quotes = []
    for i, qr in enumerate(result.quotes, 1):
        matches = [
            {
                **m.to_dict(),
                "href": f"{base_url}/cable/{m.id}{anchor(m.paragraph, m.pos)}",
                "where": where(m.paragraph, m.pos),
            }
            for m in qr.matches
        ]
        quotes.append({"n": i, **qr.to_dict(), "matches": matches, "words": qr.quote.words})
    cables = [
        {**c.to_dict(), "href": f"{base_url}/cable/{c.id}", "subject": c.subject, "created": c.created,
         "origin": c.origin}
        for c in result.cables
    ]
    return {
        "quotes": quotes,
        "cables": cables,
        "counts": result.counts(),
        "threshold": result.threshold,
        "elapsed_ms": result.elapsed_ms,
    }


def render_fragment(result: TraceResult, base_url: str = "") -> str:
    """The report body (a ``<section class="trace">``) for embedding in a page."""
    return _env().get_template("trace_result.html").render(**view(result, base_url))


def render_report(result: TraceResult, title: str = "Trace report", base_url: str = "") -> str:
    """A standalone HTML document (inline CSS, no script) for ``cabledesk trace --html``."""
    return _env().get_template("trace_report.html").render(
        title=title, css=Markup(CSS), body=Markup(render_fragment(result, base_url))
    )
