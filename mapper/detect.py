"""Which rendering a document is, from its content (never from its file name).

- PDF snapshot as Markdown: the title ``City Innovation Snapshot | City, Country`` or
  Markdown headings beside ``Label: value`` lines.
- Labelled web page: header labels (``Mayor`` alone on a line) and section headings.
- Flat web page: header labels kept, every section heading dropped.
- Web page with labels missing: no header labels (section headings may remain).
A document with none of the snapshot's headings, labels or template sentences is none of
them: :func:`detect_rendering` returns None.
"""

from __future__ import annotations

from mapper import patterns as p
from mapper.lines import Line
from mapper.model import Rendering

_SENTENCES = (p.STRATEGY, p.APPROACH, p.FUNDING, p.PARTNERS, p.DATA_PARTNERS, p.ACTIVITIES_MAIN, p.ROUND_NOTE)


def detect_rendering(lines: list[Line]) -> Rendering | None:
    if any(p.PDF_TITLE.match(line.text) for line in lines) or (
        any(line.md_level for line in lines) and any(_inline_label(line) for line in lines)
    ):
        return Rendering.PDF_MARKDOWN
    labels = any(_standalone_label(line) for line in lines)
    headings = any(pattern.search(line.text) for line in lines for _, pattern in p.HEADINGS)
    if labels:
        return Rendering.LABELLED if headings else Rendering.FLAT
    sentences = any(pattern.search(line.text) for line in lines for pattern in _SENTENCES)
    return Rendering.UNLABELLED if headings or sentences else None


def _standalone_label(line: Line) -> bool:
    match = p.LABEL.match(line.text)
    return bool(match) and not match.group("value") and match.group("label").lower() not in {"city", "country"}


def _inline_label(line: Line) -> bool:
    match = p.LABEL.match(line.text)
    return bool(match) and bool(match.group("value"))
