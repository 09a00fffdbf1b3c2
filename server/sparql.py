"""One SPARQL query, in-process: the request and response values, the errors, ``execute``.

The HTTP endpoint, the canned-query routes and the CLI all describe a query as a
``QueryRequest`` and get a ``QueryResponse`` (bytes already serialised in the negotiated
media type), so the same value can cross a process boundary to a worker (``server.executor``)
and back. Substitutions travel as N-Triples term text and become pyoxigraph terms here, so
parameters are bound by the engine (``substitutions=``), never spliced into query text.

Safety checks that need no store (UPDATE text, SERVICE targets, formats) live in
``server.scan`` and here, and run before evaluation; the hard timeout is the executor's job,
because pyoxigraph cannot cancel a running query.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    parse_query_results,
    serialize,
)

from server import federation, scan
from server.formats import (
    store_prefixes,
    triples_as_context_jsonld,
    triples_as_turtle,
    used_prefixes,
)

DEFAULT_MAX_ROWS = 10_000

# --- formats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    """A result format: its ``?format=`` name, media type, other accepted media types, and
    whether it serialises solutions/booleans ("results") or graphs ("graph")."""

    name: str
    media_type: str
    serves: str  # "results" | "graph"
    engine: QueryResultsFormat | RdfFormat  # pyoxigraph's name for it
    aliases: tuple[str, ...] = ()


FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", QueryResultsFormat.JSON, ("application/json",)),
    Format("xml", "application/sparql-results+xml", "results", QueryResultsFormat.XML, ("application/xml", "text/xml")),
    Format("csv", "text/csv", "results", QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "results", QueryResultsFormat.TSV),
    Format("turtle", "text/turtle", "graph", RdfFormat.TURTLE, ("application/x-turtle",)),
    Format("jsonld", "application/ld+json", "graph", RdfFormat.JSON_LD, ("application/json",)),
    Format("ntriples", "application/n-triples", "graph", RdfFormat.N_TRIPLES, ("text/plain",)),
    Format("rdfxml", "application/rdf+xml", "graph", RdfFormat.RDF_XML, ("application/xml", "text/xml")),
    Format("trig", "application/trig", "graph", RdfFormat.TRIG),
    Format("nquads", "application/n-quads", "graph", RdfFormat.N_QUADS),
)
FORMATS_BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
_RESULTS_FORMATS = {f.media_type: f.engine for f in FORMATS if f.serves == "results"}
_GRAPH_FORMATS = {f.media_type: f.engine for f in FORMATS if f.serves == "graph"}


def formats_for(kind: str) -> tuple[Format, ...]:
    """The formats a result of ``kind`` ("solutions", "boolean", "graph") can be sent in,
    the default first."""
    serves = "graph" if kind == "graph" else "results"
    return tuple(f for f in FORMATS if f.serves == serves)


# --- requests, responses, errors ---------------------------------------------------------------


@dataclass(frozen=True)
class QueryRequest:
    query: str
    # variable name (no '?') -> N-Triples term text: '<iri>', '"lit"^^<dt>' or '"lit"@en'
    substitutions: Mapping[str, str] = field(default_factory=dict)
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    media_type: str = "application/sparql-results+json"  # chosen by negotiation; graphs e.g. "text/turtle"
    max_rows: int = DEFAULT_MAX_ROWS
    base_iri: str | None = None  # resolves relative IRIs in the query (the endpoint uses its own URL)


@dataclass(frozen=True)
class QueryResponse:
    kind: str  # "solutions" | "boolean" | "graph"
    media_type: str
    body: bytes
    rows: int | None = None


class SparqlError(Exception):
    """A query that cannot be answered as asked; ``http_status`` says how the endpoint reports it.

    Instances pickle by message alone, so workers can send them back to the parent.
    """

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


class BadRequest(SparqlError):
    """A malformed protocol request (no query, two queries, a bad graph IRI or parameter)."""

    http_status = 400


class QuerySyntaxError(SparqlError):
    """The parser's message, with the position and the offending line under a caret."""

    http_status = 400


class UpdateRefused(SparqlError):
    """The store is read-only: SPARQL UPDATE is refused on every route."""

    http_status = 403


class ServiceNotAllowed(SparqlError):
    """A SERVICE clause names an endpoint that is not on the allowlist (checked before evaluation)."""

    http_status = 403


class QueryTimeout(SparqlError):
    """The query ran past its deadline and its worker process was killed."""

    http_status = 504


class ResultTooLarge(SparqlError):
    """More rows (or triples) than the configured cap: the answer is refused, never truncated."""

    http_status = 422


class UnsupportedFormat(SparqlError):
    """No acceptable format can carry this kind of result (e.g. CSV for a CONSTRUCT)."""

    http_status = 406


class EvaluationError(SparqlError):
    """The engine refused the query while evaluating it (a request the client can fix)."""

    http_status = 400


class StoreFailure(SparqlError):
    """Reading the store (or an allowed SERVICE endpoint) failed: not the client's fault."""

    http_status = 500


class UnsupportedMediaType(SparqlError):
    """A POST body the protocol does not define (not form-encoded or application/sparql-query,
    or not UTF-8)."""

    http_status = 415


class Unavailable(SparqlError):
    """Every worker stayed busy past the wait limit, or the pool is shut down."""

    http_status = 503


UPDATE_MESSAGE = (
    "SPARQL UPDATE is refused: this endpoint is read-only (the store changes only by "
    "`citykg build`)"
)


# --- execution --------------------------------------------------------------------------------


def execute(
    store: Store,
    request: QueryRequest,
    *,
    service_allowlist: Collection[str] | None = None,
    prefixes: Mapping[str, str] | None = None,
    service_rewrites: Mapping[str, str] | None = None,
) -> QueryResponse:
    """Run ``request`` against ``store`` and serialise the answer in ``request.media_type``.

    ``service_allowlist`` None skips the SERVICE check (the CLI, where the user is the
    operator); workers always pass one. ``prefixes`` are predeclared (default: the store's),
    so ``cik:``, ``city:``, ``role:``... work as in ``citykg query``. ``service_rewrites``
    (SERVICE IRI -> IRI) sends Wikidata SERVICE calls through citykg's proxy, and the entities
    marker is expanded (``server.federation``), before the allowlist check.
    """
    prefixes = dict(store_prefixes(store) if prefixes is None else prefixes)
    if service_rewrites or federation.ENTITIES_MARKER in request.query:
        request = replace(request, query=federation.prepare(store, request.query, service_rewrites, prefixes))
    check_query(request.query, prefixes, service_allowlist)
    kwargs = _dataset_arguments(request)
    substitutions = {Variable(name): parse_term(text, name) for name, text in request.substitutions.items()}
    try:
        result = store.query(
            request.query, base_iri=request.base_iri, prefixes=prefixes, substitutions=substitutions or None, **kwargs
        )
        if isinstance(result, QueryBoolean):
            return _boolean_response(result, request.media_type)
        if isinstance(result, QuerySolutions):
            return _solutions_response(result, request)
        return _graph_response(result, request, prefixes)
    except SyntaxError as exc:  # (update text was refused by check_query already)
        raise QuerySyntaxError(syntax_error_message(request.query, str(exc))) from None
    except RuntimeError as exc:  # evaluation refused the query (e.g. a substitution not projected)
        raise EvaluationError(f"the query cannot be evaluated: {exc}") from None
    except OSError as exc:  # the store, or a SERVICE endpoint, failed while reading
        raise StoreFailure(f"the query failed while reading: {exc}") from None


def check_query(query: str, prefixes: Mapping[str, str], service_allowlist: Collection[str] | None) -> None:
    """The checks that need no evaluation: UPDATE text, then SERVICE targets."""
    if scan.is_update(query):
        raise UpdateRefused(UPDATE_MESSAGE)
    if service_allowlist is not None:
        refused = scan.refused_services(query, prefixes, service_allowlist)
        if refused:
            allowed = ", ".join(sorted(service_allowlist)) or "none"
            raise ServiceNotAllowed(f"SERVICE {refused} is not allowed; allowed endpoints: {allowed}")


def _dataset_arguments(request: QueryRequest) -> dict[str, Any]:
    """Protocol graphs override FROM/FROM NAMED; without either, the union of all graphs.

    pyoxigraph ignores a query's FROM when ``use_default_graph_as_union`` is set, so the union
    is asked for only when the query declares no dataset of its own.
    """
    if request.default_graph_uris or request.named_graph_uris:
        return {
            "default_graph": [_graph_iri(iri, "default-graph-uri") for iri in request.default_graph_uris],
            "named_graphs": [_graph_iri(iri, "named-graph-uri") for iri in request.named_graph_uris],
        }
    if scan.has_dataset_clause(request.query):
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
    fmt = _RESULTS_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedFormat(_unsupported("an ASK result", media_type, "boolean"))
    return QueryResponse("boolean", media_type, result.serialize(format=fmt))


def _solutions_response(solutions: QuerySolutions, request: QueryRequest) -> QueryResponse:
    """Rows are counted while read, so a result over the cap stops early and is refused whole.

    pyoxigraph serialises a whole ``QuerySolutions`` only, so the rows are written as SPARQL
    JSON here and converted by pyoxigraph for XML, CSV and TSV.
    """
    fmt = _RESULTS_FORMATS.get(request.media_type)
    if fmt is None:
        raise UnsupportedFormat(_unsupported("a SELECT result", request.media_type, "solutions"))
    variables = [v.value for v in solutions.variables]
    bindings = []
    for row in _capped(solutions, request.max_rows, "rows"):
        bindings.append({name: _json_term(row[name]) for name in variables if row[name] is not None})
    document = {"head": {"vars": variables}, "results": {"bindings": bindings}}
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt != QueryResultsFormat.JSON:
        body = parse_query_results(body, format=QueryResultsFormat.JSON).serialize(format=fmt)
    return QueryResponse("solutions", request.media_type, body, rows=len(bindings))


def _graph_response(triples: Iterator[Triple], request: QueryRequest, prefixes: Mapping[str, str]) -> QueryResponse:
    if request.media_type not in _GRAPH_FORMATS:
        raise UnsupportedFormat(_unsupported("a CONSTRUCT or DESCRIBE result", request.media_type, "graph"))
    graph = sorted(set(_capped(triples, request.max_rows, "triples")), key=str)
    return QueryResponse("graph", request.media_type, graph_bytes(graph, request.media_type, prefixes), rows=len(graph))


def graph_bytes(graph: list[Triple], media_type: str, prefixes: Mapping[str, str]) -> bytes:
    """Triples (sorted, so output is repeatable) in a graph media type of ``FORMATS``.

    Turtle, TriG and RDF/XML declare only the prefixes they use; JSON-LD is compacted with
    the project context; N-Triples and N-Quads are plain lines.
    """
    fmt = _GRAPH_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedFormat(_unsupported("a graph", media_type, "graph"))
    if fmt == RdfFormat.TURTLE:
        return triples_as_turtle(graph, dict(prefixes))
    if fmt == RdfFormat.JSON_LD:
        return triples_as_context_jsonld(graph)
    if fmt in (RdfFormat.TRIG, RdfFormat.RDF_XML):
        return serialize(graph, format=fmt, prefixes=used_prefixes(dict(prefixes), graph))
    return serialize(graph, format=fmt)


def _capped(items: Iterator[Any], cap: int, what: str) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        if count > cap:
            raise ResultTooLarge(
                f"the result has more than {cap} {what}, the limit of this endpoint; "
                f"add a LIMIT (at most {cap}) or narrow the query"
            )
        yield item


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


def _unsupported(what: str, media_type: str, kind: str) -> str:
    names = ", ".join(f"{f.name} ({f.media_type})" for f in formats_for(kind))
    return f"{what} cannot be sent as {media_type}; available: {names}"
