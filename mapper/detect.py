"""Whether a document is a snapshot at all, and which rendering it is, from its content.

A document is a snapshot only when it shows the survey's structure: at least
:data:`MIN_MARKERS` different markers among its section headings, header labels with their
values, template sentences, chart residue and the PDF title. A word soup of survey words, a
news article, a CSV, a bare list of policy areas or notes show one or two at most; the
shortest real copy (cut at byte 2000) shows many more. One stray line never makes a city.

Renderings (never decided from the file name):

- PDF snapshot as Markdown: the title ``City Innovation Snapshot | City, Country`` or
  Markdown headings beside ``Label: value`` lines.
- Labelled web page: header labels (``Mayor`` alone on a line) and section headings.
- Flat web page: header labels kept, the section headings dropped (a heading that reads
  like a sentence, "X utilizes 4 different innovation skills or roles", may remain).
- Web page with labels missing: no header labels (section headings may remain).
"""

from __future__ import annotations

from mapper.errors import UnreadableDocument
from mapper.model import Rendering

MIN_MARKERS = 3
LABELLED_HEADINGS = 2  # distinct section headings that make a labelled page, not a flat one

_KINDS = {"heading": "section heading", "label": "header label", "sentence": "template sentence",
          "chart": "chart residue", "pdf-title": "PDF title"}


def require_snapshot(source: str, markers: set[str]) -> None:
    """Raise :class:`UnreadableDocument` naming what a document lacks to be a snapshot."""
    if len(markers) >= MIN_MARKERS:
        return
    found = ", ".join(_describe(marker) for marker in sorted(markers)) or "none"
    raise UnreadableDocument(
        source,
        f"not a City Innovation Snapshot: it shows {len(markers)} of the survey's markers (found: {found}); "
        f"a snapshot shows at least {MIN_MARKERS} of its section headings (\"Innovation is helping to:\", "
        "\"Spotlight on innovation in X\"), header labels with values (Mayor, Population, Lead Innovation "
        "Officer), template sentences (\"Along with 50% of cities surveyed, X has an explicit innovation "
        "strategy\") and chart captions",
    )


def _describe(marker: str) -> str:
    kind, _, name = marker.partition(":")
    return f"{_KINDS.get(kind, kind)} {name!r}" if name else _KINDS.get(kind, kind)


def detect_rendering(markers: set[str], standalone_labels: set[str], inline_labels: bool,
                     markdown_headings: bool) -> Rendering:
    """The rendering, from what the pass over the document saw."""
    if "pdf-title" in markers or (markdown_headings and inline_labels):
        return Rendering.PDF_MARKDOWN
    headings = {marker for marker in markers if marker.startswith("heading:")}
    if standalone_labels:
        return Rendering.LABELLED if len(headings) >= LABELLED_HEADINGS else Rendering.FLAT
    return Rendering.UNLABELLED
