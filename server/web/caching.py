"""HTTP caching: every answer is a function of the store version and the request, so it is
validated, kept and compressed as such.

- **Validators.** A 200 answer to GET or HEAD carries ``ETag`` (the store version and a digest
  of the request: method, path, query string, Accept, and the body of a POST) and
  ``Last-Modified`` (when that version was built), ``Cache-Control: public, no-cache`` (keep it,
  but ask again: a rebuild may change it any time) and ``Vary: Accept, Accept-Encoding``.
  ``If-None-Match`` naming the current tag, or ``If-Modified-Since`` not before the build, gets
  ``304 Not Modified`` before any query runs. A rebuild changes the version, so every tag.
- **The response cache.** 200 answers (GET, HEAD, and POSTed ``/sparql`` queries) are kept in
  memory, least recently used out past ``CITYKG_RESPONSE_CACHE`` bytes (0: off), for the
  current version only: the first request after a rebuild empties it. An answer is stored only
  if the version did not change while it was computed.
- **gzip.** An answer of at least ``GZIP_MIN_BYTES`` in a text-like media type goes out
  gzip-compressed to clients that accept it (compressed once, kept beside the plain bytes).

Over a remote store (``server.store.remote``) the version is a time window (``--store-refresh``),
so tags, Last-Modified (the window's start) and the cache last one window.

Not cached: anything but a 200, static files (Flask validates those itself), answers a view marks
``Cache-Control: no-store``, and every request that ran a federated query (``SERVICE``): its
answer depends on the remote endpoint, not only on the store (``mark_uncacheable``).
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from server.store.backends import backend
from server.store.embedded import EmbeddedStore
from server.store.interface import StoreBackend

RESPONSE_CACHE = "citykg.response_cache"
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5  # most of level 9's saving on RDF and JSON, at a fraction of its time
CACHE_CONTROL = "public, no-cache"
VARY = ("Accept", "Accept-Encoding")
_UNCACHED_PATHS = ("/static/",)
_COMPRESSIBLE = re.compile(r"^(text/|application/(.*\+)?(json|xml)$|application/(n-triples|n-quads|trig|javascript)$)")
_BUILD_TIME = re.compile(r"(\d{8}T\d{6})")
_HOP_HEADERS = {"content-length", "content-encoding", "etag", "last-modified", "cache-control"}


@dataclass
class Entry:
    """One kept answer: the view's status line, headers and bytes, and the gzip bytes once made."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    gzipped: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


@dataclass
class ResponseCache:
    """Answers of one store version by request key, bounded by bytes (least recently used out)."""

    max_bytes: int = DEFAULT_CACHE_BYTES
    version: str | None = None
    _entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, version: str, key: str) -> Entry | None:
        with self._lock:
            if version != self.version:
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, version: str, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes:
            return
        with self._lock:
            if version != self.version:  # a new version: nothing older is ever served again
                self._entries.clear()
                self._bytes, self.version = 0, version
            old = self._entries.pop(key, None)
            self._bytes += entry.size - (old.size if old else 0)
            self._entries[key] = entry
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def grew(self, version: str, entry: Entry, extra: int) -> None:
        """``entry`` gained ``extra`` bytes (its gzip form); evict others to stay in bounds."""
        with self._lock:
            if version != self.version:
                return
            self._bytes += extra
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                key, dropped = next(iter(self._entries.items()))
                if dropped is entry:
                    self._entries.move_to_end(key)
                    continue
                self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes


class VersionClock:
    """The store's current version, read cheaply: for the embedded store one ``lstat`` of its
    symlink per request (a build replaces the symlink, so its inode changes), the full
    resolution only when that changed; a remote store's version is already one per window."""

    def __init__(self, store: StoreBackend) -> None:
        self.store = store
        self._seen: tuple[Any, str] | None = None
        self._first_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def current(self) -> str:
        if isinstance(self.store, EmbeddedStore):
            try:
                stat = os.lstat(self.store.path)
                mark: Any = (stat.st_ino, stat.st_mtime_ns, stat.st_dev)
            except OSError:
                mark = None
            seen = self._seen
            if mark is not None and seen is not None and seen[0] == mark:
                return seen[1]
            version = self.store.version()
            self._seen = (mark, version) if mark is not None else None
            return version
        return self.store.version()

    def built_at(self, version: str) -> float:
        """When ``version`` was built (seconds since the epoch): the build id's time, the start
        of a remote store's window, else when this process first saw it."""
        match = _BUILD_TIME.search(version.rsplit("/", 1)[-1])
        if match:
            return float(calendar.timegm(time.strptime(match.group(1), "%Y%m%dT%H%M%S")))  # build ids are UTC
        refresh = getattr(self.store, "refresh", None)
        window = version.rsplit("@", 1)[-1]
        if refresh and window.isdigit():
            return int(window) * float(refresh)
        with self._lock:
            return self._first_seen.setdefault(version, time.time())


# --- the hooks ------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Validators, the response cache and gzip for ``app`` (``create_app`` calls this)."""
    size = app.config.get("CITYKG_RESPONSE_CACHE", DEFAULT_CACHE_BYTES)
    app.extensions[RESPONSE_CACHE] = (VersionClock(backend(app.config["CITYKG_STORE"])),
                                      ResponseCache(int(size or 0)))
    app.after_request(_finish)


def store_version() -> str:
    """The version the current app's store serves now (one ``lstat`` for the embedded store)."""
    return current_app.extensions[RESPONSE_CACHE][0].current()


def mark_uncacheable() -> None:
    """This request's answer must not be validated or kept (it ran a federated query)."""
    g.citykg_uncacheable = True


def answer_from_cache() -> Response | None:
    """``before_request``: a 304 for a current validator, else a kept answer, else None (the
    view runs, and ``_finish`` keeps what it answers)."""
    key = _request_key()
    if key is None:
        return None
    clock, cache = current_app.extensions[RESPONSE_CACHE]
    version = clock.current()
    g.citykg_cache = (version, key)
    tag = _etag(version, key)
    if request.method in ("GET", "HEAD") and _not_modified(tag, clock.built_at(version)):
        response = Response(status=304)
        _validators(response, tag, clock.built_at(version))
        return response
    entry = cache.get(version, key) if cache.max_bytes else None
    if entry is None:
        return None
    g.citykg_cached = True
    response = Response(entry.body, status=entry.status, headers=entry.headers)
    return response


def _finish(response: Response) -> Response:
    """``after_request``: validators, the response cache, gzip (see the module docstring)."""
    state = g.pop("citykg_cache", None)
    if state is None or response.status_code == 304:
        return response
    version, key = state
    clock, cache = current_app.extensions[RESPONSE_CACHE]
    if (response.status_code != 200 or g.get("citykg_uncacheable") or response.is_streamed
            or response.direct_passthrough or "no-store" in (response.headers.get("Cache-Control") or "")):
        return response
    if g.get("citykg_cached"):
        entry = cache.get(version, key)
    else:
        body = response.get_data()
        entry = Entry(200, [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS], body)
        if cache.max_bytes and clock.current() == version:  # not a newer version's answer under this key
            cache.put(version, key, entry)
    if entry is None:
        return response
    tag = _etag(version, key)
    if _gzip_wanted(response, entry):
        if entry.gzipped is None:
            entry.gzipped = gzip.compress(entry.body, compresslevel=GZIP_LEVEL, mtime=0)
            cache.grew(version, entry, len(entry.gzipped))
        response.set_data(entry.gzipped)
        response.headers["Content-Encoding"] = "gzip"
        tag = tag[:-1] + '-gzip"'
    _validators(response, tag, clock.built_at(version))
    return response


# --- the parts ----------------------------------------------------------------------------


def _request_key() -> str | None:
    """A digest of what the answer depends on, or None when this request is not cached."""
    if request.method not in ("GET", "HEAD", "POST") or request.path.startswith(_UNCACHED_PATHS):
        return None
    if request.method == "POST" and request.path != "/sparql":
        return None
    parts = [request.method if request.method != "HEAD" else "GET", request.path,
             request.query_string.decode("latin-1"), request.headers.get("Accept", ""),
             str(current_app.config.get("CITYKG_PUBLIC_URL"))]  # VoID and the service description name it
    if request.method == "POST":  # a form is read once (earlier hooks may have): its fields, in order
        if request.mimetype == "application/x-www-form-urlencoded":
            body = "&".join(f"{k}={v}" for k, v in request.form.items(multi=True))
        else:
            body = request.get_data(cache=True).decode("utf-8", "surrogateescape")
        parts += [request.headers.get("Content-Type", ""), body]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _etag(version: str, key: str) -> str:
    return f'"{hashlib.sha256(version.encode()).hexdigest()[:12]}-{key[:20]}"'


def _not_modified(tag: str, built: float) -> bool:
    """RFC 9110 §13.2.2: If-None-Match first (weak comparison; our gzip tag names the same
    answer), then If-Modified-Since."""
    asked = request.headers.get("If-None-Match")
    if asked is not None:
        if asked.strip() == "*":
            return True
        wanted = tag.strip('"')
        for candidate in asked.split(","):
            candidate = candidate.strip().removeprefix("W/").strip('"')
            if candidate.removesuffix("-gzip") == wanted:
                return True
        return False
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return int(built) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def _validators(response: Response, tag: str, built: float) -> None:
    response.headers["ETag"] = tag
    response.headers["Last-Modified"] = formatdate(min(built, time.time()), usegmt=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    for header in VARY:
        response.vary.add(header)


def _gzip_wanted(response: Response, entry: Entry) -> bool:
    if len(entry.body) < GZIP_MIN_BYTES or "Content-Encoding" in response.headers:
        return False
    if not _COMPRESSIBLE.match(response.mimetype or ""):
        return False
    return request.accept_encodings["gzip"] > 0


def cache_stats(app: Flask) -> Mapping[str, Any]:
    """What the response cache holds now (entries, bytes, bound)."""
    _, cache = app.extensions[RESPONSE_CACHE]
    return {"entries": len(cache), "bytes": cache.bytes, "max_bytes": cache.max_bytes}
