"""Run one query in-process: checks that need no store, evaluation, the answer serialised.

``execute(store, request)`` is what a query worker (``server.sparql.executor``) runs for every
HTTP request, and what the command line runs in its own process. Safety checks that need no
store (UPDATE text, nesting, SERVICE targets, formats) run before evaluation, and the answer is
measured against the row and byte caps; the hard timeout and the memory limit are the
executor's job, because pyoxigraph cannot cancel a running query.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    Variable,
    parse,
    parse_query_results,
)

from server.sparql import federation, scan, services
from server.sparql.formats import GRAPH_FORMATS, RESULTS_FORMATS, graph_bytes, unsupported
from server.sparql.limits import DEFAULT_MAX_NESTING, check_nesting, check_response_size, response_too_large
from server.sparql.request import (
    UPDATE_MESSAGE,
    BadRequest,
    EvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    ResultTooLarge,
    ServiceNotAllowed,
    StoreFailure,
    UnsupportedFormat,
    UpdateRefused,
)
from server.store.interface import GraphReader
from server.store.remote import _bind as bind_terms  # the one SPARQL-lexer binder (the remote store's)
from server.store.prefixes import store_prefixes

def execute(
    store: GraphReader,
    request: QueryRequest,
    *,
    service_allowlist: Collection[str] | None = None,
    prefixes: Mapping[str, str] | None = None,
    service_rewrites: Mapping[str, str] | None = None,
    base_iri: str | None = None,
    max_nesting: int = DEFAULT_MAX_NESTING,
    max_response: int | None = None,
    checked: CheckedQueries | None = None,
) -> QueryResponse:
    """Run ``request`` against ``store`` and serialise the answer in ``request.media_type``.

    ``service_allowlist`` None skips the SERVICE check (the CLI, where the user is the
    operator); workers always pass one. ``prefixes`` are predeclared (default: the store's),
    so ``cik:``, ``city:``, ``role:``... work as in ``citykg query``. ``service_rewrites``
    (SERVICE IRI -> IRI) sends SERVICE calls through citykg's proxy, and the entities marker is
    expanded (``server.sparql.federation``), before the allowlist check. ``base_iri`` resolves
    relative IRIs: a fixed value (the dataset's base), never anything a request chose.
    ``max_response`` caps the serialised answer in bytes. ``checked`` remembers the queries
    that passed the checks (and their federation rewrite), so a query text seen before with the
    same store version, prefixes and settings is not read again (``CheckedQueries``).
    """
    prefixes = dict(store_prefixes(store) if prefixes is None else prefixes)
    request = _bound_in_text(request)
    prepared = checked.get(request.query) if checked is not None else None
    if prepared is None:
        prepared = _prepare(store, request.query, prefixes, service_allowlist, service_rewrites, base_iri, max_nesting)
        if checked is not None:
            checked.put(request.query, prepared)
    request = replace(request, query=prepared.query) if prepared.query != request.query else request
    kwargs = _dataset_arguments(request, prepared.has_dataset_clause)
    substitutions = {Variable(name): parse_term(text, name) for name, text in request.substitutions.items()}
    try:
        result = store.query(
            request.query, base_iri=base_iri, prefixes=prefixes, substitutions=substitutions or None, **kwargs
        )
        if isinstance(result, QueryBoolean):
            response = _boolean_response(result, request.media_type)
        elif isinstance(result, QuerySolutions):
            response = _solutions_response(result, request, max_response)
        else:
            response = _graph_response(result, request, prefixes)
    except SyntaxError as exc:  # (update text was refused by check_query already)
        raise QuerySyntaxError(syntax_error_message(request.query, str(exc))) from None
    except RuntimeError as exc:  # evaluation refused the query (e.g. a substitution not projected)
        raise EvaluationError(f"the query cannot be evaluated: {exc}") from None
    except OSError as exc:  # the store, or a SERVICE endpoint, failed while reading
        upstream = federation.upstream_failure(str(exc), service_rewrites)  # a 502/504 naming no internal address
        message = federation.public_message(" ".join(str(exc).split()), service_rewrites)
        raise upstream or StoreFailure(f"the query failed while reading: {message}") from None
    check_response_size(len(response.body), max_response)
    return response


def _bound_in_text(request: QueryRequest) -> QueryRequest:
    """The request with its parameters written into the query as terms.

    pyoxigraph's ``substitutions=`` binds a variable after planning, so a per-city query still
    plans (and a sub-select still computes) for every city: 13x slower at 10,000 documents than
    the same query with the city written in. The terms are validated pyoxigraph terms written by
    pyoxigraph (IRIs cannot hold ``>`` or spaces, literals are escaped), placed by a SPARQL lexer
    at the variable's occurrences only (never in strings, IRIs or comments), the way the remote
    store binds them (``server.store.remote``); every check then reads the text the engine runs.
    A blank node cannot be written into a query, so it stays a substitution.
    """
    if not request.substitutions:
        return request
    terms = {Variable(name): parse_term(text, name) for name, text in request.substitutions.items()}
    if any(isinstance(term, BlankNode) for term in terms.values()):
        return request
    return replace(request, query=bind_terms(request.query, terms), substitutions={})


@dataclass(frozen=True)
class Prepared:
    """A query text that passed every check, as the engine will run it."""

    query: str  # SERVICE targets sent through the proxy, the entities marker expanded
    has_dataset_clause: bool


def _prepare(store: GraphReader, query: str, prefixes: Mapping[str, str], service_allowlist: Collection[str] | None,
             service_rewrites: Mapping[str, str] | None, base_iri: str | None, max_nesting: int) -> Prepared:
    check_nesting(query, max_nesting)  # first: every later step reads the query by recursion
    if service_rewrites or federation.ENTITIES_MARKER in query:
        query = federation.prepare(store, query, service_rewrites, prefixes, base_iri)
    check_query(query, prefixes, service_allowlist, base_iri)
    return Prepared(query, scan.has_dataset_clause(query))


class CheckedQueries:
    """Query texts that passed the checks, for one store version and one set of settings.

    What the checks read (nesting, UPDATE, SERVICE targets resolved with the prefixes, the
    federation rewrite, FROM) depends only on the text, the store's prefixes and linked entities
    (fixed for a version) and the worker's settings (fixed for its life), so a worker keeps one
    of these per version and drops it when the version changes. Bounded by the characters of
    the texts it holds (least recently used first out); refused queries are not kept.
    """

    def __init__(self, max_chars: int = 4 * 1024 * 1024) -> None:
        self.max_chars = max_chars
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        self._chars = 0

    def get(self, query: str) -> Prepared | None:
        prepared = self._entries.get(query)
        if prepared is not None:
            self._entries.move_to_end(query)
        return prepared

    def put(self, query: str, prepared: Prepared) -> None:
        size = len(query) + len(prepared.query)
        if size > self.max_chars or query in self._entries:
            return
        self._entries[query] = prepared
        self._chars += size
        while self._chars > self.max_chars:
            old, dropped = self._entries.popitem(last=False)
            self._chars -= len(old) + len(dropped.query)


def check_query(
    query: str, prefixes: Mapping[str, str], service_allowlist: Collection[str] | None, base_iri: str | None = None
) -> None:
    """The checks that need no evaluation: UPDATE text, then SERVICE targets (as the engine
    will resolve them, with ``base_iri`` and ``prefixes``)."""
    if scan.is_update(query):
        raise UpdateRefused(UPDATE_MESSAGE)
    if service_allowlist is not None:
        refused = services.refused_service(query, prefixes, base_iri, service_allowlist)
        if refused:
            raise ServiceNotAllowed(f"SERVICE {refused} is not allowed; {allowed_endpoints(service_allowlist)}")


def allowed_endpoints(allowlist: Collection[str]) -> str:
    """The public part of the allowlist for messages: citykg's own proxy addresses are internal."""
    public = sorted(iri for iri in allowlist if not federation.is_proxy_url(iri))
    return "allowed endpoints: " + (", ".join(public) or "none")


def _dataset_arguments(request: QueryRequest, has_dataset_clause: bool) -> dict[str, Any]:
    """Protocol graphs override FROM/FROM NAMED; without either, the union of all graphs.

    pyoxigraph ignores a query's FROM when ``use_default_graph_as_union`` is set, so the union
    is asked for only when the query declares no dataset of its own.
    """
    if request.default_graph_uris or request.named_graph_uris:
        return {
            "default_graph": [_graph_iri(iri, "default-graph-uri") for iri in request.default_graph_uris],
            "named_graphs": [_graph_iri(iri, "named-graph-uri") for iri in request.named_graph_uris],
        }
    if has_dataset_clause:
        return {}
    return {"use_default_graph_as_union": True}


def _graph_iri(iri: str, parameter: str) -> NamedNode:
    try:
        return NamedNode(iri)
    except ValueError as exc:
        raise BadRequest(f"{parameter} {iri!r} is not an absolute IRI: {exc}") from None


def parse_term(text: str, name: str = "") -> NamedNode | BlankNode | Literal:
    """An N-Triples term (``<iri>``, ``"lit"``, ``"lit"@en``, ``"lit"^^<dt>``, ``_:b``) as a
    pyoxigraph term, validated by pyoxigraph's N-Triples parser."""
    try:
        quads = list(parse(f"<urn:x:s> <urn:x:p> {text} .".encode(), format=RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise BadRequest(f"parameter {name or text!r}: not an N-Triples term: {text!r} ({exc})") from None
    if len(quads) != 1:
        raise BadRequest(f"parameter {name or text!r}: not one N-Triples term: {text!r}")
    term = quads[0].object
    if isinstance(term, Triple):
        raise BadRequest(f"parameter {name or text!r}: a triple term cannot be bound")
    return term


def syntax_error_message(query: str, message: str, max_length: int = 240) -> str:
    """The parser's message on one line (its list of expected tokens can run to a screenful),
    then the offending query line with a caret under the reported ``line:column``."""
    flat = " ".join(message.split())
    flat = flat if len(flat) <= max_length else flat[: max_length - 1] + "…"
    line, column = scan.error_position(message)
    lines = query.splitlines()
    if line is None or column is None or not 1 <= line <= len(lines):
        return f"query syntax error: {flat}"
    return f"query syntax error: {flat}\n  {lines[line - 1]}\n  {' ' * (column - 1)}^"


# --- serialising ------------------------------------------------------------------------------


def _boolean_response(result: QueryBoolean, media_type: str) -> QueryResponse:
    fmt = RESULTS_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedFormat(unsupported("an ASK result", media_type, "boolean"))
    return QueryResponse("boolean", media_type, result.serialize(format=fmt))


def _solutions_response(solutions: QuerySolutions, request: QueryRequest, max_response: int | None) -> QueryResponse:
    """The engine writes the answer (SPARQL JSON, then XML, CSV or TSV converted by it too);
    the rows are counted on the bytes, and an answer over either cap is refused whole.

    The writer stops the engine as soon as the answer passes ``max_response`` bytes, so a huge
    result costs at most that much before its 422. Without a byte cap the rows are read one by
    one instead, so the row cap still stops the engine early.
    """
    fmt = RESULTS_FORMATS.get(request.media_type)
    if fmt is None:
        raise UnsupportedFormat(unsupported("a SELECT result", request.media_type, "solutions"))
    if max_response is None:
        return _counted_solutions(solutions, request, fmt)
    writer = _CappedWriter(max_response)
    solutions.serialize(writer, QueryResultsFormat.JSON)
    body = writer.getvalue()
    rows = json_rows(body)
    if rows > request.max_rows:
        rows = len(json.loads(body)["results"]["bindings"])  # the bound may count a string's "},{"
        if rows > request.max_rows:
            raise ResultTooLarge(_too_many(request.max_rows, "rows"))
    if fmt != QueryResultsFormat.JSON:
        body = parse_query_results(body, format=QueryResultsFormat.JSON).serialize(format=fmt)
    return QueryResponse("solutions", request.media_type, body, rows=rows)


def json_rows(body: bytes) -> int:
    """At least as many as the solutions in a SPARQL JSON document pyoxigraph wrote, and exactly
    as many unless a string value holds ``},{``: pyoxigraph writes those three characters
    between two solutions (the end of one binding object, the start of the next) and nowhere
    else outside strings."""
    return 0 if body.endswith(b"[]}}") else body.count(b"},{") + 1


class _CappedWriter:
    """A file the engine serialises into; past ``limit`` bytes it stops the engine (422)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) > self.limit:
            raise ResultTooLarge(response_too_large(self.limit))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return bytes(self._buffer)


def _counted_solutions(solutions: QuerySolutions, request: QueryRequest, fmt: QueryResultsFormat) -> QueryResponse:
    """No byte cap: the rows are read one by one (stopping past the row cap) into SPARQL JSON."""
    variables = [v.value for v in solutions.variables]
    bindings = [{name: _json_term(row[name]) for name in variables if row[name] is not None}
                for row in _capped(solutions, request.max_rows, "rows")]
    body = json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False, separators=(",", ":")).encode()
    if fmt != QueryResultsFormat.JSON:
        body = parse_query_results(body, format=QueryResultsFormat.JSON).serialize(format=fmt)
    return QueryResponse("solutions", request.media_type, body, rows=len(bindings))


def _graph_response(triples: Iterator[Triple], request: QueryRequest, prefixes: Mapping[str, str]) -> QueryResponse:
    if request.media_type not in GRAPH_FORMATS:
        raise UnsupportedFormat(unsupported("a CONSTRUCT or DESCRIBE result", request.media_type, "graph"))
    graph = sorted(set(_capped(triples, request.max_rows, "triples")), key=str)
    return QueryResponse("graph", request.media_type, graph_bytes(graph, request.media_type, prefixes), rows=len(graph))


def _capped(items: Iterator[Any], cap: int, what: str) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        if count > cap:
            raise ResultTooLarge(_too_many(cap, what))
        yield item


def _too_many(cap: int, what: str) -> str:
    return (f"the result has more than {cap} {what}, the limit of this endpoint; "
            f"add a LIMIT (at most {cap}) or narrow the query")


def _json_term(term: Any) -> dict[str, Any]:
    """One RDF term in the SPARQL 1.1 (and 1.2 triple-term) JSON results format."""
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if getattr(term, "direction", None) is not None:
                out["its:dir"] = str(term.direction).rsplit(".", 1)[-1].lower()
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate), "object": _json_term(term.object)},
        }
    raise TypeError(f"unexpected term {term!r}")
