"""``/queries`` (the catalogue) and ``/queries/<name>`` (run one), Datasette-style.

Every run goes through the app's worker pool (``app.extensions["citykg.executor"]``), so the
endpoint's timeout, row cap and read-only guarantees hold for canned queries too. The format
is the suffix (``.json``, ``.csv``, ``.html``), else ``?format=``, else the Accept header:
``application/json`` (the default: the Datasette-like document of server.sparql.tables),
``application/sparql-results+json`` (the engine's own answer, parameter columns included),
``text/csv``, ``text/html``. Errors come back in the same format with the status of the
error: 400 naming a bad or missing parameter, 404 for an unknown query, 406 for a format that
cannot be served, and the endpoint's own statuses (422 over the row cap, 504 past the timeout).

The HTML page is a form with each parameter's allowed values, the answer as a table whose
column headers sort it (``_sort=COLUMN`` / ``_sort_desc=COLUMN``, Datasette's names) in pages
of ``_size`` rows (``_page=N``), a chart when the answer suits one (``server.web.charts``) and
download links. Opened without its required parameters it is the form (200) saying what to
choose; a bad value shows the form again with the message beside the field (400).
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
from server.sparql.tables import Table, as_csv, as_json, plain, table_from_results, text
from server.store.interface import StoreError
from server.web import charts
from server.web.caching import store_version
from server.web.context import executor, linker
from server.web.negotiation import accepted
from server.web.render import page

bp = Blueprint("queries", __name__)
EXTENSION = "citykg.canned"
SPARQL_JSON = "application/sparql-results+json"
RUN_FORMATS = {"json": "application/json", "sparql-json": SPARQL_JSON, "csv": "text/csv", "html": "text/html"}
CATALOGUE_FORMATS = {"json": "application/json", "html": "text/html"}
PAGE_SIZE = 100  # rows per page, as Datasette
MAX_PAGE_SIZE = 1000


@dataclass
class CannedState:
    """The loaded queries, and the store context validation needs, re-read after a rebuild."""

    queries: dict[str, CannedQuery]
    _context: Context | None = None
    _version: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def context(self, executor: Executor) -> Context:
        version = store_version()
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


def load_current_context() -> None:
    """Read the current build's parameter context (allowed values) now, so that no request
    waits for it: at 100,000 documents listing the cities alone takes 5-13 s in a worker."""
    state().context(executor())


# --- the catalogue --------------------------------------------------------------------------


@bp.get("/queries")
@bp.get("/queries.<suffix>")
def catalogue(suffix: str | None = None) -> Response:
    fmt = error_format()
    try:
        fmt = choose_format(suffix, CATALOGUE_FORMATS)
        context = state().context(executor())
    except (SparqlError, StoreError) as exc:
        return error_response(exc, fmt)
    entries = [describe_query(q, context) for q in state().queries.values()]
    if fmt == "html":
        search, tag = request.args.get("q", "").strip(), request.args.get("tag", "").strip()
        for entry in entries:
            entry["hidden"] = not matches(entry, search, tag)
        return page("queries/catalogue.html", queries=entries, tags=sorted({t for e in entries for t in e["tags"]}),
                    search=search, tag=tag, shown=sum(not e["hidden"] for e in entries))
    response = jsonify({"queries": entries})
    response.vary.add("Accept")
    return response


def matches(entry: Mapping[str, Any], search: str, tag: str) -> bool:
    """Whether a catalogue entry has ``tag`` (or no tag is asked) and every word of ``search``
    in its name, summary, description, tags or parameter names (case aside). The page's
    filter box (static/js/catalogue.js) applies the same rule as you type."""
    if tag and tag not in entry["tags"]:
        return False
    haystack = " ".join([entry["name"], entry["summary"], entry["description"], *entry["tags"],
                         *(p["name"] for p in entry["parameters"])]).casefold()
    return all(word in haystack for word in search.casefold().split())


def describe_query(query: CannedQuery, context: Context) -> dict[str, Any]:
    url = url_for("queries.run", name=query.name)
    example = url + ("?" + urlencode(query.example) if query.example else "")
    return describe(query, context, url, example)


# --- running one ----------------------------------------------------------------------------


@bp.get("/queries/<name>")
def run(name: str) -> Response:
    stem, dot, suffix = name.partition(".")
    fmt = error_format()
    try:
        fmt = choose_format(suffix if dot else None, RUN_FORMATS)
        query = state().queries.get(stem)
        if query is None:
            raise UnknownQuery(f"no canned query {stem!r}; GET /queries lists them", None)
        given = single_values(request.args)
        if fmt == "html":
            return result_page(query, given)
        pool = executor()
        context = state().context(pool)
        bound = bind(query, given, context)
        answer = pool.run(request_for(query, bound, media_type=SPARQL_JSON, max_rows=pool.config.max_rows),
                          timeout=_timeout(request.args.get("timeout")))
    except (SparqlError, StoreError) as exc:
        return error_response(exc, fmt)
    shown = {key: display_value(term) for key, term in bound.items()}
    if fmt == "sparql-json":
        return _response(answer.body, SPARQL_JSON)
    table = table_from_results(answer.body, query, bound)
    if fmt == "csv":
        return _response(as_csv(table), "text/csv; charset=utf-8")
    return _response(as_json(query, shown, table), "application/json")


def run_table(name: str, given: Mapping[str, str] | None = None, timeout: float | None = None) -> tuple[dict[str, Any], Table]:
    """One canned query run through the worker pool: its bound parameters (as shown) and its
    answer as a table. The pages that draw from canned queries (home, city, charts) use this."""
    query = state().queries[name]
    pool = executor()
    bound = bind(query, dict(given or {}), state().context(pool))
    answer = pool.run(request_for(query, bound, media_type=SPARQL_JSON, max_rows=pool.config.max_rows), timeout=timeout)
    return {key: display_value(term) for key, term in bound.items()}, table_from_results(answer.body, query, bound)


# --- the HTML page ----------------------------------------------------------------------------


def result_page(query: CannedQuery, given: dict[str, str]) -> Response:
    """The form, and the answer when the parameters allow one (see the module docstring)."""
    pool = executor()
    context = state().context(pool)
    values = {key: value for key, value in given.items() if key not in RESERVED and not key.startswith("_")}
    view: dict[str, Any] = {
        "query": describe_query(query, context),
        "given": values,
        "shown": {},
        "error": None,
        "table": None,
        "links": _download_links(query.name, given),
        "editor": "/sparql#" + urlencode({"query": query.text, "tabTitle": query.name}),
    }
    try:
        bound = bind(query, given, context)
        view["shown"] = {key: display_value(term) for key, term in bound.items()}
        answer = pool.run(request_for(query, bound, media_type=SPARQL_JSON, max_rows=pool.config.max_rows),
                          timeout=_timeout(request.args.get("timeout")))
        table = table_from_results(answer.body, query, bound)
        view["table"] = page_of(table, given)
    except CannedQueryError as exc:
        missing_only = not values and exc.message.startswith("missing required parameter")
        view["error"] = None if missing_only else {"message": exc.message, "parameter": exc.parameter}
        response = page("queries/result.html", **view)
        response.status_code = 200 if missing_only else exc.http_status
        return response
    spec = charts.CHARTS.get(query.name)
    links = linker()
    view["chart"] = charts.chart_data(spec, table, links.href) if spec else None
    return page("queries/result.html", **view)


def page_of(table: Table, given: Mapping[str, str]) -> dict[str, Any]:
    """The rows of the requested page, sorted as asked, as cells ready to show (text, link,
    numeric or not), with the links that sort and page through the answer."""
    sort, descending = given.get("_sort_desc") or given.get("_sort"), bool(given.get("_sort_desc"))
    if sort and sort not in table.columns:
        raise CannedQueryError(f"cannot sort by {sort!r}: the columns are {', '.join(table.columns)}", "_sort")
    size = _positive(given.get("_size"), "_size", PAGE_SIZE)
    if size > MAX_PAGE_SIZE:
        raise CannedQueryError(f"_size {size} is above the largest page, {MAX_PAGE_SIZE} rows", "_size")
    rows = list(table.rows)
    if sort:
        column = table.columns.index(sort)
        rows.sort(key=lambda row: _sort_key(row[column]), reverse=descending)
        if descending:  # unbound cells last either way
            rows.sort(key=lambda row: row[column] is None)
    pages = max(1, -(-len(rows) // size))
    number = _positive(given.get("_page"), "_page", 1)
    if number > pages:
        raise CannedQueryError(f"_page {number} is past the last page ({pages})", "_page")
    links = linker()
    shown_rows = [[_cell(cell, links) for cell in row] for row in rows[(number - 1) * size : number * size]]
    keep = {key: value for key, value in given.items() if key not in ("_page",)}
    return {
        "columns": [{"name": name, "sort": _sort_state(name, sort, descending),
                     "href": "?" + urlencode({**_without_sort(keep), ("_sort_desc" if sort == name and not descending else "_sort"): name})}
                    for name in table.columns],
        "rows": shown_rows,
        "count": len(rows),
        "first": (number - 1) * size + 1 if rows else 0,
        "last": min(number * size, len(rows)),
        "page": number,
        "pages": pages,
        "previous": "?" + urlencode({**keep, "_page": number - 1}) if number > 1 else None,
        "next": "?" + urlencode({**keep, "_page": number + 1}) if number < pages else None,
    }


def _cell(cell: Mapping[str, Any] | None, links: Any) -> dict[str, Any]:
    """A cell as the page shows it: IRIs compacted and linked (local pages for our IRIs, only
    http(s) otherwise, so a stored ``javascript:`` IRI stays text), numbers right-aligned."""
    if cell is None:
        return {"text": "", "href": None, "numeric": False}
    value = plain(cell)
    if cell.get("type") == "uri":
        return {"text": links.short(cell["value"]), "href": links.href(cell["value"]), "numeric": False}
    return {"text": text(cell), "href": None, "numeric": charts.number(value) is not None and not isinstance(value, str)}


def _sort_key(cell: Mapping[str, Any] | None) -> tuple:
    value = None if cell is None else plain(cell)
    if value is None:
        return (2, "")
    numeric = charts.number(value)
    if numeric is not None and not isinstance(value, str):
        return (0, numeric)
    return (1, str(value).casefold())


def _sort_state(name: str, sort: str | None, descending: bool) -> str | None:
    if name != sort:
        return None
    return "descending" if descending else "ascending"


def _without_sort(given: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in given.items() if key not in ("_sort", "_sort_desc")}


def _positive(raw: str | None, name: str, default: int) -> int:
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise CannedQueryError(f"{name} {raw!r} is not a positive whole number", name)
    return int(raw)


def _download_links(name: str, given: Mapping[str, str]) -> dict[str, str]:
    """The whole answer (every row, the query's order) as CSV, JSON and SPARQL JSON."""
    kept = [(k, v) for k, v in given.items() if k not in RESERVED and not k.startswith("_")]

    def link(suffix: str, *extra: tuple[str, str]) -> str:
        pairs = [*kept, *extra]
        return url_for("queries.run", name=name + suffix) + ("?" + urlencode(pairs) if pairs else "")

    return {"CSV": link(".csv"), "JSON": link(".json"), "SPARQL JSON": link("", ("format", "sparql-json"))}


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


def error_format() -> str:
    """How to say an error that comes before a format is chosen (an unknown suffix, an
    unservable ``?format=``): a page for a browser, else JSON."""
    return "html" if accepted(request.accept_mimetypes, [("application/json", "json"), ("text/html", "html")]) == "html" else "json"


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
