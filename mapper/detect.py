"""Which rendering a document is, from its content (never from its file name).

- PDF snapshot as Markdown: the title ``City Innovation Snapshot | City, Country`` or
  Markdown headings beside ``Label: value`` lines.
- Labelled web page: header labels (``Mayor`` alone on a line) and section headings.
- Flat web page: header labels kept, the section headings dropped (a heading that reads
  like a sentence, "X utilizes 4 different innovation skills or roles", may remain).
- Web page with labels missing: no header labels (section headings may remain).
A document with none of the snapshot's headings, labels or template sentences is none of
them: :func:`detect_rendering` returns None.
"""

from __future__ import annotations

from mapper import patterns as p
from mapper.lines import Line
from mapper.model import Rendering

LABELLED_HEADINGS = 2  # distinct section headings that make a labelled page, not a flat one
_SENTENCES = (p.STRATEGY, p.APPROACH, p.FUNDING, p.PARTNERS, p.DATA_PARTNERS, p.ACTIVITIES_MAIN, p.ROUND_NOTE)


def detect_rendering(lines: list[Line]) -> Rendering | None:
    if any(p.PDF_TITLE.match(line.text) for line in lines) or (
        any(line.md_level for line in lines) and any(_inline_label(line) for line in lines)
    ):
        return Rendering.PDF_MARKDOWN
    labels = any(_standalone_label(line) for line in lines)
    kinds = {key for line in lines for key, pattern in p.HEADINGS if pattern.search(line.text)}
    if labels:
        return Rendering.LABELLED if len(kinds) >= LABELLED_HEADINGS else Rendering.FLAT
    headings = bool(kinds)
    sentences = any(pattern.search(line.text) for line in lines for pattern in _SENTENCES)
    return Rendering.UNLABELLED if headings or sentences else None


def _standalone_label(line: Line) -> bool:
    match = p.LABEL.match(line.text)
    return bool(match) and not match.group("value") and match.group("label").lower() not in {"city", "country"}


def _inline_label(line: Line) -> bool:
    match = p.LABEL.match(line.text)
    return bool(match) and bool(match.group("value"))
