"""The Flask application factory: configuration, the query pools, CORS, security headers, errors.

``create_app(config)`` builds one app over one store and registers the views
(``server.web.views``). Views reach the worker pools through ``server.web.context.executor()``
(``server.sparql.admission.Lanes``), so every route that runs SPARQL shares the same limits,
SERVICE allowlist and read-only workers. ``close_app(app)`` stops the workers (``citykg serve``
calls it on exit; an atexit hook is the fallback).

Every request that can run a query takes one of its client's slots (``CITYKG_PER_CLIENT``; the
client is the peer address, or the address ``CITYKG_TRUSTED_PROXIES`` reverse proxies vouch
for). Every answer carries ``X-Content-Type-Options: nosniff``; HTML pages also a
Content-Security-Policy that allows the vendored scripts from this host only (SECURITY.md).

Errors follow the error contract of ``/openapi.json``: JSON ``{"error", "status", "type"}``
(and ``parameter`` when one parameter is at fault), an HTML page (``error.html``) for clients
that prefer HTML (browsers), plain text only for clients that ask for it; never a traceback.
``SparqlError`` subclasses carry their own HTTP status (and Retry-After), werkzeug's HTTP
errors keep theirs, and anything else is a logged 500. A parameter sent empty is a 400.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from mapper.rdf import DEFAULT_BASE
from server.sparql import admission, federation, limits, lookup
from server.sparql.admission import ClientSlots, Lanes
from server.sparql.executor import DEFAULT_SERVICE_ALLOWLIST, Executor, ExecutorConfig, default_workers
from server.sparql.lookup import LocalLookups
from server.sparql.request import DEFAULT_MAX_ROWS, BadRequest, SparqlError
from server.store.backends import backend
from server.web import caching
from server.web.context import EXECUTOR, publish
from server.web.views import compare, dataset, editor, home, openapi, queries, resources, search, sparql

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {  # every limit is listed, with its flag, in SECURITY.md
    "CITYKG_STORE": "var/store",
    "CITYKG_TIMEOUT": limits.DEFAULT_TIMEOUT,  # seconds per query when the request names none
    "CITYKG_MAX_TIMEOUT": None,  # the most a request may ask for; None: CITYKG_TIMEOUT
    "CITYKG_MIN_TIMEOUT": limits.DEFAULT_MIN_TIMEOUT,  # the least a request may ask for
    "CITYKG_MAX_ROWS": DEFAULT_MAX_ROWS,  # result rows (or triples) before a 422
    "CITYKG_MAX_RESPONSE": limits.DEFAULT_MAX_RESPONSE,  # answer bytes before a 422
    "CITYKG_MAX_NESTING": limits.DEFAULT_MAX_NESTING,  # query nesting before a 400
    "CITYKG_MAX_BODY": limits.DEFAULT_MAX_BODY,  # request body bytes before a 413
    "CITYKG_WORKER_MEMORY": limits.DEFAULT_WORKER_MEMORY,  # bytes each query worker may allocate
    "CITYKG_NETWORK_GUARD": "auto",  # workers reach only the federation proxy: auto | required | off
    "CITYKG_SERVICE_ALLOWLIST": DEFAULT_SERVICE_ALLOWLIST,
    "CITYKG_WORKERS": None,  # interactive workers; None: one per core, at least two
    "CITYKG_HEAVY_WORKERS": admission.DEFAULT_HEAVY_WORKERS,  # 0: one lane only
    "CITYKG_INTERACTIVE_BUDGET": admission.DEFAULT_INTERACTIVE_BUDGET,  # seconds before a query moves lanes
    "CITYKG_QUEUE": admission.DEFAULT_INTERACTIVE_QUEUE,  # requests waiting for an interactive worker
    "CITYKG_HEAVY_QUEUE": admission.DEFAULT_HEAVY_QUEUE,  # requests waiting for a heavy worker
    "CITYKG_PER_CLIENT": admission.DEFAULT_PER_CLIENT,  # requests in progress per client; None: no limit
    "CITYKG_TRUSTED_PROXIES": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto/-Host count
    "CITYKG_PUBLIC_URL": "http://127.0.0.1:8000/",  # the URL clients use (VoID, service description)
    "CITYKG_BASE_IRI": DEFAULT_BASE,  # the data base IRI, for routes that mint IRIs
    "CITYKG_RESPONSE_CACHE": caching.DEFAULT_CACHE_BYTES,  # bytes of answers kept per store version; 0: off
    "CITYKG_ANSWERS": None,  # directory of precomputed canned answers per build (server.web.precompute); None: none
    "CITYKG_PRECOMPUTE_TIMEOUT": None,  # seconds per query while precomputing; None: server.web.precompute.DEFAULT_TIMEOUT
    "CITYKG_LOOKUP_QUADS": lookup.DEFAULT_MAX_QUADS,  # a one-IRI lookup of at most this many statements runs in-process; 0: never
    # Wikidata federation (server.sparql.federation): the endpoint SERVICE calls reach through citykg's
    # forwarding proxy (None or "none": off), its cache directory (None: memory only), TTL, timeout
    "CITYKG_WIKIDATA_ENDPOINT": federation.DEFAULT_WIKIDATA_ENDPOINT,
    "CITYKG_WIKIDATA_CACHE": federation.DEFAULT_CACHE_DIR,
    "CITYKG_WIKIDATA_CACHE_TTL": federation.DEFAULT_CACHE_TTL,
    "CITYKG_WIKIDATA_TIMEOUT": federation.DEFAULT_UPSTREAM_TIMEOUT,
    "CITYKG_WIKIDATA_CONTACT": None,  # appended to the User-Agent (an e-mail address or URL)
}
PROXY = "citykg.wikidata_proxy"
CLIENTS = "citykg.clients"
# The front end's scripts and styles are vendored files served from this host; YASGUI (CodeMirror)
# sets inline style attributes, so styles also allow 'unsafe-inline' (scripts never do). See SECURITY.md.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
_QUIET_PATHS = ("/static/", "/openapi.json", "/context.jsonld")  # no query runs there: no client slot
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Type, Vary",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "86400",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """An app over ``CITYKG_STORE`` (a store directory, a store URL, or a ``StoreBackend``);
    raises ``server.store.interface.NoStore`` if nothing is built there."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["CITYKG_MAX_BODY"])
    if int(app.config["CITYKG_TRUSTED_PROXIES"] or 0):
        hops = int(app.config["CITYKG_TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    store = backend(app.config["CITYKG_STORE"])
    store.version()  # fail now, with a clear message, rather than in every worker
    publish(app, store)
    # a remote store makes SERVICE calls itself, where a proxy on this host's 127.0.0.1 is out of reach
    proxy_config = federation.proxy_config_from(app.config) if store.evaluates_in_process else None
    proxy = app.extensions[PROXY] = federation.WikidataProxy(proxy_config) if proxy_config else None
    try:
        app.extensions[EXECUTOR] = lanes(app.config, proxy)
    except BaseException:
        close_app(app)
        raise
    per_client = app.config["CITYKG_PER_CLIENT"]
    app.extensions[CLIENTS] = ClientSlots(int(per_client) if per_client else None)
    try:
        app.register_blueprint(sparql.bp)  # /sparql
        queries.init_app(app)  # /queries, /queries/<name>
        app.register_blueprint(openapi.bp)  # /openapi.json
        app.register_blueprint(resources.bp)  # /city/<id>…, /ontology
        app.register_blueprint(dataset.bp)  # /export, /.well-known/void, /context.jsonld
        app.register_blueprint(home.bp)  # /
        app.register_blueprint(search.bp)  # /search
        app.register_blueprint(compare.bp)  # /compare
        app.register_blueprint(editor.bp)  # /prefixes.json (the editor page itself is /sparql for browsers)
    except BaseException:
        close_app(app)  # no orphaned workers when a blueprint cannot load (e.g. a bad .rq file)
        raise
    app.before_request(_preflight)
    app.before_request(_refuse_empty_parameters)
    app.before_request(_take_client_slot)
    app.teardown_request(_give_client_slot_back)
    app.after_request(_cors)
    app.after_request(_security_headers)
    # around the whole app: a 304 or a kept answer costs no Flask request nor client slot
    caching.init_app(app, {**CORS_HEADERS, "X-Content-Type-Options": "nosniff"})
    max_quads = int(app.config.get("CITYKG_LOOKUP_QUADS") or 0)
    if store.evaluates_in_process and max_quads:  # lookups of one IRI: in this process (server.sparql.lookup)
        clock = app.extensions[caching.RESPONSE_CACHE][0]
        app.extensions[EXECUTOR].local = LocalLookups(store, app.extensions[EXECUTOR].config, clock.current, max_quads)
    app.register_error_handler(SparqlError, _sparql_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def executor_config(config: Mapping[str, Any], proxy: federation.WikidataProxy | None = None) -> ExecutorConfig:
    """The interactive pool's configuration (the heavy pool's differs in size, queue, priority)."""
    timeout = float(config["CITYKG_TIMEOUT"])
    ceiling = config.get("CITYKG_MAX_TIMEOUT")
    allowlist = config["CITYKG_SERVICE_ALLOWLIST"]
    if isinstance(allowlist, str):
        allowlist = allowlist.split()
    rewrites: dict[str, str] = {}
    ports: tuple[int, ...] = ()
    if proxy is not None:  # the Wikidata endpoint is always allowed; every SERVICE call goes through the proxy
        rewrites = proxy.rewrites()
        allowlist = [*allowlist, *(iri for iri in (proxy.config.endpoint, *proxy.urls.values()) if iri not in allowlist)]
        ports = (proxy.port,)
    max_response = config.get("CITYKG_MAX_RESPONSE")
    memory = config.get("CITYKG_WORKER_MEMORY")
    queue = config.get("CITYKG_QUEUE")
    return ExecutorConfig(
        service_rewrites=tuple(rewrites.items()),
        store=backend(config["CITYKG_STORE"]),
        workers=int(config.get("CITYKG_WORKERS") or default_workers()),
        timeout=timeout,
        max_timeout=float(ceiling) if ceiling is not None else timeout,
        min_timeout=min(float(config.get("CITYKG_MIN_TIMEOUT") or 0), timeout),
        service_allowlist=tuple(allowlist),
        max_rows=int(config["CITYKG_MAX_ROWS"]),
        base_iri=str(config.get("CITYKG_BASE_IRI") or DEFAULT_BASE),
        max_nesting=int(config.get("CITYKG_MAX_NESTING") or limits.DEFAULT_MAX_NESTING),
        max_response=int(max_response) if max_response else None,
        memory_limit=int(memory) if memory else None,
        network_guard=str(config.get("CITYKG_NETWORK_GUARD") or "auto"),
        egress_ports=ports,
        max_waiting=int(queue) if queue is not None else None,
        name="interactive" if int(config.get("CITYKG_HEAVY_WORKERS") or 0) else "query",
    )


def lanes(config: Mapping[str, Any], proxy: federation.WikidataProxy | None = None) -> Lanes:
    """The interactive pool and, unless ``CITYKG_HEAVY_WORKERS`` is 0, the heavy one (started
    by the first query that outruns the interactive budget)."""
    interactive_config = executor_config(config, proxy)
    heavy_workers = int(config.get("CITYKG_HEAVY_WORKERS") or 0)
    interactive = Executor(interactive_config)
    if not heavy_workers:
        return Lanes(interactive, None)
    queue = config.get("CITYKG_HEAVY_QUEUE")
    heavy = replace(interactive_config, workers=heavy_workers, name="heavy", nice=admission.HEAVY_NICE,
                    max_waiting=int(queue) if queue is not None else None)
    return Lanes(interactive, heavy, float(config.get("CITYKG_INTERACTIVE_BUDGET") or admission.DEFAULT_INTERACTIVE_BUDGET))


def close_app(app: Flask) -> None:
    """Stop the app's query workers (idempotent)."""
    executor: Lanes | None = app.extensions.get(EXECUTOR)
    if executor is not None:
        executor.close()
    proxy: federation.WikidataProxy | None = app.extensions.pop(PROXY, None)
    if proxy is not None:
        proxy.close()


# --- CORS ----------------------------------------------------------------------------------------


def _preflight() -> Response | None:
    """Answer a CORS preflight for any route; browsers send one before a POSTed query."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = Response(status=204)
    del response.headers["Content-Type"]
    response.headers.update(PREFLIGHT_HEADERS)
    response.headers["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Accept, Content-Type"
    )
    return response


def _cors(response: Response) -> Response:
    """Reads are public: any origin may read any answer (nothing here writes)."""
    response.headers.update(CORS_HEADERS)
    return response


def _security_headers(response: Response) -> Response:
    """No content sniffing anywhere; HTML pages run only this host's scripts and are not framed."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


# --- admission -----------------------------------------------------------------------------------


def client_id() -> str:
    """Who is asking: the peer address (after ``CITYKG_TRUSTED_PROXIES`` hops of X-Forwarded-For)."""
    return request.remote_addr or "unknown"


def _take_client_slot() -> None:
    if request.method == "OPTIONS" or request.path.startswith(_QUIET_PATHS):
        return
    from flask import current_app

    current_app.extensions[CLIENTS].acquire(client_id())
    g.citykg_client = client_id()


def _give_client_slot_back(exc: BaseException | None) -> None:
    client = g.pop("citykg_client", None)
    if client is not None:
        from flask import current_app

        current_app.extensions[CLIENTS].release(client)


def _refuse_empty_parameters() -> None:
    """``?format=`` or ``?timeout=`` with nothing after ``=`` is a mistake, not a default. A
    parameter also given a value is fine (SPARQLWrapper sends ``format=xml&format=``)."""
    values = request.args
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values = request.values
    for name in values:
        if all(value == "" for value in values.getlist(name)):
            error = BadRequest(f"parameter {name!r} is empty; give it a value or leave it out")
            error.parameter = name  # type: ignore[attr-defined]
            raise error


# --- errors --------------------------------------------------------------------------------------


def error_response(status: int, message: str, kind: str, parameter: str | None = None,
                   retry_after: int | None = None) -> Response:
    """The error in the form the client prefers: HTML for browsers, plain text when asked for,
    else the JSON of the error contract (``components/schemas/Error`` in /openapi.json)."""
    accept = request.accept_mimetypes
    json_quality = accept["application/json"]
    if accept["text/html"] > json_quality and accept["text/html"] > accept["text/plain"]:
        body = render_template("error.html", status=status, message=message, parameter=parameter)
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
    elif accept["text/plain"] > json_quality and "text/plain" in accept.values():
        response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    else:
        document: dict[str, Any] = {"error": message, "status": status, "type": kind}
        if parameter:
            document["parameter"] = parameter
        response = Response(json.dumps(document, ensure_ascii=False) + "\n", status=status, content_type="application/json")
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    response.vary.add("Accept")
    return response


def _sparql_error(exc: SparqlError) -> Response:
    return error_response(exc.http_status, str(exc), type(exc).__name__, getattr(exc, "parameter", None),
                          getattr(exc, "retry_after", None))


def _http_error(exc: HTTPException) -> Response:
    message = exc.description or exc.name
    if exc.code == 413:
        message = f"the request body is larger than this endpoint's limit of {request.max_content_length} bytes"
    response = error_response(exc.code or 500, f"{exc.name}: {message}", type(exc).__name__)
    if exc.code == 405:
        response.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ["GET", "POST"])
    return response


def _unexpected_error(exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(500, f"internal error: {type(exc).__name__}", "InternalServerError")
