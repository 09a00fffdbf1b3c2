"""The ``sparql`` blueprint: the SPARQL 1.1 Protocol (query operation) at ``/sparql``.

GET ``?query=``, POST form-encoded, POST ``application/sparql-query``; ``default-graph-uri``
and ``named-graph-uri`` (repeatable) override the query's FROM / FROM NAMED, and without
either the default graph is the union of all graphs. The format is negotiated from Accept
(q-values) or forced with ``?format=``, *before* the query runs, so a 406 costs nothing.
GET without a query returns the service description, or the SPARQL editor page to a browser
(``server.web.views.editor``). Updates are refused on every path
(the store is opened read-only anyway). Queries run in the executor's worker processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from flask import Blueprint, Response, request
from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from werkzeug.datastructures import MIMEAccept, MultiDict

from server.sparql import scan
from server.sparql.formats import Format, formats_for, graph_bytes
from server.sparql.request import (
    UPDATE_MESSAGE,
    BadRequest,
    QueryRequest,
    UnsupportedFormat,
    UnsupportedMediaType,
    UpdateRefused,
)
from server.store.prefixes import STANDARD_PREFIXES
from server.web.context import executor, public_url
from server.web.negotiation import choose, rdf_response, requested_formats
from server.web.views import editor

bp = Blueprint("sparql", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_FORMAT_IRIS = {  # W3C's unique URIs for formats (https://www.w3.org/ns/formats/)
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "n3": "N3",
    "jsonld": "JSON-LD",
    "ntriples": "N-Triples",
    "rdfxml": "RDF_XML",
    "trig": "TriG",
    "nquads": "N-Quads",
}
_FORM_TYPE = "application/x-www-form-urlencoded"
_QUERY_TYPE = "application/sparql-query"
_UPDATE_TYPE = "application/sparql-update"
_COMMENT = "citykg: City Innovation Snapshots as linked data. Read-only; the default graph is the union of all graphs."
_GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    params = _parameters()
    if params.get("update"):
        raise UpdateRefused(UPDATE_MESSAGE)
    queries = params.getlist("query")
    if len(queries) > 1:
        raise BadRequest(f"one query per request, got {len(queries)} `query` parameters")
    if not queries:
        if request.method == "POST":
            raise BadRequest("no query: send `query` as a form field or an application/sparql-query body")
        if not requested_formats(params) and editor.wants_editor(request.accept_mimetypes):
            return editor.editor_page()  # a browser: the SPARQL editor (YASGUI)
        return service_description()
    query = queries[0]
    if not query.strip():
        raise BadRequest("the `query` parameter is empty")
    if scan.is_update(query):
        raise UpdateRefused(UPDATE_MESSAGE)
    kind = {"construct": "graph", "describe": "graph", "ask": "boolean"}.get(scan.query_form(query) or "", "solutions")
    fmt = negotiate(kind, requested_formats(params), request.accept_mimetypes)
    ex = executor()
    answer = ex.run(
        QueryRequest(
            query=query,
            default_graph_uris=tuple(params.getlist("default-graph-uri")),
            named_graph_uris=tuple(params.getlist("named-graph-uri")),
            media_type=fmt.media_type,
            max_rows=ex.config.max_rows,
        ),
        timeout=_timeout(params.get("timeout")),
    )
    return rdf_response(answer.body, answer.media_type)


def _parameters() -> MultiDict[str, str]:
    """The protocol parameters of this request; the POST body rules of SPARQL 1.1 Protocol §2.1."""
    if request.method == "GET":
        return request.args
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if mimetype == _UPDATE_TYPE:
        raise UpdateRefused(UPDATE_MESSAGE)
    if mimetype not in (_FORM_TYPE, _QUERY_TYPE):
        shown = mimetype or "no Content-Type"
        raise UnsupportedMediaType(
            f"a POST body must be {_FORM_TYPE} or {_QUERY_TYPE}, not {shown} (updates are refused: read-only)"
        )
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the request body must be UTF-8, not {charset}")
    if mimetype == _FORM_TYPE:
        merged = MultiDict(request.args)
        for key, values in request.form.lists():
            merged.setlist(key, merged.getlist(key) + values)
        return merged
    try:
        text = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType(f"the request body is not UTF-8 (byte {exc.start})") from None
    if "query" in request.args:
        raise BadRequest("an application/sparql-query POST carries the query in its body, not in `query`")
    merged = MultiDict(request.args)
    merged.setlist("query", [text])
    return merged


def _timeout(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"timeout {value!r} is not a number of seconds") from None


def negotiate(kind: str, requested: Sequence[str], accept: MIMEAccept) -> Format:
    """The format for a result of ``kind``: the first ``format`` / ``output`` value naming one
    for this kind wins (``json`` is JSON-LD for a graph); a name that fits no format of this
    kind falls back to Accept (q-values, then specificity, then our default order), as Fuseki
    does; an unknown name is a 400."""
    available = formats_for(kind)
    fmt = choose(available, requested, accept, unknown=BadRequest)
    if fmt is None:
        raise UnsupportedFormat(_not_servable(kind, request.headers.get("Accept", ""), available))
    return fmt


def _not_servable(kind: str, asked: str, available: Sequence[Format]) -> str:
    what = {"graph": "a CONSTRUCT/DESCRIBE result (a graph)", "boolean": "an ASK result"}.get(kind, "a SELECT result")
    offers = ", ".join(f"{f.name} ({f.media_type})" for f in available)
    return f"{what} cannot be sent as {asked}; available: {offers}"


# --- service description ------------------------------------------------------------------------


def service_description() -> Response:
    """What this endpoint is (SPARQL 1.1 Service Description), in any graph format."""
    fmt = negotiate("graph", requested_formats(), request.accept_mimetypes)
    triples = description_triples(public_url() + "sparql", _named_graphs(), executor().config.service_allowlist)
    prefixes = {"sd": SD, "formats": FORMATS_NS, **{name: STANDARD_PREFIXES[name] for name in ("rdf", "rdfs", "xsd")}}
    return rdf_response(graph_bytes(triples, fmt.media_type, prefixes), fmt.media_type)


def _named_graphs() -> list[str]:
    answer = executor().run(QueryRequest(_GRAPHS_QUERY))
    return [row["g"]["value"] for row in json.loads(answer.body)["results"]["bindings"]]


def sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def description_triples(endpoint: str, graphs: Iterable[str], allowlist: Sequence[str]) -> list[Triple]:
    """The service is named by its endpoint URL (so sorted Turtle starts with it), its dataset
    and graphs are blank nodes."""
    service, dataset, default = NamedNode(endpoint), BlankNode("dataset"), BlankNode("defaultGraph")
    triples = [
        Triple(service, _RDF_TYPE, sd("Service")),
        Triple(service, NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), Literal(_COMMENT)),
        Triple(service, sd("endpoint"), NamedNode(endpoint)),
        Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        Triple(service, sd("feature"), sd("UnionDefaultGraph")),
    ]
    if allowlist:
        triples.append(Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    triples += [Triple(service, sd("resultFormat"), NamedNode(FORMATS_NS + iri)) for iri in _FORMAT_IRIS.values()]
    triples += [
        Triple(service, sd("defaultEntailmentRegime"), NamedNode("http://www.w3.org/ns/entailment/Simple")),
        Triple(service, sd("defaultDataset"), dataset),
        Triple(dataset, _RDF_TYPE, sd("Dataset")),
        Triple(dataset, sd("defaultGraph"), default),
    ]
    nodes = [(BlankNode(f"graph{number:03d}"), graph) for number, graph in enumerate(graphs)]
    triples += [Triple(dataset, sd("namedGraph"), node) for node, _ in nodes]
    triples.append(Triple(default, _RDF_TYPE, sd("Graph")))
    for node, graph in nodes:
        triples += [Triple(node, _RDF_TYPE, sd("NamedGraph")), Triple(node, sd("name"), NamedNode(graph))]
    return triples
