"""The fetch manifest: ``DIR/manifest.json``, written by ``citykg fetch`` and read by ``citykg build``.

``server.ingest.fetch`` records there, per URL, what was downloaded (file, SHA-256, retrieval
time...); ``server.store.build`` reads it beside each document to state the page URL and the
retrieval time as the snapshot's provenance. Both sides import the format from here.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
VERSION = 1


def read_manifest(directory: Path) -> dict[str, dict]:
    """URL → manifest entry of ``directory/manifest.json``; {} when there is none or it is
    unreadable (the build then records no provenance, rather than failing)."""
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pages = data.get("pages", []) if isinstance(data, dict) else []
        return {page["url"]: page for page in pages if isinstance(page, dict) and page.get("url")}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def write_manifest(directory: Path, pages: Iterable[Mapping[str, Any]], user_agent: str) -> None:
    """Write the entries (sorted by URL) atomically: a reader never sees half a manifest."""
    ordered = sorted((dict(page) for page in pages), key=lambda page: page["url"])
    data = {"version": VERSION, "user_agent": user_agent, "pages": ordered}
    atomic_write(Path(directory) / MANIFEST, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
