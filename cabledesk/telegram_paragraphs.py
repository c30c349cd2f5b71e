"""The telegram body past its header: transmission noise removed, signer taken off, paragraphs cut.

Kept apart from the header parsers because this part works on the whole text: page and section
breaks that cut sentences in two, repeated section headers of old multi-part telegrams, the
embassies' "Visit our Classified Website" trailers, and the numbered paragraphs a reporter cites.
The rule throughout: never drop text that is not provably transmission noise.
"""

from __future__ import annotations

import re

from cabledesk.model import Paragraph
from cabledesk.telegram_body import PARA_START, BodyHeader, class_line, is_marking

__all__ = ["clean_tail", "paragraphs", "pre_clean", "take_signer"]

# "MEXICO 00000083 002 OF 005" on a line of its own
_SECTION_BREAK = re.compile(
    r"^\s*[A-Za-z][A-Za-z .'\-]*\s+\d{5,9}\s+\d{1,3}(?:\.\d+)?\s+OF\s+\d{1,3}\s*$", re.I
)
# the same marker inside a line ("... organization. BRASILIA 00000429 002 OF 002 Folha ..."):
# the serial is always zero-padded to eight digits there, the post cut to ten characters
_INLINE_BREAK = re.compile(r"(?<!\S)(?P<num>\d{8})\s+\d{3}(?:\.\d+)?\s+OF\s+\d{3}(?!\S)", re.I)
# old page headers: "PAGE 04 HARARE 06677 01 OF 03 291400Z", "PAGE 02 RUEHFRA0170 S E C R E T"
_PAGE_PREFIX = re.compile(
    r"^\s*PAGE\s+(?P<page>\d{1,3})\s+(?:"
    r"[A-Z][A-Z .]*?\s+\d+\s+(?:(?P<sec>\d+)\s+OF\s+\d+\s+)?\d{6}Z"
    r"|RUEH[A-Z]{1,4}\d+\s+(?:[A-Z]\s?){5,20}?(?:\s+[A-Z][A-Z .]*?\s+\d+)?(?=\s|$)"
    r")\s*"
)
_LONE_CLASS = re.compile(
    r"^\s*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET|LIMITED OFFICIAL USE)(?P<cav>//[A-Z/ ]+)?\s*$"
)
# the same, or " CONFIDENTIAL PTQ1865" (with the message number opening an old telegram section)
_LONE_CLASS_OR_MSGNO = re.compile(
    r"^\s*(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET|LIMITED OFFICIAL USE)"
    r"(?:(?P<cav>//[A-Z/ ]+)|\s+[A-Z]{3}\d{3,5})?\s*$"
)
# "... MDC MINISTERS--ESSENTIALLY, A  CONFIDENTIAL" (the page's footer glued to its last line)
_GLUED_CLASS = re.compile(r"\s+(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|TOP SECRET)\s*$")
_RULE = re.compile(r"^\s*[-=_*~]{3,}[-=_*~\s]*$")
_TRAILER = re.compile(
    r"^\s*(?:NNNN|BT|#|>|END\s+OF\s+TEXT\.?|END\s+CABLE\s+TEXT\.?|SIPDIS|NOFORN|\d{4}[A-Z]{3,}\d+\s+-\s+.*|"
    r"[*\s]{5,}|X{6,}|[A-Z .,'\-]{0,40}\.\.\.|"
    r"Declassified/Released.*|Systematic Review.*|SELECT \* FROM.*|"
    r"(?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|TOP SECRET)(?://[A-Z/ ]+)?)\s*$",
    re.I,
)
# "Please visit Paris' Classified Website at:", "Visit Canada,s Economy and Environment Forum at",
# "For more reporting from Embassy Kuwait, visit:" (the embassies' intranet trailers)
_WEBSITE = re.compile(
    r"(?:[*\-]{5,}[\s*\-]*)?[\"“]?\b(?:(?:Please\s+)?visit\s+[^\n]{0,60}?(?:Classified\s+Web\s?site|Forum)\b"
    r"|For\s+more\s+reporting\s+from\s+[^\n]{0,40}?visit\b)",
    re.I,
)
_URL = re.compile(r"(?:https?://|www\.)\S*(?:[ \t]+(?=[a-z_/?.])[a-z_/?.][\w./?=:\-]*(?![\w'’]))?", re.I)
_URL_TAIL = re.compile(r"^[ \t]*[a-z0-9_.]*\.[a-z]{2,4}/\S*[\"”]?", re.I)  # "gov.gov/wiki/Portal:Turkey"
_WEB_PHRASES = re.compile(
    r"You\s+can\s+also\s+access\s+this\s+site\s+through\s+the\s+State\s+Department[’']s\s+"
    r"Classified\s+SIPRNET\s+website\.?|or\s+access\s+the\s+site\s+through\s+the\s+State\s+Department[’']s\s+"
    r"SIPRNET\s+home\s+page/?|and\s+the\s+North\s+American\s+Partnership\s+Blog\s+at",
    re.I,
)
_NAME_LINE = re.compile(r"^\s*(?P<n>[A-Z][A-Za-z'’\-]+(?:\s+[A-Z][A-Za-z'’\-]+){0,2})\s*\.?\s*$")
_GLUED = re.compile(
    r"(?<=[.!?\"”’)\]*])\s+(?P<n>[A-Z][A-Z'’\-]{2,}(?:\s+[A-Z][A-Z'’\-]{2,})?|[A-Z][a-z]+(?:[A-Z][a-z]+)?)\s*$"
)
_TRAILING_DATE = re.compile(r"\s+\d{4}-\d{2}-\d{2}\s*$")
_NOT_NAMES = frozenset(
    "END COMMENT SUMMARY SIPDIS NOFORN NNNN BT TEXT NOTE ACTION THANKS REGARDS SENSITIVE UNCLASSIFIED "
    "CONFIDENTIAL SECRET SUBJECT TAGS REF STATE DRAFTED APPROVED CLEARED BACKGROUND CONCLUSION ENDS".split()
)
_PORTION = re.compile(r"^\s*\((?P<m>[^()\n]{1,40})\)\s*")
_SUBITEM = re.compile(r"^\s*(?:[A-Z]\.|\(?[a-z0-9]{1,2}\)|\(?[A-Z]\)|--?|[*\u2022])\s+\S")
_NUMBER = re.compile(r"^\s*\d{1,3}\s?\.\s*")
_POST_WORD = re.compile(r"[A-Z.'\-]*")


# ------------------------------------------------------------------------------ transmission noise
def pre_clean(lines: list[str]) -> list[str]:
    """Drop section breaks, page headers and bare classification words, rejoining sentences."""
    post: str | None = None  # the classification line's post, looked up at the first inline break
    out: list[str] = []
    first_page2_rest: str | None = None
    skip_to = 0
    for i, line in enumerate(lines):
        if i < skip_to:
            continue
        if len(line) < 100:  # whole-line markers are short; long prose lines skip these regexes
            if ("OF" in line or "of" in line or "Of" in line or "oF" in line) and _SECTION_BREAK.match(line):
                continue
            m = _LONE_CLASS_OR_MSGNO.match(line)
            if m and not m.group("cav"):
                continue
        if "000" in line and " OF " in line and _INLINE_BREAK.search(line):
            post = post or _first_post(lines)
            line = _drop_inline_breaks(line, post)
            if not line.strip():
                continue
        if "PAGE" in line and line.lstrip().startswith("PAGE"):
            m = _PAGE_PREFIX.match(line)
            if m:
                if out and _GLUED_CLASS.search(out[-1]):
                    out[-1] = _GLUED_CLASS.sub("", out[-1])
                sec = m.group("sec")
                if m.group("page") == "01" and sec and sec.lstrip("0") not in ("", "1"):
                    skip = _repeated_section_header(lines, i + 1, sec)
                    if skip is not None:
                        skip_to, rest = skip
                        if rest and rest != first_page2_rest:
                            out.append(rest)
                        continue
                line = line[m.end() :]
                if m.group("page") == "02" and first_page2_rest is None:
                    first_page2_rest = line.strip()
                if not line.strip():
                    continue
        out.append(line)
    return out


def _first_post(lines: list[str]) -> str:
    """The classification line's post: a marker inside a line cuts it to ten letters ("RIO DE JAN")."""
    for line in lines[:120]:
        cl = class_line(line) if line.strip() else None
        if cl is not None and cl.post:
            return cl.post
    return ""


def _drop_inline_breaks(line: str, post: str | None) -> str:
    """Remove 'BRASILIA 00000429 002 OF 002' markers glued inside a line, keeping the prose."""
    key = re.sub(r"[^A-Z]", "", (post or "").upper())
    while True:
        m = _INLINE_BREAK.search(line)
        if m is None:
            return line
        before = line[: m.start()].rstrip()
        words = before.split(" ")
        start = len(before)
        for k in range(1, min(4, len(words)) + 1):  # longest run of words that spells the post
            cand = " ".join(words[-k:])
            letters = re.sub(r"[^A-Z]", "", cand)
            if (
                all(_POST_WORD.fullmatch(w) for w in words[-k:])
                and letters
                and (key.startswith(letters) if key else k == 1)
                and len(cand) <= 16
            ):
                start = len(before) - len(cand)
        if start == len(before):
            return line  # no post in front: not a section-break marker
        head, tail = line[:start].rstrip(), line[m.end() :].lstrip()
        line = f"{head} {tail}" if head and tail else head or tail


def _repeated_section_header(lines: list[str], i: int, sec: str) -> tuple[int, str] | None:
    """Old telegrams repeat ACTION/INFO, the classification line and E.O./TAGS at each section's
    first page; the block ends with the section's 'PAGE 02' line. Returns (next index, text after
    that page header), or None when the block does not look like a repeated header."""
    has_class_line = False
    for j in range(i, min(len(lines), i + 30)):
        m = _PAGE_PREFIX.match(lines[j]) if lines[j].lstrip().startswith("PAGE") else None
        if m:
            if m.group("page") == "02" and m.group("sec") == sec and has_class_line:
                return j + 1, lines[j][m.end() :].strip()
            return None
        cl = class_line(lines[j])
        has_class_line = has_class_line or bool(cl and cl.section)
    return None


def clean_tail(lines: list[str], bh: BodyHeader) -> list[str]:
    """Past the header: also drop repeated classification lines ('SECTION 02 OF 05 ...')."""
    main = bh.class_line
    post = main.post if main and main.post else None
    out: list[str] = []
    for line in lines:
        if len(line) < 160:
            if _LONE_CLASS.match(line):
                continue
            up = line.upper()
            if "SECTION" in up or (post and post in up):
                cl = class_line(line)
                if cl is not None and (cl.section or (main and cl.post == post and cl.serial == main.serial)):
                    continue
        out.append(line.rstrip())
    return out


# ------------------------------------------------------------------------------ signature
def _pop_trailers(lines: list[str]) -> None:
    while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1])):
        lines.pop()


def _name_of(line: str) -> str | None:
    """The signer when ``line`` holds only a name ('FEELEY', 'Clinton', 'LeBaron')."""
    m = _NAME_LINE.match(_TRAILING_DATE.sub("", line))
    if m is None or PARA_START.match(line):
        return None
    words = m.group("n").upper().split()
    if " ".join(words) in _NOT_NAMES or any(w in _NOT_NAMES for w in words):
        return None
    return " ".join(m.group("n").split())


def _website_trailer(lines: list[str]) -> tuple[bool, str | None]:
    """Cut an embassy-website trailer off the end of ``lines``; return (cut, name found in it).

    The trailer starts at a 'Visit ... Classified Website' phrase among the last lines and may run
    over URL lines; it is cut only when nothing but URLs, its stock phrases, rules and at most a
    name (the signer) follows the phrase, so paragraph text is never lost.
    """
    seen = 0
    for k in range(len(lines) - 1, -1, -1):
        if not lines[k].strip():
            continue
        seen += 1
        if seen > 10:
            return False, None
        low = lines[k].lower()
        m = (
            _WEBSITE.search(lines[k])
            if "visit" in low and ("site" in low or "forum" in low or "reporting" in low)
            else None
        )
        if m is None:
            continue
        head = lines[k][: m.start()]
        if head.strip() and not _PORTION.sub("", _NUMBER.sub("", head), count=1).strip():
            return False, None  # "15. (U) Visit Embassy Kiev's ...": a numbered paragraph, kept whole
        rest = "\n".join([lines[k][m.end() :], *lines[k + 1 :]])
        rest = _WEB_PHRASES.sub(" ", rest)
        rest = _URL.sub(" ", rest)
        rest = "\n".join(_URL_TAIL.sub("", x) for x in rest.split("\n"))
        rest = re.sub(r"[*\-=_\"“”:;,]+", " ", re.sub(r"(?i)\b(?:at|site|web\s?site)\b", " ", rest))
        rest = " ".join(rest.split())
        name = _name_of(rest) if rest else None
        if rest and name is None and re.fullmatch(r"[a-z]{3,}", rest):
            name = rest  # "tuttle", "misenheimer": a lower-case signer under the trailer
        if rest and name is None:
            return False, None
        del lines[k + 1 :]
        lines[k] = head.rstrip()
        return True, name
    return False, None


def take_signer(lines: list[str]) -> str | None:
    """Remove trailers and the signature from the end of ``lines``; return the signer."""
    signer: str | None = None
    while True:  # the signer may stand before or after the trailer; Kuwait cables carry two trailers
        _pop_trailers(lines)
        if not lines:
            return signer
        name = _name_of(lines[-1]) if signer is None else None
        if name is not None:
            signer = name
            lines.pop()
            continue
        cut, name = _website_trailer(lines)
        if not cut:
            break
        signer = signer or name
    if signer is not None:
        return signer
    last = _TRAILING_DATE.sub("", lines[-1])
    m = _GLUED.search(last)
    if m:
        name = m.group("n")
        if not any(w in _NOT_NAMES for w in name.upper().split()) and len(last) > len(name) + 10:
            lines[-1] = last[: m.start()].rstrip()
            return " ".join(name.split())
    return None


# ------------------------------------------------------------------------------ paragraphs
def _mark_after_number(line: str, m: re.Match[str]) -> tuple[bool, str]:
    """(whether a portion mark follows the paragraph number, the line without the number)."""
    rest = line[m.end("n") :].lstrip()[1:].lstrip()  # drop the "." after the number
    pm = _PORTION.match(rest)
    return bool(pm and is_marking(pm.group("m"))), rest


def paragraphs(lines: list[str]) -> list[Paragraph]:
    """Numbered paragraphs (with portion marks); text before paragraph 1 becomes n=None paragraphs.

    A number opens a paragraph when it continues the sequence (a small gap is allowed, a larger one
    with a portion mark). Numbers written out of sequence are kept as written, never merged into
    the paragraph above, when the line is clearly a paragraph start (after a blank line, in the
    same style as the previous paragraph): 79TEHRAN8980 numbers two paragraphs "6.", 06MADRID934
    runs 7, 10, 9, 10, 11. A list restarting at 1 inside a paragraph is not a paragraph start.
    """
    starts: list[tuple[int, int, str]] = []
    prev: int | None = None
    prev_marked = False
    restarted = False  # a lower number was seen since the last paragraph start (a quoted list)
    for i, line in enumerate(lines):
        m = PARA_START.match(line)
        if not m:
            continue
        n = int(m.group("n"))
        marked, rest = _mark_after_number(line, m)
        if prev is None:
            ok = n <= 3 or marked
        elif prev < n <= prev + (5 if marked else 2):
            ok = True
        else:
            clear_start = i > 0 and not lines[i - 1].strip() and marked == prev_marked
            if marked:
                ok = clear_start and 2 <= n and prev - 2 <= n <= prev
            else:
                ok = (
                    clear_start
                    and n == prev
                    and not restarted
                    and i - starts[-1][0] > 2
                    and (rest[:1].isupper() or rest.startswith("("))
                )
        if ok:
            starts.append((i, n, rest))
            prev, prev_marked, restarted = n, marked, False
        elif prev is not None and n < prev:
            restarted = True
    paras: list[Paragraph] = []
    first = starts[0][0] if starts else len(lines)
    for block in _blocks(lines[:first]):
        marking, text = _split_mark(block)
        if text:
            paras.append(Paragraph(n=None, marking=marking, text=text))
    for k, (i, n, rest) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        chunk = [rest, *lines[i + 1 : end]]
        marking, text = _split_mark("\n\n".join(_blocks(chunk)))
        paras.append(Paragraph(n=n, marking=marking, text=text))
    return paras


def _split_mark(text: str) -> tuple[str | None, str]:
    m = _PORTION.match(text)
    if m and is_marking(m.group("m")):
        return m.group("m").strip().upper(), text[m.end() :].strip()
    return None, text.strip()


def _blocks(lines: list[str]) -> list[str]:
    """Blank-line separated blocks, hard wraps joined by spaces, underlined headings dropped."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        if _RULE.match(line):
            # an underline: the short line above it was a heading, not paragraph text
            cur = blocks[-1]
            if cur and len(cur[-1].strip()) <= 80:
                cur.pop()
            continue
        blocks[-1].append(line.strip())
    out: list[str] = []
    for b in blocks:
        if not b:
            continue
        text = b[0]
        for line in b[1:]:
            text += ("\n" if _SUBITEM.match(line) else " ") + line
        out.append(text)
    return out
