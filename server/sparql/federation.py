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

Every other endpoint on the SERVICE allowlist is proxied the same way (``/service/<n>``), because
the query workers can reach nothing but this proxy (``server.sparql.netguard``). The proxy is
the only way out, so it is strict both ways: it reads a request body only with a valid
``Content-Length`` up to ``MAX_QUERY_BYTES`` (no chunked bodies, no ``-1``), follows a redirect
only on the endpoint's own scheme, host and port, reads at most ``max_answer`` bytes of an
answer whatever its headers say, and its error messages name the public endpoint, never its own
address.
"""

from __future__ import annotations

import hashlib
import http.client
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

from server.sparql import scan, services
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
SERVICE_PATH = "/service/"  # + n: the n-th other endpoint of the allowlist
MAX_QUERY_BYTES = 1024 * 1024
DEFAULT_MAX_ANSWER = 16 * 1024 * 1024  # bytes of one upstream answer
MAX_REDIRECTS = 3
_PROXY_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost|\[::1\]):\d+(?:/wikidata|/service/\d+)(?![\w/])")
_ENTITY = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
_GET_LIMIT = 4000  # longer queries are POSTed (form-encoded)
_ENTITIES_QUERY = """PREFIX cik: <https://w3id.org/citykg/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?entity WHERE { ?city owl:sameAs|skos:closeMatch ?entity FILTER EXISTS { ?city a cik:City } } ORDER BY ?entity"""
# From the links to their subjects' type, not from every city to its links: at 100,000 documents
# with one city linked, 0.03 s against 5.5 s (pyoxigraph checks the FILTER EXISTS per link).


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


def prepare(store: Any, text: str, rewrites: Mapping[str, str] | None, prefixes: Mapping[str, str],
            base_iri: str | None = None) -> str:
    """``text`` with SERVICE targets in ``rewrites`` replaced, and the entities marker expanded.

    A target is compared by the IRI the engine makes of it (``services.resolve``: the query's
    BASE and PREFIX declarations, ``prefixes`` and ``base_iri``), not by how it is written.
    """
    if ENTITIES_MARKER not in text and (not rewrites or not services.MENTIONS_SERVICE.search(text)):
        return text
    declarations = scan.declarations(text)
    edits: list[tuple[int, int, str]] = []
    entities: str | None = None
    stream = list(scan.tokens(text, scan.prologue(text).end))
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
            iri = services.resolve(declarations, target.text, prefixes, base_iri)
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


def rewrites_for(endpoint: str, proxy_url: str, others: Mapping[str, str] | None = None) -> dict[str, str]:
    """SERVICE IRI -> proxy URL: the Wikidata placeholder and endpoint, and ``others``
    (endpoint -> its proxy URL)."""
    return {WIKIDATA_PLACEHOLDER: proxy_url, endpoint: proxy_url, **(others or {})}


def is_proxy_url(iri: str) -> bool:
    """True for an address of a citykg proxy (internal: never shown to clients)."""
    return _PROXY_URL.fullmatch(iri) is not None


def public_message(message: str, rewrites: Mapping[str, str] | None) -> str:
    """``message`` with every proxy address replaced by the endpoint it stands for."""
    back = {proxy: endpoint for endpoint, proxy in (rewrites or {}).items() if endpoint != WIKIDATA_PLACEHOLDER}
    for proxy in sorted(back, key=len, reverse=True):
        message = message.replace(proxy, back[proxy])
    return _PROXY_URL.sub("citykg's federation proxy", message)


# How pyoxigraph reports a SERVICE call that got an error status ("Error 502 Bad Gateway
# returned by http://127.0.0.1:41234/wikidata with payload:\n<the proxy's message>").
_SERVICE_STATUS = re.compile(r"Error (?P<status>\d{3})\b[^\n]*? returned by (?P<url>\S+) with payload:\s*(?P<detail>.*)", re.DOTALL)


def upstream_failure(message: str, rewrites: Mapping[str, str] | None = None) -> SparqlError | None:
    """What a query that failed in a SERVICE call to citykg's proxy is: a 504 when the endpoint did
    not answer in time, else a 502, with the proxy's own words (they name the configured endpoint)
    and never the proxy's address. None when ``message`` is not such a failure."""
    found = _SERVICE_STATUS.search(message)
    if found is None and not _PROXY_URL.search(message):
        return None
    if found is None:  # the proxy itself could not be reached
        return UpstreamFailure("the federated query failed: citykg's Wikidata proxy did not answer")
    detail = public_message(found["detail"].strip(), rewrites) or f"status {found['status']}"
    if found["status"] == "504":
        return UpstreamTimeout(f"the federated query stopped: {detail}")
    return UpstreamFailure(f"the federated query failed: {detail}")


# --- the proxy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyConfig:
    endpoint: str = DEFAULT_WIKIDATA_ENDPOINT
    cache_dir: Path | None = Path(DEFAULT_CACHE_DIR)  # None: memory only
    cache_ttl: float = DEFAULT_CACHE_TTL
    timeout: float = DEFAULT_UPSTREAM_TIMEOUT
    contact: str | None = None
    others: tuple[str, ...] = ()  # other allowlisted SERVICE endpoints, each at /service/<n>
    max_answer: int = DEFAULT_MAX_ANSWER  # bytes read of one upstream answer


@dataclass
class ProxyStats:
    upstream: int = 0  # requests sent to the endpoint
    hits: int = 0  # answered from the cache
    errors: int = 0  # upstream failures (not cached)


class _OffSite(Exception):
    """An upstream answered with a redirect that leaves its own scheme, host and port."""


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the endpoint's own origin, at most ``MAX_REDIRECTS`` times."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if _origin(urllib.parse.urljoin(req.full_url, newurl)) != _origin(req.full_url):
            raise _OffSite(urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)).hostname or "?")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class _TooLarge(Exception):
    pass


class WikidataProxy:
    """A forwarding SPARQL endpoint on 127.0.0.1 (``url``; other endpoints at ``urls``):
    User-Agent, cache, timeout, same-origin redirects, capped answers."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = ProxyConfig(**{**config.__dict__, "endpoint": validate_endpoint(config.endpoint),
                                     "others": tuple(validate_endpoint(o) for o in config.others)})
        self.user_agent = user_agent(config.contact)
        self.stats = ProxyStats()
        self._memory: dict[str, tuple[float, str, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._opener = urllib.request.build_opener(_SameOriginRedirects())
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="citykg-wikidata-proxy", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.port = port
        self.url = f"http://{host}:{port}{PROXY_PATH}"
        self.routes = {PROXY_PATH: self.config.endpoint}
        self.routes.update({f"{SERVICE_PATH}{n}": other for n, other in enumerate(self.config.others)})
        self.urls = {endpoint: f"http://{host}:{port}{path}" for path, endpoint in self.routes.items()}

    def rewrites(self) -> dict[str, str]:
        """SERVICE IRI -> proxy URL for every endpoint this proxy forwards to."""
        others = {endpoint: url for endpoint, url in self.urls.items() if endpoint != self.config.endpoint}
        return rewrites_for(self.config.endpoint, self.url, others)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WikidataProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the work of one request ---------------------------------------------------------------

    def answer(self, query: str, accept: str, endpoint: str | None = None) -> tuple[int, str, bytes, str]:
        """``(status, content type, body, cache state)`` for one SPARQL query to ``endpoint``
        (default: the Wikidata endpoint)."""
        endpoint = endpoint or self.config.endpoint
        key = hashlib.sha256(json.dumps([endpoint, query, accept]).encode()).hexdigest()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # identical concurrent requests: one goes upstream, the others wait for its answer
            cached = self._cached(key)
            if cached is not None:
                with self._guard:
                    self.stats.hits += 1
                return 200, cached[0], cached[1], "hit"
            status, content_type, body = self._fetch(endpoint, query, accept)
            if status == 200:
                self._store(key, endpoint, content_type, body)
            else:
                with self._guard:
                    self.stats.errors += 1
            return status, content_type, body, "miss"

    def _fetch(self, endpoint: str, query: str, accept: str) -> tuple[int, str, bytes]:
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
        plain = "text/plain; charset=utf-8"
        named = f"the {'Wikidata' if endpoint == self.config.endpoint else 'SPARQL'} endpoint {endpoint}"
        timeout = f"{named} did not answer within {self.config.timeout:g} s"
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:  # http(s) only: validated
                body = _read_capped(response, self.config.max_answer)
                content_type = response.headers.get("Content-Type", "application/sparql-results+json")
                log.info("federation: %s %d bytes in %.2f s", endpoint, len(body), time.monotonic() - started)
                return response.status, content_type, body
        except _TooLarge:
            return 502, plain, f"{named} sent an answer larger than {self.config.max_answer} bytes, the limit of citykg's federation proxy".encode()
        except _OffSite as exc:
            return 502, plain, f"{named} redirected to another host ({exc}); only redirects on its own host are followed".encode()
        except urllib.error.HTTPError as exc:
            detail = _read_detail(exc)
            log.warning("federation: %s answered %d", endpoint, exc.code)
            status = exc.code if exc.code in (400, 403, 429, 500, 502, 503, 504) else 502
            return status, plain, f"{named} answered {exc.code}: {detail}".encode()
        except TimeoutError:
            return 504, plain, timeout.encode()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                return 504, plain, timeout.encode()
            return 502, plain, f"{named} cannot be reached: {reason}".encode()

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

    def _store(self, key: str, endpoint: str, content_type: str, body: bytes) -> None:
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
            document = {"stored": stored, "endpoint": endpoint, "content_type": content_type, "body": text}
            temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, directory / f"{key}.json")  # readers never see half a file
        except OSError as exc:
            log.warning("federation cache: cannot write %s: %s", directory, exc)


def _read_capped(response: Any, limit: int) -> bytes:
    """At most ``limit`` bytes, whatever Content-Length says (absent, -1, chunked or a lie)."""
    chunks, total = [], 0
    while True:
        chunk = response.read(min(65536, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _TooLarge


def _read_detail(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(2000).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""


class _Handler(BaseHTTPRequestHandler):
    """SPARQL 1.1 Protocol, query operation only: GET ?query=, POST form or sparql-query body."""

    owner: WikidataProxy
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a connection may stay silent (the socket's timeout)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urllib.parse.urlsplit(self.path)
        endpoint = self.owner.routes.get(parts.path)
        if endpoint is None:
            return self._send(404, "text/plain", b"not found\n")
        queries = urllib.parse.parse_qs(parts.query).get("query", [])
        self._run(endpoint, queries)

    def do_POST(self) -> None:  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return self._send(411, "text/plain", b"send a Content-Length, not a chunked body\n")
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit():
            self.close_connection = True
            return self._send(400, "text/plain", b"Content-Length must be a number of bytes\n")
        length = int(declared)
        if length > MAX_QUERY_BYTES:
            self.close_connection = True
            return self._send(413, "text/plain", b"query too large\n")
        body = self.rfile.read(length) if length else b""
        endpoint = self.owner.routes.get(parts.path)
        if endpoint is None:
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
        self._run(endpoint, queries)

    def _run(self, endpoint: str, queries: list[str]) -> None:
        if len(queries) != 1 or not queries[0].strip():
            return self._send(400, "text/plain", b"one query, please\n")
        status, content_type, body, cache = self.owner.answer(queries[0], self.headers.get("Accept", ""), endpoint)
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
        log.debug("federation proxy: " + format, *args)


def proxy_config_from(config: Mapping[str, Any]) -> ProxyConfig | None:
    """The proxy settings of an app config (``CITYKG_WIKIDATA_*``); None when federation is off."""
    endpoint = config.get("CITYKG_WIKIDATA_ENDPOINT", DEFAULT_WIKIDATA_ENDPOINT)
    if endpoint is None or str(endpoint).strip().lower() in ("", "none"):
        return None
    cache = config.get("CITYKG_WIKIDATA_CACHE", DEFAULT_CACHE_DIR)
    allowlist = config.get("CITYKG_SERVICE_ALLOWLIST") or ()
    allowlist = allowlist.split() if isinstance(allowlist, str) else allowlist
    wikidata = validate_endpoint(str(endpoint))
    others = [iri for iri in allowlist if iri not in (wikidata, WIKIDATA_PLACEHOLDER)]
    return ProxyConfig(
        endpoint=wikidata,
        cache_dir=Path(cache) if cache else None,
        cache_ttl=float(config.get("CITYKG_WIKIDATA_CACHE_TTL", DEFAULT_CACHE_TTL)),
        timeout=float(config.get("CITYKG_WIKIDATA_TIMEOUT", DEFAULT_UPSTREAM_TIMEOUT)),
        contact=config.get("CITYKG_WIKIDATA_CONTACT"),
        others=tuple(others),
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
        yield proxy.rewrites()
    finally:
        proxy.close()
