"""citykg mapper: City Innovation Snapshot text in, pydantic models and RDF quads out.

Pure library: no store, no HTTP, no files written. ``read_snapshot`` is the entry point.
"""

from __future__ import annotations

from mapper.errors import MapperError, UnreadableDocument
from mapper.model import Rendering, Snapshot


def read_snapshot(text: str, source: str) -> Snapshot:
    """Detect the rendering of ``text`` and parse it into a :class:`Snapshot`.

    Raises :class:`UnreadableDocument` (naming ``source`` and the reason) for a document
    that does not show the survey's structure (fewer than three of its headings, labelled
    header values, template sentences, chart residue), names no city, or names two.
    What the mapper left out on purpose, and why, is in ``Snapshot.warnings``.
    """
    from mapper.parse import parse_document

    return parse_document(text, source)


__all__ = ["MapperError", "Rendering", "Snapshot", "UnreadableDocument", "read_snapshot"]
