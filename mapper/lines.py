"""Split a document into numbered, markup-free lines, and decide what to do with a cut last line.

Every rendering is read as a sequence of non-blank lines; bullets (``•``, ``- ✓``, ``- ▶``),
Markdown heading marks and bold are remembered as flags and removed from the text, so the
section and sentence patterns see one form whatever the rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    sentence_only: bool = False  # cut last line that may only feed sentence patterns

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


def settle_last_line(text: str, lines: list[Line], vocab: Vocabulary) -> tuple[list[Line], bool]:
    """Keep, restrict or drop the last line of a document that may have been cut mid-line.

    A document that does not end with a newline may stop mid-word, so its last line is a
    whole value only when that can be shown: it is a vocabulary label no longer label
    begins with. (The data-availability counts cannot show it: "D" may be the cut start of
    the last announced area.) A line ending like a sentence may still feed the sentence
    patterns, which match whole sentences only.
    Returns the lines and whether the last line was dropped or restricted.
    """
    if not lines or text.endswith(("\n", "\r")):
        return lines, False
    last = lines[-1]
    if vocab.is_whole_label(last.text):
        return lines, False
    if _TERMINAL.search(last.raw) and last.raw.count("**") % 2 == 0:
        return [*lines[:-1], Line(last.no, last.text, last.raw, last.bullet, last.md_level, True)], True
    return lines[:-1], True
