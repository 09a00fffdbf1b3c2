"""From a configured location to a store backend, and a reader that follows its current version.

``backend(location)`` is the one place that decides which ``StoreBackend`` serves a location:
an http(s) URL means a remote SPARQL 1.1 store (``server.store.remote``, with Oxigraph
server's routes unless the ``RemoteStore`` is built with others), anything else a directory
of the embedded Oxigraph store. ``CurrentVersion`` keeps one read-only handle in this process on
whatever version the backend serves now, reopened after a rebuild, with a cache that lives
exactly as long as the version does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.store.embedded import EmbeddedStore
from server.store.interface import GraphReader, StoreBackend
from server.store.remote import RemoteStore, is_url


def backend(location: str | Path | StoreBackend) -> StoreBackend:
    """The backend serving ``location``: itself if it is one, a remote store at a URL, else
    the embedded store in that directory."""
    if isinstance(location, StoreBackend):
        return location
    if is_url(location):
        return RemoteStore.at(str(location))
    return EmbeddedStore(Path(location))


class CurrentVersion:
    """A handle on the backend's current version and a dict of values computed from it.

    ``on_open(handle)`` fills a fresh cache each time a new version is opened, so nothing
    computed from an old version is ever served with a new one.
    """

    def __init__(self, store: StoreBackend, on_open: Callable[[GraphReader], dict[str, Any]] | None = None) -> None:
        self.store = store
        self._on_open = on_open or (lambda handle: {})
        self._version: str | None = None
        self._handle: GraphReader | None = None
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self) -> tuple[GraphReader, dict[str, Any]]:
        """The handle and the cache of the version the backend serves now."""
        version = self.store.version()
        with self._lock:
            if self._handle is None or version != self._version:
                self._handle = self.store.open()
                self._version = version
                self._cache = self._on_open(self._handle)
            return self._handle, self._cache
