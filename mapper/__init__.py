"""citykg mapper: City Innovation Snapshot text in, pydantic models and RDF quads out.

Pure library: no store, no HTTP, no files written. ``read_snapshot`` is the entry point.
"""

from __future__ import annotations

from mapper.errors import MapperError, UnreadableDocument
from mapper.model import Rendering, Snapshot


def read_snapshot(text: str, source: str) -> Snapshot:
    """Detect the rendering of ``text`` and parse it into a :class:`Snapshot`.

    Raises :class:`UnreadableDocument` (naming ``source``) for a document that is not a
    snapshot or names no city anywhere.
    """
    from mapper.parse import parse_document

    return parse_document(text, source)


__all__ = ["MapperError", "Rendering", "Snapshot", "UnreadableDocument", "read_snapshot"]
