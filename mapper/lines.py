"""Split a document into numbered, markup-free lines, and decide what to do with a cut last line.

Every rendering is read as a sequence of non-blank lines; bullets (``•``, ``- ✓``, ``- ▶``),
Markdown heading marks and bold are remembered as flags and removed from the text, so the
section and sentence patterns see one form whatever the rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from mapper.text import CACHED_LENGTH, plain
from mapper.vocab import Vocabulary

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(?:[-*+]\s+)?(?:[•▶✓✔►▪·]\s*)+|^[-*+]\s+")
_BULLET_STARTS = frozenset("-*+•▶✓✔►▪·")  # the characters a bullet begins with
_TERMINAL = re.compile(r"""[.!?:]["”')]*\**$""")


@dataclass(slots=True)  # not frozen: one is made per line of every page, and frozen ones cost 3x to make
class Line:
    """One non-blank line: 1-based number, text without markup, and how it was printed."""

    no: int
    text: str
    raw: str
    bullet: bool = False
    md_level: int = 0  # 1..6 for a Markdown heading, else 0
    cut: bool = False  # the last line, which may stop mid-word: it may only feed sentence patterns
    whole_label: bool = False  # the last line, whole because it prints a whole label: an answer only of that label's list

    @property
    def bold(self) -> str | None:
        """The first bold span of the raw line (PDF lists put the answer in bold)."""
        match = re.search(r"\*\*(.+?)\*\*", self.raw)
        return plain(match.group(1)) if match else None


def to_lines(text: str) -> list[Line]:
    """Non-blank lines of ``text`` with markup flags; line numbers count blank lines too."""
    result = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        body, stripped, bullet, level = _line_parts(stripped) if len(stripped) <= CACHED_LENGTH else _parts(stripped)
        if body:
            result.append(Line(number, body, stripped, bullet, level))
    return result


def _parts(stripped: str) -> tuple[str, str, bool, int]:
    """(text, raw without its marks, bullet, Markdown heading level) of one stripped line."""
    level = 0
    if stripped[0] == "#":
        heading = _MD_HEADING.match(stripped)
        if heading:
            level, stripped = len(heading.group(1)), heading.group(2)
    bullet = stripped[0] in _BULLET_STARTS and bool(_BULLET.match(stripped))
    if bullet:
        stripped = _BULLET.sub("", stripped, count=1)
    return plain(stripped), stripped, bullet, level


_line_parts = lru_cache(maxsize=1 << 15)(_parts)


def settle_last_line(lines: list[Line], vocab: Vocabulary) -> tuple[list[Line], bool]:
    """Mark the last line of a document as cut unless it can be shown to be whole.

    Real copies stop at byte 2000, mid-word, with or without a final newline (some saved
    copies add one), so a final newline proves nothing: the last line is whole only when it
    is a vocabulary label that no longer label begins with ("Digital governance" is whole,
    "Housing" may be the start of "Housing and built environment", "Behavioral eco" is cut;
    such a line is marked ``whole_label``: it is an answer only of a list whose scheme prints
    it, so "Mexico" cut from "Mexico City's most common..." is no term),
    or when it ends by closing its bold answer (the PDF edition's ``- ✓ **Dedicated funding**``).
    Any other last line is marked ``cut``: it may feed the sentence patterns, which keep a
    fact only when its key phrase is complete, but it is never a list answer or a header
    value. Returns the lines and whether the document visibly stops mid-line (the marked
    line does not end like a sentence), which makes the snapshot truncated.
    """
    if not lines:
        return lines, False
    last = lines[-1]
    if last.raw.startswith("**") and last.raw.endswith("**") and last.raw.count("**") == 2:  # "- ✓ **answer**"
        return lines, False
    if vocab.is_whole_label(last.text):
        return [*lines[:-1], replace(last, whole_label=True)], False
    mid_line = not (_TERMINAL.search(last.raw) and last.raw.count("**") % 2 == 0)
    return [*lines[:-1], replace(last, cut=True)], mid_line
