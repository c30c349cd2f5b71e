"""Mutations of real inputs for the fuzz tests and ``bench/fuzz.py``: damage as it happens in dumps.

A mutation is (op, where, size, junk): ``where`` in [0, 1) picks the position, so hypothesis can
shrink a failing case to the smallest damage that still breaks the code.
"""

from __future__ import annotations

from hypothesis import strategies as st

OPS = ("delete", "dup_line", "swap_case", "inject", "truncate", "blank_lines", "swap_lines")
JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\x00", "\ufeff", "\r\n", "\x1b[31m", "&#x000A;", "&amp;", "&#0;", "&#xD800;", "<pre>", "</pre>",
            "</table>", "<table class='cable'>", "<td>", "1. (S) ", "REF: A. STATE 1 B. ", "TAGS: ",
            "SUBJECT: ", "E.O. 12958: DECL: 13/45/0000", "S E C R E T SECTION 99 OF 01", "\ud800",
            '"', '\\"', "\\", "\n\n\n", "FM AMEMBASSY ", "O R 999999Z FOO 99", "XXXXXXXXXXXXXXXX",
        ]
    ),
)  # fmt: skip
MUTATION = st.tuples(st.sampled_from(OPS), st.floats(0, 1, exclude_max=True), st.integers(1, 400), JUNK)
MUTATIONS = st.lists(MUTATION, max_size=8)


def mutate_text(text: str, mutations: list[tuple[str, float, int, str]]) -> str:
    """Apply the mutations to ``text`` in order."""
    for op, where, size, junk in mutations:
        at = int(where * (len(text) + 1))
        if op == "delete":
            text = text[:at] + text[at + size :]
        elif op == "swap_case":
            text = text[:at] + text[at : at + size].swapcase() + text[at + size :]
        elif op == "inject":
            text = text[:at] + junk + text[at:]
        elif op == "truncate":
            text = text[:at]
        elif op == "blank_lines":
            text = text[:at] + "\n" * (size % 7) + text[at:]
        else:
            lines = text.split("\n")
            i = int(where * len(lines))
            if op == "dup_line" and lines:
                lines[i:i] = [lines[min(i, len(lines) - 1)]] * (1 + size % 3)
            elif op == "swap_lines" and len(lines) > 1:
                j = (i + 1 + size) % len(lines)
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def mutate_bytes(data: bytes, mutations: list[tuple[str, float, int, str]]) -> bytes:
    """Byte-level damage: the same operations, plus junk bytes from the junk text's code points."""
    for op, where, size, junk in mutations:
        at = int(where * (len(data) + 1))
        raw = junk.encode("utf-8", "surrogatepass")
        if op == "delete":
            data = data[:at] + data[at + size :]
        elif op == "truncate":
            data = data[:at]
        elif op == "swap_case":
            data = (
                data[:at]
                + bytes((b ^ 0xFF) for b in data[at : at + min(size, 8)])
                + data[at + min(size, 8) :]
            )
        else:
            data = data[:at] + (raw or b"\xff\xfe") + data[at:]
    return data
