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
- **One evaluation for concurrent repeats.** While an answer that is not kept yet is being
  computed, the same request (same key, same version) from other clients waits for it instead of
  running the query again (as a caching proxy coalesces requests): a burst of one heavy query
  costs one worker, not one per client. A waiter whose leader's answer was not kept (an error, a
  federated answer) asks the app itself. At most ``MAX_FOLLOWERS`` wait at once (waiting holds a
  server thread outside the app's per-client and queue bounds); further repeats are admitted as
  usual.
- **gzip.** An answer of at least ``GZIP_MIN_BYTES`` in a text-like media type goes out
  gzip-compressed to clients that accept it (compressed once, kept beside the plain bytes).

Only a store whose version names a build (the embedded store) is cached this way. A remote
store (``server.store.remote``) cannot say when it changed, and queries over it read the live
store at once, so its answers carry no validators and none is kept.

Not cached: anything but a 200, static files (Flask validates those itself), answers a view marks
``Cache-Control: no-store``, and every request that ran a federated query (``SERVICE``): its
answer depends on the remote endpoint, not only on the store (``mark_uncacheable``).
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import io
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from flask import Flask, Response, current_app, g

from server.store.backends import backend
from server.store.embedded import EmbeddedStore
from server.store.interface import StoreBackend
from server.web.shelf import Shelf, shelvable

RESPONSE_CACHE = "citykg.response_cache"
SHELF = "citykg.shelf"  # precomputed answers (server.web.precompute), when CITYKG_ANSWERS names a directory
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 5  # most of level 9's saving on RDF and JSON, at a fraction of its time
CACHE_CONTROL = "public, no-cache"
VARY = ("Accept", "Accept-Encoding")
_UNCACHED_PATHS = ("/static/",)
_COMPRESSIBLE = re.compile(r"^(text/|application/(.*\+)?(json|xml)$|application/(n-triples|n-quads|trig|javascript)$)")
_BUILD_TIME = re.compile(r"(\d{8}T\d{6})")
_UNKEPT_REMEMBERED = 4096  # requests remembered as answered no-store (federated), so never given a 304
# requests that may wait for a twin's answer at once: waiting holds a server thread outside the
# app's admission (its per-client and queue bounds), so beyond this a repeat is admitted as usual
MAX_FOLLOWERS = 16
# what the middleware writes on each answer it sends (a kept answer is stored without them)
PER_RESPONSE_HEADERS = frozenset({"content-length", "content-encoding", "etag", "last-modified", "cache-control"})
_HOP_HEADERS = PER_RESPONSE_HEADERS | {"vary"}  # the view's Vary is merged into the entry's own


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
    resolution only when that changed; a remote store's version is already one per window.

    Within one request (``pinned``) the version is read once: the tag, the kept answer and the
    in-process lookups (``server.sparql.lookup``) all name the same build."""

    def __init__(self, store: StoreBackend) -> None:
        self.store = store
        self._seen: tuple[Any, str] | None = None
        self._first_seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._request = threading.local()

    def current(self) -> str:
        """The version this request reads (pinned), else the store's version now."""
        pinned = getattr(self._request, "version", None)
        return pinned if pinned is not None else self.fresh()

    @contextmanager
    def pinned(self) -> Iterator[str]:
        """The version now, kept as this thread's ``current()`` until the block ends."""
        self._request.version = version = self.fresh()
        try:
            yield version
        finally:
            self._request.version = None

    def fresh(self) -> str:
        """The store's version now (one ``lstat`` for the embedded store)."""
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

    @property
    def names_builds(self) -> bool:
        """Whether a version names one build (so answers may be validated and kept by it)."""
        return isinstance(self.store, EmbeddedStore)

    def built_at(self, version: str) -> float:
        """When ``version`` was built (seconds since the epoch): the build id's time, else when
        this process first saw it."""
        known = self._first_seen.get(version)
        if known is not None:
            return known
        match = _BUILD_TIME.search(version.rsplit("/", 1)[-1])
        # build ids are UTC; a version without a time: when this process first saw it
        when = float(calendar.timegm(time.strptime(match.group(1), "%Y%m%dT%H%M%S"))) if match else time.time()
        with self._lock:
            return self._first_seen.setdefault(version, when)


# --- the middleware -------------------------------------------------------------------------


def init_app(app: Flask, always: Mapping[str, str]) -> None:
    """Validators, the response cache and gzip for ``app`` (``create_app`` calls this last):
    a WSGI middleware around the whole app, so a 304 or a kept answer costs no Flask request.
    ``always``: the headers the app puts on every answer, which a 304 made here repeats."""
    size = app.config.get("CITYKG_RESPONSE_CACHE", DEFAULT_CACHE_BYTES)
    clock, cache = VersionClock(backend(app.config["CITYKG_STORE"])), ResponseCache(int(size or 0))
    app.extensions[RESPONSE_CACHE] = (clock, cache)
    answers = app.config.get("CITYKG_ANSWERS")
    shelf = app.extensions[SHELF] = Shelf(answers) if answers and clock.names_builds else None
    if clock.names_builds:
        app.wsgi_app = CachingMiddleware(app.wsgi_app, clock, cache,  # type: ignore[method-assign]
                                         lambda: str(app.config.get("CITYKG_PUBLIC_URL")),
                                         int(app.config.get("CITYKG_MAX_BODY") or 0), list(always.items()), shelf)
    app.after_request(_no_store_when_federated)


def store_version() -> str:
    """The version the current app's store serves now (one ``lstat`` for the embedded store)."""
    return current_app.extensions[RESPONSE_CACHE][0].current()


def mark_uncacheable() -> None:
    """This request's answer must not be validated or kept (it ran a federated query)."""
    g.citykg_uncacheable = True


def _no_store_when_federated(response: Response) -> Response:
    if g.get("citykg_uncacheable"):
        response.headers["Cache-Control"] = "no-store"
    return response


StartResponse = Callable[..., Any]


class CachingMiddleware:
    """WSGI: conditional requests and kept answers before the app, validators and gzip after it."""

    def __init__(self, app: Callable[[dict, StartResponse], Iterable[bytes]], clock: VersionClock,
                 cache: ResponseCache, public_url: Callable[[], str], max_body: int,
                 always: list[tuple[str, str]], shelf: Shelf | None = None) -> None:
        self.app, self.clock, self.cache, self.public_url, self.max_body = app, clock, cache, public_url, max_body
        self.shelf = shelf  # this build's precomputed answers, asked before the app
        self.always = always  # a 304 repeats what a 200 would say about access (CORS, nosniff)
        self._unkept: OrderedDict[tuple[str, str], None] = OrderedDict()  # (version, key) answered no-store
        self._in_flight: dict[tuple[str, str], threading.Event] = {}  # (version, key) being computed
        self._followers = 0  # requests waiting for a twin's answer
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        with self.clock.pinned() as version:
            if self._was_unkept(version, key):  # a federated query: never a 304, never kept
                return self.app(environ, start_response)
            return self._answer(environ, start_response, version, key)

    def _answer(self, environ: dict, start_response: StartResponse, version: str, key: str) -> Iterable[bytes]:
        """A 304, a kept answer, or the app's answer (kept when it may be)."""
        method = environ.get("REQUEST_METHOD", "GET")
        built = self.clock.built_at(version)
        tag = _etag(version, key)
        if method in ("GET", "HEAD") and _not_modified(environ, tag, built):
            start_response("304 Not Modified", [*self.always, *_validators(tag, built)])
            return []
        if self.cache.max_bytes:
            entry = self._kept_or_computed(environ, version, key)
        else:
            entry = self._shelved(environ, version, key) or self._compute(environ, version, key)
        if isinstance(entry, _Passed):
            start_response(entry.status, entry.headers)
            return [] if method == "HEAD" else entry.body
        body, headers = entry.body, list(entry.headers)
        if _gzip_wanted(environ, entry):
            if entry.gzipped is None:
                entry.gzipped = gzip.compress(entry.body, compresslevel=GZIP_LEVEL, mtime=0)
                self.cache.grew(version, entry, len(entry.gzipped))
            body, tag = entry.gzipped, tag[:-1] + '-gzip"'
            headers.append(("Content-Encoding", "gzip"))
        headers += [("Content-Length", str(len(body))), *_validators(tag, built, vary=False)]
        start_response(_STATUS[entry.status], headers)
        return [] if method == "HEAD" else [body]

    def _shelved(self, environ: dict, version: str, key: str) -> Entry | None:
        """The build's precomputed answer to this request, if it is one of those kept on disk;
        kept in memory too, as the app's answer would be."""
        path = environ.get("PATH_INFO", "")
        if self.shelf is None or not shelvable(environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", "")):
            return None
        kept = self.shelf.get(version, path)
        if kept is None:
            return None
        return self._keep(version, key, Entry(200, kept.headers, kept.body, kept.gzipped))

    def _keep(self, version: str, key: str, entry: Entry) -> Entry:
        """``entry``, kept in memory when the cache is on and ``version`` is still the store's."""
        if self.cache.max_bytes and self.clock.fresh() == version:  # never a newer version's answer under this key
            self.cache.put(version, key, entry)
        return entry

    def _kept_or_computed(self, environ: dict, version: str, key: str) -> Entry | _Passed:
        """The kept answer (in memory first: a precomputed one is read from its files once, then
        kept like any other); else, when the same request is being computed already, the answer
        that computation keeps (waiting for it); else the app's answer, computed here while others wait."""
        entry = self.cache.get(version, key) or self._shelved(environ, version, key)
        if entry is not None:
            return entry
        flight, done = (version, key), None
        with self._lock:
            leader = self._in_flight.get(flight)
            if leader is None:
                self._in_flight[flight] = done = threading.Event()
            elif self._followers < MAX_FOLLOWERS:
                self._followers += 1
            else:
                leader = done = None  # enough threads wait already: this one is admitted as usual
        if leader is not None:
            try:
                leader.wait()  # the leader's app call is bounded by the query timeouts
            finally:
                with self._lock:
                    self._followers -= 1
            # not kept (an error, a federated answer, another client's 429): ask the app
            return self.cache.get(version, key) or self._compute(environ, version, key)
        if done is None:
            return self._compute(environ, version, key)
        try:
            return self._compute(environ, version, key)
        finally:
            with self._lock:
                del self._in_flight[flight]
            done.set()

    def _key(self, environ: dict) -> str | None:
        """A digest of what the answer depends on (None: not cached). A POSTed body is read here
        and handed on to the app unchanged."""
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if method not in ("GET", "HEAD", "POST") or path.startswith(_UNCACHED_PATHS):
            return None
        parts = ["GET" if method == "HEAD" else method, path, environ.get("QUERY_STRING", ""),
                 environ.get("HTTP_ACCEPT", ""), self.public_url()]  # VoID and the service description name it
        if method == "POST":
            if path != "/sparql":
                return None
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return None
            if length <= 0 or (self.max_body and length > self.max_body) or environ.get("HTTP_TRANSFER_ENCODING"):
                return None  # the app answers these (411, 413...) itself
            data = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(data)
            parts += [environ.get("CONTENT_TYPE", ""), data.decode("latin-1")]
        return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def _compute(self, environ: dict, version: str, key: str) -> Entry | _Passed:
        """Run the app; a 200 that may be kept becomes an entry (kept if the version held),
        anything else passes through as the app made it."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        # HEAD is run as the GET it stands for: its answer is kept and validated as that GET's
        result = self.app({**environ, "REQUEST_METHOD": "GET"} if environ.get("REQUEST_METHOD") == "HEAD" else environ,
                          capture)
        try:
            body = b"".join([*captured.get("written", []), *result])
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured["status"], captured["headers"]
        code = int(status.split(" ", 1)[0])
        no_store = any(name.lower() == "cache-control" and "no-store" in value.lower() for name, value in headers)
        if no_store:
            self._remember_unkept(version, key)
        cacheable = code == 200 and not no_store
        if not cacheable:
            return _Passed(status, headers, [body])
        vary = dict.fromkeys([*(v.strip() for name, value in headers if name.lower() == "vary" for v in value.split(",")), *VARY])
        kept = [(name, value) for name, value in headers if name.lower() not in _HOP_HEADERS]
        return self._keep(version, key, Entry(200, [*kept, ("Vary", ", ".join(v for v in vary if v))], body))

    def _was_unkept(self, version: str, key: str) -> bool:
        with self._lock:
            return (version, key) in self._unkept

    def _remember_unkept(self, version: str, key: str) -> None:
        with self._lock:
            self._unkept[(version, key)] = None
            while len(self._unkept) > _UNKEPT_REMEMBERED:
                self._unkept.popitem(last=False)


@dataclass
class _Passed:
    status: str
    headers: list[tuple[str, str]]
    body: list[bytes]


_STATUS = {200: "200 OK"}


def _etag(version: str, key: str) -> str:
    return f'"{hashlib.sha256(version.encode()).hexdigest()[:12]}-{key[:20]}"'


def _not_modified(environ: dict, tag: str, built: float) -> bool:
    """RFC 9110 §13.2.2: If-None-Match first (weak comparison; our gzip tag names the same
    answer), then If-Modified-Since."""
    asked = environ.get("HTTP_IF_NONE_MATCH")
    if asked is not None:
        if asked.strip() == "*":
            return True
        wanted = tag.strip('"')
        for candidate in asked.split(","):
            candidate = candidate.strip().removeprefix("W/").strip('"')
            if candidate.removesuffix("-gzip") == wanted:
                return True
        return False
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        try:
            return int(built) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def _validators(tag: str, built: float, vary: bool = True) -> list[tuple[str, str]]:
    """ETag, Last-Modified, Cache-Control (and Vary, which a kept answer carries already)."""
    headers = [("ETag", tag), ("Last-Modified", formatdate(min(built, time.time()), usegmt=True)),
               ("Cache-Control", CACHE_CONTROL)]
    return headers + ([("Vary", ", ".join(VARY))] if vary else [])


def _gzip_wanted(environ: dict, entry: Entry) -> bool:
    if len(entry.body) < GZIP_MIN_BYTES:
        return False
    content_type = next((value for name, value in entry.headers if name.lower() == "content-type"), "")
    if not _COMPRESSIBLE.match(content_type.split(";", 1)[0].strip()):
        return False
    return _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))


def _accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding allows gzip (``gzip`` or ``*`` with a q-value above 0)."""
    allowed: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            allowed[name.strip().lower()] = quality
    return allowed.get("gzip", allowed.get("*", 0.0)) > 0


def cache_stats(app: Flask) -> Mapping[str, Any]:
    """What the response cache holds now (entries, bytes, bound), and how many answers came
    from the precomputed ones."""
    _, cache = app.extensions[RESPONSE_CACHE]
    shelf = app.extensions.get(SHELF)
    return {"entries": len(cache), "bytes": cache.bytes, "max_bytes": cache.max_bytes,
            "precomputed_hits": shelf.hits if shelf is not None else 0}
