"""Typed errors of the mapper: each names the document and the reason it could not be read."""

from __future__ import annotations


class MapperError(Exception):
    """Base class of every error the mapper raises on purpose."""


class UnreadableDocument(MapperError):
    """A document that is not a City Innovation Snapshot, or names no city anywhere.

    ``source`` is the file name (or other identifier) given to the reader, ``line`` the
    1-based line the reason refers to, when there is one.
    """

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")
