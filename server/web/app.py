"""The Flask application factory: configuration, the query executor, CORS and error bodies.

``create_app(config)`` builds one app over one store and registers the views
(``server.web.views``). Views reach the worker pool through ``server.web.context.executor()``,
so every route that runs SPARQL shares the same timeout, row cap, SERVICE allowlist and
read-only workers. ``close_app(app)`` stops the
workers (``citykg serve`` calls it on exit; an atexit hook is the fallback).

Errors are always short text (or JSON when the client prefers JSON), never an HTML traceback:
``SparqlError`` subclasses carry their own HTTP status, werkzeug's HTTP errors keep theirs,
and anything else is a logged 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from mapper.rdf import DEFAULT_BASE
from server.sparql import federation
from server.sparql.executor import (
    DEFAULT_SERVICE_ALLOWLIST,
    DEFAULT_TIMEOUT,
    Executor,
    ExecutorConfig,
    default_workers,
)
from server.sparql.request import DEFAULT_MAX_ROWS, SparqlError
from server.store.backends import backend
from server.web.context import EXECUTOR, publish
from server.web.views import compare, dataset, editor, home, openapi, queries, resources, search, sparql

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "CITYKG_STORE": "var/store",
    "CITYKG_TIMEOUT": DEFAULT_TIMEOUT,  # seconds per query when the request names none
    "CITYKG_MAX_TIMEOUT": None,  # the most a request may ask for; None: CITYKG_TIMEOUT
    "CITYKG_MAX_ROWS": DEFAULT_MAX_ROWS,  # result rows (or triples) before a 422
    "CITYKG_MAX_BODY": 256 * 1024,  # request body bytes before a 413
    "CITYKG_SERVICE_ALLOWLIST": DEFAULT_SERVICE_ALLOWLIST,
    "CITYKG_WORKERS": None,  # None: one per core, at least two
    "CITYKG_BASE_IRI": DEFAULT_BASE,  # the data base IRI, for routes that mint IRIs
    # Wikidata federation (server.sparql.federation): the endpoint SERVICE calls reach through citykg's
    # forwarding proxy (None or "none": off), its cache directory (None: memory only), TTL, timeout
    "CITYKG_WIKIDATA_ENDPOINT": federation.DEFAULT_WIKIDATA_ENDPOINT,
    "CITYKG_WIKIDATA_CACHE": federation.DEFAULT_CACHE_DIR,
    "CITYKG_WIKIDATA_CACHE_TTL": federation.DEFAULT_CACHE_TTL,
    "CITYKG_WIKIDATA_TIMEOUT": federation.DEFAULT_UPSTREAM_TIMEOUT,
    "CITYKG_WIKIDATA_CONTACT": None,  # appended to the User-Agent (an e-mail address or URL)
}
PROXY = "citykg.wikidata_proxy"
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
    store = backend(app.config["CITYKG_STORE"])
    store.version()  # fail now, with a clear message, rather than in every worker
    publish(app, store)
    # a remote store makes SERVICE calls itself, where a proxy on this host's 127.0.0.1 is out of reach
    proxy_config = federation.proxy_config_from(app.config) if store.evaluates_in_process else None
    proxy = app.extensions[PROXY] = federation.WikidataProxy(proxy_config) if proxy_config else None
    try:
        app.extensions[EXECUTOR] = Executor(executor_config(app.config, proxy))
    except BaseException:
        close_app(app)
        raise
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
    app.after_request(_cors)
    app.register_error_handler(SparqlError, _sparql_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def executor_config(config: Mapping[str, Any], proxy: federation.WikidataProxy | None = None) -> ExecutorConfig:
    timeout = float(config["CITYKG_TIMEOUT"])
    ceiling = config.get("CITYKG_MAX_TIMEOUT")
    allowlist = config["CITYKG_SERVICE_ALLOWLIST"]
    if isinstance(allowlist, str):
        allowlist = allowlist.split()
    rewrites: dict[str, str] = {}
    if proxy is not None:  # the Wikidata endpoint is always allowed; its calls go through the proxy
        rewrites = federation.rewrites_for(proxy.config.endpoint, proxy.url)
        allowlist = [*allowlist, *(iri for iri in (proxy.config.endpoint, proxy.url) if iri not in allowlist)]
    return ExecutorConfig(
        service_rewrites=tuple(rewrites.items()),
        store=backend(config["CITYKG_STORE"]),
        workers=int(config.get("CITYKG_WORKERS") or default_workers()),
        timeout=timeout,
        max_timeout=float(ceiling) if ceiling is not None else timeout,
        service_allowlist=tuple(allowlist),
        max_rows=int(config["CITYKG_MAX_ROWS"]),
    )


def close_app(app: Flask) -> None:
    """Stop the app's query workers (idempotent)."""
    executor: Executor | None = app.extensions.get(EXECUTOR)
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


# --- errors --------------------------------------------------------------------------------------


def error_response(status: int, message: str, kind: str) -> Response:
    """Plain text, or JSON ``{"error", "status", "type"}`` when the client prefers JSON."""
    accept = request.accept_mimetypes
    if accept["application/json"] > accept["text/plain"]:
        body = json.dumps({"error": message, "status": status, "type": kind}, ensure_ascii=False)
        return Response(body + "\n", status=status, content_type="application/json")
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _sparql_error(exc: SparqlError) -> Response:
    return error_response(exc.http_status, str(exc), type(exc).__name__)


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
