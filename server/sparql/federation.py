"""Federated queries with Wikidata: the configured endpoint, a forwarding proxy, the rewrite.

pyoxigraph's own SERVICE client sends ``User-Agent: Oxigraph/…``, caches nothing and cannot be
configured, while the Wikidata query service refuses requests without a descriptive
User-Agent and rate-limits per agent. So SERVICE calls to Wikidata never leave pyoxigraph
directly: ``WikidataProxy`` is a small SPARQL endpoint on ``127.0.0.1`` (a thread of the
server process, or of ``citykg query``) that forwards each request to the configured endpoint
with citykg's User-Agent, a timeout, and a cache keyed by (endpoint, query, Accept).

``prepare(store, text, rewrites)`` is applied to every query before the SERVICE allowlist check:

- a SERVICE target equal to the placeholder ``https://query.wikidata.org/sparql`` (the IRI the
  ``queries/wikidata-*.rq`` files name, so they also run as plain files) or to the configured
  endpoint is replaced by the proxy's IRI (a token for a token: the rest of the text is kept);
- the marker IRI ``<urn:citykg:wikidata-entities>`` is replaced by the Wikidata entities the
  store links its cities to (``owl:sameAs`` or ``skos:closeMatch``). pyoxigraph sends a SERVICE
  group as it is written, without the bindings of the rest of the query, so the federated
  queries write ``VALUES ?item { <urn:citykg:wikidata-entities> }`` inside the SERVICE group
  to ask Wikidata about these entities only.

Neither replacement takes text from a request: the endpoint is configuration, validated as an
absolute http(s) IRI, and the entities are read from the store and must match
``http://www.wikidata.org/entity/Q<digits>``. The rewritten text is then checked against the
allowlist like any other query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from server.sparql import scan
from server.sparql.request import SparqlError, UpstreamFailure, UpstreamTimeout

log = logging.getLogger(__name__)

WIKIDATA_PLACEHOLDER = "https://query.wikidata.org/sparql"  # the SERVICE IRI the .rq files name
DEFAULT_WIKIDATA_ENDPOINT = WIKIDATA_PLACEHOLDER
DEFAULT_CACHE_DIR = "var/cache/wikidata"
DEFAULT_CACHE_TTL = 24 * 3600.0  # seconds a cached answer is reused
DEFAULT_UPSTREAM_TIMEOUT = 20.0  # seconds for one call to the Wikidata endpoint
ENTITIES_MARKER = "urn:citykg:wikidata-entities"
PROJECT_URL = "https://w3id.org/citykg"
PROXY_PATH = "/wikidata"
MAX_QUERY_BYTES = 1024 * 1024
_ENTITY = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
_GET_LIMIT = 4000  # longer queries are POSTed (form-encoded)
_ENTITIES_QUERY = """PREFIX cik: <https://w3id.org/citykg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?entity WHERE { ?city a cik:City ; owl:sameAs|skos:closeMatch ?entity } ORDER BY ?entity"""


class FederationConfigError(ValueError):
    """A Wikidata endpoint (or cache setting) that cannot be used."""


def validate_endpoint(value: str) -> str:
    """An absolute http(s) IRI with a host, usable as a SERVICE target; else FederationConfigError."""
    from pyoxigraph import NamedNode

    text = value.strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FederationConfigError(f"Wikidata endpoint {value!r} is not an absolute http(s) URL")
    try:
        NamedNode(text)
    except ValueError as exc:
        raise FederationConfigError(f"Wikidata endpoint {value!r} is not a valid IRI: {exc}") from None
    if re.search(r"[\s<>\"{}|\\^`]", text):
        raise FederationConfigError(f"Wikidata endpoint {value!r} has characters an IRI cannot hold")
    return text


def user_agent(contact: str | None = None) -> str:
    """``citykg/<version> (https://w3id.org/citykg; <contact>)``, per the Wikimedia User-Agent policy."""
    try:
        from importlib.metadata import version

        release = version("citykg")
    except Exception:  # noqa: BLE001 - not installed (a source checkout)
        release = "0"
    import sys

    details = "; ".join((PROJECT_URL, contact or "federated queries over City Innovation Snapshots"))
    return f"citykg/{release} ({details}) python-urllib/{sys.version_info.major}.{sys.version_info.minor}"


# --- the rewrite -----------------------------------------------------------------------------


def prepare(store: Any, text: str, rewrites: Mapping[str, str] | None, prefixes: Mapping[str, str]) -> str:
    """``text`` with SERVICE targets in ``rewrites`` replaced, and the entities marker expanded."""
    if ENTITIES_MARKER not in text and (not rewrites or "service" not in text.lower()):
        return text
    head = scan.prologue(text)
    known = {**prefixes, **head.prefixes}
    edits: list[tuple[int, int, str]] = []
    entities: str | None = None
    stream = list(scan.tokens(text, head.end))
    for index, token in enumerate(stream):
        if token.kind == "iri" and scan.unescape_iri(token.text) == ENTITIES_MARKER:
            if entities is None:
                entities = " ".join(f"<{iri}>" for iri in linked_entities(store))
            edits.append((token.start, token.end, entities))
        elif rewrites and token.kind == "name" and token.text.lower() == "service":
            target = stream[index + 1] if index + 1 < len(stream) else None
            if target is not None and target.kind == "name" and target.text.lower() == "silent":
                target = stream[index + 2] if index + 2 < len(stream) else None
            if target is None or target.kind not in ("iri", "pname"):
                continue
            iri = scan._target_iri(target, known)  # noqa: SLF001 - the scanner's own resolution
            if iri is not None and iri in rewrites:
                edits.append((target.start, target.end, f"<{rewrites[iri]}>"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def linked_entities(store: Any) -> list[str]:
    """The Wikidata entities the store links a city to, validated one by one."""
    found = []
    for row in store.query(_ENTITIES_QUERY, use_default_graph_as_union=True):
        value = row["entity"].value
        if _ENTITY.match(value):
            found.append(value)
    return found


# How pyoxigraph reports a SERVICE call that got an error status ("Error 502 Bad Gateway
# returned by http://127.0.0.1:41234/wikidata with payload:\n<the proxy's message>").
_SERVICE_STATUS = re.compile(r"Error (?P<status>\d{3})\b[^\n]*? returned by (?P<url>\S+) with payload:\s*(?P<detail>.*)", re.DOTALL)
_PROXY_URL = re.compile(r"https?://127\.0\.0\.1:\d+" + re.escape(PROXY_PATH) + r"\b")


def upstream_failure(message: str) -> SparqlError | None:
    """What a query that failed in a SERVICE call to citykg's proxy is: a 504 when Wikidata did
    not answer in time, else a 502, with the proxy's own words (they name the configured endpoint)
    and never the proxy's address. None when ``message`` is not such a failure."""
    found = _SERVICE_STATUS.search(message)
    if found is None and not _PROXY_URL.search(message):
        return None
    if found is None:  # the proxy itself could not be reached
        return UpstreamFailure("the federated query failed: citykg's Wikidata proxy did not answer")
    detail = _PROXY_URL.sub("citykg's Wikidata proxy", found["detail"].strip()) or f"status {found['status']}"
    if found["status"] == "504":
        return UpstreamTimeout(f"the federated query stopped: {detail}")
    return UpstreamFailure(f"the federated query failed: {detail}")


def rewrites_for(endpoint: str, proxy_url: str) -> dict[str, str]:
    return {WIKIDATA_PLACEHOLDER: proxy_url, endpoint: proxy_url}


# --- the proxy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyConfig:
    endpoint: str = DEFAULT_WIKIDATA_ENDPOINT
    cache_dir: Path | None = Path(DEFAULT_CACHE_DIR)  # None: memory only
    cache_ttl: float = DEFAULT_CACHE_TTL
    timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    contact: str | None = None


@dataclass
class ProxyStats:
    upstream: int = 0  # requests sent to the endpoint
    hits: int = 0  # answered from the cache
    errors: int = 0  # upstream failures (not cached)


class WikidataProxy:
    """A forwarding SPARQL endpoint on 127.0.0.1 (``url``): User-Agent, cache, timeout."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = ProxyConfig(**{**config.__dict__, "endpoint": validate_endpoint(config.endpoint)})
        self.user_agent = user_agent(config.contact)
        self.stats = ProxyStats()
        self._memory: dict[str, tuple[float, str, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="citykg-wikidata-proxy", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}{PROXY_PATH}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WikidataProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the work of one request ---------------------------------------------------------------

    def answer(self, query: str, accept: str) -> tuple[int, str, bytes, str]:
        """``(status, content type, body, cache state)`` for one SPARQL query."""
        key = hashlib.sha256(json.dumps([self.config.endpoint, query, accept]).encode()).hexdigest()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # identical concurrent requests: one goes upstream, the others wait for its answer
            cached = self._cached(key)
            if cached is not None:
                with self._guard:
                    self.stats.hits += 1
                return 200, cached[0], cached[1], "hit"
            status, content_type, body = self._fetch(query, accept)
            if status == 200:
                self._store(key, content_type, body)
            else:
                with self._guard:
                    self.stats.errors += 1
            return status, content_type, body, "miss"

    def _fetch(self, query: str, accept: str) -> tuple[int, str, bytes]:
        endpoint = self.config.endpoint
        encoded = urllib.parse.urlencode({"query": query})
        headers = {"User-Agent": self.user_agent, "Accept": accept or "application/sparql-results+json"}
        if len(endpoint) + len(encoded) < _GET_LIMIT:  # GET: what the Wikidata service caches best
            separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
            request = urllib.request.Request(endpoint + separator + encoded, headers=headers, method="GET")
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            request = urllib.request.Request(endpoint, data=encoded.encode(), headers=headers, method="POST")
        with self._guard:
            self.stats.upstream += 1
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read()
                content_type = response.headers.get("Content-Type", "application/sparql-results+json")
                log.info("wikidata: %s %d bytes in %.2f s", endpoint, len(body), time.monotonic() - started)
                return response.status, content_type, body
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:2000].decode("utf-8", "replace")
            log.warning("wikidata: %s answered %d", endpoint, exc.code)
            status = exc.code if exc.code in (400, 403, 429, 500, 502, 503, 504) else 502
            return status, "text/plain; charset=utf-8", f"the Wikidata endpoint {endpoint} answered {exc.code}: {detail}".encode()
        except TimeoutError:
            return 504, "text/plain; charset=utf-8", f"the Wikidata endpoint {endpoint} did not answer within {self.config.timeout:g} s".encode()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                return 504, "text/plain; charset=utf-8", f"the Wikidata endpoint {endpoint} did not answer within {self.config.timeout:g} s".encode()
            return 502, "text/plain; charset=utf-8", f"the Wikidata endpoint {endpoint} cannot be reached: {reason}".encode()

    # the cache: in memory, and on disk when a directory is configured ------------------------

    def _cached(self, key: str) -> tuple[str, bytes] | None:
        now = time.time()
        entry = self._memory.get(key)
        if entry is None and self.config.cache_dir is not None:
            entry = self._read_disk(key)
        if entry is None or now - entry[0] > self.config.cache_ttl:
            return None
        self._memory[key] = entry
        return entry[1], entry[2]

    def _read_disk(self, key: str) -> tuple[float, str, bytes] | None:
        path = Path(self.config.cache_dir) / f"{key}.json"  # type: ignore[arg-type]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return float(data["stored"]), str(data["content_type"]), str(data["body"]).encode("utf-8")
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, content_type: str, body: bytes) -> None:
        stored = time.time()
        self._memory[key] = (stored, content_type, body)
        if self.config.cache_dir is None:
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return
        directory = Path(self.config.cache_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            temporary = directory / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            document = {"stored": stored, "endpoint": self.config.endpoint, "content_type": content_type, "body": text}
            temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, directory / f"{key}.json")  # readers never see half a file
        except OSError as exc:
            log.warning("wikidata cache: cannot write %s: %s", directory, exc)


class _Handler(BaseHTTPRequestHandler):
    """SPARQL 1.1 Protocol, query operation only: GET ?query=, POST form or sparql-query body."""

    owner: WikidataProxy
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != PROXY_PATH:
            return self._send(404, "text/plain", b"not found\n")
        queries = urllib.parse.parse_qs(parts.query).get("query", [])
        self._run(queries)

    def do_POST(self) -> None:  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_QUERY_BYTES:
            return self._send(413, "text/plain", b"query too large\n")
        body = self.rfile.read(length) if length else b""
        if parts.path != PROXY_PATH:
            return self._send(404, "text/plain", b"not found\n")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._send(415, "text/plain", b"the body must be UTF-8\n")
        if content_type == "application/sparql-query":
            queries = [text]
        elif content_type == "application/x-www-form-urlencoded":
            queries = urllib.parse.parse_qs(text).get("query", [])
        else:
            return self._send(415, "text/plain", b"send application/sparql-query or a form\n")
        self._run(queries)

    def _run(self, queries: list[str]) -> None:
        if len(queries) != 1 or not queries[0].strip():
            return self._send(400, "text/plain", b"one query, please\n")
        status, content_type, body, cache = self.owner.answer(queries[0], self.headers.get("Accept", ""))
        self._send(status, content_type, body, {"X-Cache": cache})

    def _send(self, status: int, content_type: str, body: bytes, extra: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("wikidata proxy: " + format, *args)


def proxy_config_from(config: Mapping[str, Any]) -> ProxyConfig | None:
    """The proxy settings of an app config (``CITYKG_WIKIDATA_*``); None when federation is off."""
    endpoint = config.get("CITYKG_WIKIDATA_ENDPOINT", DEFAULT_WIKIDATA_ENDPOINT)
    if endpoint is None or str(endpoint).strip().lower() in ("", "none"):
        return None
    cache = config.get("CITYKG_WIKIDATA_CACHE", DEFAULT_CACHE_DIR)
    return ProxyConfig(
        endpoint=validate_endpoint(str(endpoint)),
        cache_dir=Path(cache) if cache else None,
        cache_ttl=float(config.get("CITYKG_WIKIDATA_CACHE_TTL", DEFAULT_CACHE_TTL)),
        timeout=float(config.get("CITYKG_WIKIDATA_TIMEOUT", DEFAULT_UPSTREAM_TIMEOUT)),
        contact=config.get("CITYKG_WIKIDATA_CONTACT"),
    )


@contextmanager
def local_proxy(endpoint: str | None, cache_dir: str | Path | None = DEFAULT_CACHE_DIR) -> Iterator[dict[str, str]]:
    """For one command (``citykg query``): a proxy in this process while the block runs, and the
    SERVICE rewrites that send Wikidata calls through it (none when ``endpoint`` is None)."""
    if endpoint is None:
        yield {}
        return
    proxy = WikidataProxy(ProxyConfig(endpoint=endpoint, cache_dir=Path(cache_dir) if cache_dir else None))
    try:
        yield rewrites_for(proxy.config.endpoint, proxy.url)
    finally:
        proxy.close()
