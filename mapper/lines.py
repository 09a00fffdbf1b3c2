"""Split a document into numbered, markup-free lines, and decide what to do with a cut last line.

Every rendering is read as a sequence of non-blank lines; bullets (``•``, ``- ✓``, ``- ▶``),
Markdown heading marks and bold are remembered as flags and removed from the text, so the
section and sentence patterns see one form whatever the rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mapper.text import plain
from mapper.vocab import Vocabulary

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(?:[-*+]\s+)?(?:[•▶✓✔►▪·]\s*)+|^[-*+]\s+")
_TERMINAL = re.compile(r"""[.!?:]["”')]*\**$""")


@dataclass(frozen=True)
class Line:
    """One non-blank line: 1-based number, text without markup, and how it was printed."""

    no: int
    text: str
    raw: str
    bullet: bool = False
    md_level: int = 0  # 1..6 for a Markdown heading, else 0
    cut: bool = False  # the last line, which may stop mid-word: it may only feed sentence patterns

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
        level = 0
        heading = _MD_HEADING.match(stripped)
        if heading:
            level, stripped = len(heading.group(1)), heading.group(2)
        bullet = bool(_BULLET.match(stripped))
        if bullet:
            stripped = _BULLET.sub("", stripped, count=1)
        body = plain(stripped)
        if body:
            result.append(Line(no=number, text=body, raw=stripped, bullet=bullet, md_level=level))
    return result


def settle_last_line(lines: list[Line], vocab: Vocabulary) -> tuple[list[Line], bool]:
    """Mark the last line of a document as cut unless it can be shown to be whole.

    Real copies stop at byte 2000, mid-word, with or without a final newline (some saved
    copies add one), so a final newline proves nothing: the last line is whole only when it
    is a vocabulary label that no longer label begins with ("Digital governance" is whole,
    "Housing" may be the start of "Housing and built environment", "Behavioral eco" is cut),
    or when it ends by closing its bold answer (the PDF edition's ``- ✓ **Dedicated funding**``).
    Any other last line is marked ``cut``: it may feed the sentence patterns, which keep a
    fact only when its key phrase is complete, but it is never a list answer or a header
    value. Returns the lines and whether the document visibly stops mid-line (the marked
    line does not end like a sentence), which makes the snapshot truncated.
    """
    if not lines:
        return lines, False
    last = lines[-1]
    if vocab.is_whole_label(last.text) or (last.raw.endswith("**") and last.raw.count("**") % 2 == 0):
        return lines, False
    mid_line = not (_TERMINAL.search(last.raw) and last.raw.count("**") % 2 == 0)
    return [*lines[:-1], replace(last, cut=True)], mid_line
