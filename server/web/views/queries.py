"""``/queries`` (the catalogue) and ``/queries/<name>`` (run one), Datasette-style.

Every run goes through the app's worker pool (``app.extensions["citykg.executor"]``), so the
endpoint's timeout, row cap and read-only guarantees hold for canned queries too. The format
is the suffix (``.json``, ``.csv``, ``.html``), else ``?format=``, else the Accept header:
``application/json`` (the default: the Datasette-like document of server.sparql.tables),
``application/sparql-results+json`` (the engine's own answer, parameter columns included),
``text/csv``, ``text/html``. Errors come back in the same format with the status of the
error: 400 naming a bad or missing parameter, 404 for an unknown query, 406 for a format that
cannot be served, and the endpoint's own statuses (422 over the row cap, 504 past the timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    request,
    url_for,
)

from mapper.rdf import DEFAULT_BASE
from server.sparql.canned import (
    QUERIES_DIR,
    RESERVED,
    CannedQuery,
    CannedQueryError,
    Context,
    UnknownQuery,
    bind,
    display_value,
    load_context,
    load_queries,
    request_for,
)
from server.sparql.catalogue import describe
from server.sparql.executor import Executor
from server.sparql.request import SparqlError, UnsupportedFormat
from server.sparql.tables import as_csv, as_json, table_from_results
from server.store.backends import backend
from server.store.interface import StoreError
from server.store.prefixes import ordered_prefixes
from server.web.context import executor
from server.web.negotiation import accepted
from server.web.render import page

bp = Blueprint("queries", __name__)
EXTENSION = "citykg.canned"
SPARQL_JSON = "application/sparql-results+json"
RUN_FORMATS = {"json": "application/json", "sparql-json": SPARQL_JSON, "csv": "text/csv", "html": "text/html"}
CATALOGUE_FORMATS = {"json": "application/json", "html": "text/html"}


@dataclass
class CannedState:
    """The loaded queries, and the store context validation needs, re-read after a rebuild."""

    queries: dict[str, CannedQuery]
    _context: Context | None = None
    _version: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def context(self, executor: Executor) -> Context:
        version = backend(executor.config.store).version()
        with self._lock:
            if self._context is None or version != self._version:
                self._context = load_context(executor.run, self.queries.values(), DEFAULT_BASE)
                self._version = version
            return self._context


def init_app(app: Flask, queries_dir: Path | None = None) -> None:
    """Load ``queries_dir`` (config ``CITYKG_QUERIES_DIR``, default ``queries/``) and register."""
    directory = Path(queries_dir or app.config.get("CITYKG_QUERIES_DIR") or QUERIES_DIR)
    app.extensions[EXTENSION] = CannedState(load_queries(directory))
    app.register_blueprint(bp)


def state() -> CannedState:
    return current_app.extensions[EXTENSION]


# --- the catalogue --------------------------------------------------------------------------


@bp.get("/queries")
@bp.get("/queries.<suffix>")
def catalogue(suffix: str | None = None) -> Response:
    fmt = "json"
    try:
        fmt = choose_format(suffix, CATALOGUE_FORMATS)
        context = state().context(executor())
    except (SparqlError, StoreError) as exc:
        return error_response(exc, fmt)
    entries = [describe_query(q, context) for q in state().queries.values()]
    if fmt == "html":
        return page("queries/catalogue.html", queries=entries)
    response = jsonify({"queries": entries})
    response.vary.add("Accept")
    return response


def describe_query(query: CannedQuery, context: Context) -> dict[str, Any]:
    url = url_for("queries.run", name=query.name)
    example = url + ("?" + urlencode(query.example) if query.example else "")
    return describe(query, context, url, example)


# --- running one ----------------------------------------------------------------------------


@bp.get("/queries/<name>")
def run(name: str) -> Response:
    stem, dot, suffix = name.partition(".")
    fmt = "json"
    try:
        fmt = choose_format(suffix if dot else None, RUN_FORMATS)
        query = state().queries.get(stem)
        if query is None:
            raise UnknownQuery(f"no canned query {stem!r}; GET /queries lists them", None)
        given = single_values(request.args)
        pool = executor()
        context = state().context(pool)
        bound = bind(query, given, context)
        timeout = _timeout(request.args.get("timeout"))
        media = SPARQL_JSON
        answer = pool.run(request_for(query, bound, media_type=media, max_rows=pool.config.max_rows), timeout=timeout)
    except (SparqlError, StoreError) as exc:
        return error_response(exc, fmt)
    shown = {key: display_value(term) for key, term in bound.items()}
    if fmt == "sparql-json":
        return _response(answer.body, SPARQL_JSON)
    table = table_from_results(answer.body, query, bound)
    if fmt == "csv":
        return _response(as_csv(table), "text/csv; charset=utf-8")
    if fmt == "html":
        return page(
            "queries/result.html",
            query=describe_query(query, context),
            shown=shown,
            given=given,
            table=table,
            prefixes=ordered_prefixes(context.prefixes),
            links={f: url_for("queries.run", name=f"{query.name}.{f}") + _query_string(given) for f in ("json", "csv")},
        )
    return _response(as_json(query, shown, table), "application/json")


def single_values(args: Mapping[str, Any]) -> dict[str, str]:
    """Query-string parameters, each given once (``?role=a&role=b`` is ambiguous: 400)."""
    out: dict[str, str] = {}
    for key in args:
        values = args.getlist(key) if hasattr(args, "getlist") else [args[key]]
        if len(values) > 1:
            raise CannedQueryError(f"parameter {key!r} given {len(values)} times; give it once", key)
        out[key] = values[0]
    return out


def _timeout(raw: str | None) -> float | None:
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise CannedQueryError(f"timeout {raw!r} is not a number of seconds", "timeout") from None


def _query_string(given: Mapping[str, str]) -> str:
    kept = {k: v for k, v in given.items() if k not in RESERVED and not k.startswith("_")}
    return "?" + urlencode(kept) if kept else ""


# --- formats and errors ---------------------------------------------------------------------


def choose_format(suffix: str | None, formats: Mapping[str, str]) -> str:
    """Suffix, then ``?format=``, then Accept (no Accept header: JSON)."""
    names = ", ".join(formats)
    if suffix is not None:
        if suffix not in formats:
            raise UnknownQuery(f"no format .{suffix} here (formats: {names})", None)
        return suffix
    asked = request.args.get("format")
    if asked:
        if asked not in formats:
            raise UnsupportedFormat(f"format {asked!r} cannot be served here (formats: {names})")
        return asked
    chosen = accepted(request.accept_mimetypes, [(media, name) for name, media in formats.items()])
    if chosen is None:
        raise UnsupportedFormat(f"none of the media types in Accept can be served here (available: {', '.join(formats.values())})")
    return chosen


def error_response(exc: Exception, fmt: str) -> Response:
    """The error in the format the client asked for (JSON when that is what failed)."""
    status = getattr(exc, "http_status", 503 if isinstance(exc, StoreError) else 500)
    message = getattr(exc, "message", str(exc))
    parameter = getattr(exc, "parameter", None)
    if fmt == "html":
        response = page("error.html", status=status, message=message, parameter=parameter)
    elif fmt == "csv":
        response = _response((message + "\n").encode(), "text/plain; charset=utf-8")
    else:
        body: dict[str, Any] = {"error": message, "status": status, "type": type(exc).__name__}
        if parameter:
            body["parameter"] = parameter
        response = jsonify(body)
    response.status_code = status
    return response


def _response(body: bytes, media_type: str) -> Response:
    response = Response(body, content_type=media_type)
    response.vary.add("Accept")
    return response
