"""The shelf of precomputed answers: per build, the kept answers of canned queries on disk
(``server.web.precompute`` computes them; the caching middleware serves them).

``ROOT/<build id>/``: per path ``<digest>.body``, ``.gz`` and ``.json`` (its headers, written
last: a path is on the shelf once its ``.json`` is), then ``index.json`` once the build's
answers are all computed. Every file is written whole and renamed into place.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INDEX = "index.json"
SUFFIXES = (".json", ".csv")
_GZIP_LEVEL = 5


def shelf_name(version: str) -> str:
    """The directory name of a build's answers: its build id (the version directory's name)."""
    return Path(version).name


def _digest(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def shelvable(method: str, path: str, query_string: str) -> bool:
    """Whether a request may be answered from the shelf: a GET or HEAD of a canned query's JSON
    or CSV, with no parameter (cheap: asked for every request the cache sees)."""
    return (method in ("GET", "HEAD") and not query_string and path.startswith("/queries/")
            and path.endswith(SUFFIXES) and "/" not in path[9:])


@dataclass(frozen=True)
class KeptAnswer:
    """One answer on the shelf: status 200, the app's headers (no validators), body and gzip."""

    headers: list[tuple[str, str]]
    body: bytes
    gzipped: bytes


class Shelf:
    """The answers kept under ``root``, one directory per build."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0

    def get(self, version: str, path: str) -> KeptAnswer | None:
        """The kept answer of ``path`` for ``version``, or None (not kept, or unreadable: the
        app then answers as usual)."""
        base = self.root / shelf_name(version) / _digest(path)
        try:
            meta = json.loads(base.with_suffix(".json").read_text("utf-8"))
            if meta.get("path") != path:
                return None
            body = base.with_suffix(".body").read_bytes()
            if len(body) != meta.get("length"):
                return None
            gzipped = base.with_suffix(".gz").read_bytes()
        except (OSError, ValueError, AttributeError):
            return None
        self.hits += 1
        return KeptAnswer([(str(k), str(v)) for k, v in meta["headers"]], body, gzipped)

    def put(self, version: str, path: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """Keep one answer with its headers as the caching middleware keeps them (no validators:
        it adds those per response); files written whole, then renamed, the ``.json`` last."""
        directory = self.root / shelf_name(version)
        directory.mkdir(parents=True, exist_ok=True)
        base = directory / _digest(path)
        _write(base.with_suffix(".body"), body)
        _write(base.with_suffix(".gz"), gzip.compress(body, compresslevel=_GZIP_LEVEL, mtime=0))
        _write(base.with_suffix(".json"), json.dumps({"path": path, "length": len(body), "headers": headers}).encode())

    def complete(self, version: str) -> dict[str, Any] | None:
        """The index of a build whose answers are all computed, else None."""
        try:
            return json.loads((self.root / shelf_name(version) / INDEX).read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def finish(self, version: str, index: Mapping[str, Any]) -> None:
        directory = self.root / shelf_name(version)
        directory.mkdir(parents=True, exist_ok=True)
        _write(directory / INDEX, json.dumps(index, indent=1).encode())

    def prune(self, keep: str) -> None:
        """Remove every build's answers but ``keep``'s (a rebuild made them unservable)."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name != shelf_name(keep):
                shutil.rmtree(entry, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
