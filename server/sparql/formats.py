"""Result formats: the names and media types ``/sparql`` negotiates, and graphs serialised.

SELECT and ASK answers go out in the SPARQL results formats (JSON, XML, CSV, TSV), CONSTRUCT and
DESCRIBE answers in the RDF formats (Turtle, N3, JSON-LD, N-Triples, RDF/XML, TriG, N-Quads). Graph
output is sorted and declares only the prefixes it uses, so answers are repeatable and short.

Every format answers to the names clients send (``ttl``, ``nt``, ``rdf+xml``, ``json-ld``, ``nq``…:
SPARQLWrapper, Fuseki's ``output=``, Trifid's and Pubby's file extensions) and to its media types.
``json`` and ``xml`` name a results format and a graph format at once, as in Fuseki: SPARQL JSON
or XML for a table, JSON-LD or RDF/XML for a graph (:func:`named`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat, Triple, serialize

from server.sparql.jsonld import triples_as_context_jsonld
from server.sparql.request import UnsupportedFormat
from server.store.prefixes import used_prefixes


@dataclass(frozen=True)
class Format:
    """A result format: its ``?format=`` name, media type, other accepted media types, other
    names clients give it, and whether it serialises solutions/booleans ("results") or graphs
    ("graph")."""

    name: str
    media_type: str
    serves: str  # "results" | "graph"
    engine: QueryResultsFormat | RdfFormat  # pyoxigraph's name for it
    aliases: tuple[str, ...] = ()  # other media types
    names: tuple[str, ...] = ()  # other ``?format=`` names and file extensions

    def answers_to(self, asked: str) -> bool:
        """Whether ``asked`` (a name, extension or media type, any case) means this format."""
        wanted = asked.strip().lower()
        return wanted in (self.name, self.media_type, *self.aliases, *self.names)


# The first format of each kind is its default. N3 is served as Turtle (Turtle is N3) under
# N3's media type, so a client that asked for N3 gets the type it named.
FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", QueryResultsFormat.JSON, ("application/json",),
           ("srj", "sparql-results+json")),
    Format("xml", "application/sparql-results+xml", "results", QueryResultsFormat.XML, ("application/xml", "text/xml"),
           ("srx", "sparql-results+xml")),
    Format("csv", "text/csv", "results", QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "results", QueryResultsFormat.TSV),
    Format("turtle", "text/turtle", "graph", RdfFormat.TURTLE, ("application/x-turtle", "application/turtle"),
           ("ttl",)),
    Format("n3", "text/n3", "graph", RdfFormat.TURTLE, ("text/rdf+n3", "application/n3", "application/rdf+n3")),
    Format("jsonld", "application/ld+json", "graph", RdfFormat.JSON_LD, ("application/json", "application/x-json+ld"),
           ("json-ld", "json")),
    Format("ntriples", "application/n-triples", "graph", RdfFormat.N_TRIPLES, ("text/plain",), ("nt", "n-triples")),
    Format("rdfxml", "application/rdf+xml", "graph", RdfFormat.RDF_XML, ("application/xml", "text/xml"),
           ("rdf", "rdf+xml", "xml")),
    Format("trig", "application/trig", "graph", RdfFormat.TRIG),
    Format("nquads", "application/n-quads", "graph", RdfFormat.N_QUADS, (), ("nq", "n-quads")),
)
FORMATS_BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
RESULTS_FORMATS = {f.media_type: f.engine for f in FORMATS if f.serves == "results"}
GRAPH_FORMATS = {f.media_type: f.engine for f in FORMATS if f.serves == "graph"}
ALL_NAMES: tuple[str, ...] = tuple(dict.fromkeys(n for f in FORMATS for n in (f.name, *f.names)))


def named(asked: str) -> tuple[Format, ...]:
    """Every format ``asked`` (a name, an extension or a media type) can mean, results formats
    first: ``json`` is SPARQL JSON and JSON-LD, ``ttl`` Turtle only, ``yaml`` none."""
    return tuple(f for f in FORMATS if f.answers_to(asked))


def formats_for(kind: str) -> tuple[Format, ...]:
    """The formats a result of ``kind`` ("solutions", "boolean", "graph") can be sent in,
    the default first."""
    serves = "graph" if kind == "graph" else "results"
    return tuple(f for f in FORMATS if f.serves == serves)


def graph_bytes(graph: list[Triple], media_type: str, prefixes: Mapping[str, str]) -> bytes:
    """Triples (sorted, so output is repeatable) in a graph media type of ``FORMATS``.

    Turtle, TriG and RDF/XML declare only the prefixes they use; JSON-LD is compacted with
    the project context; N-Triples and N-Quads are plain lines.
    """
    fmt = GRAPH_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedFormat(unsupported("a graph", media_type, "graph"))
    if fmt == RdfFormat.TURTLE:
        return triples_as_turtle(graph, dict(prefixes))
    if fmt == RdfFormat.JSON_LD:
        return triples_as_context_jsonld(graph)
    if fmt in (RdfFormat.TRIG, RdfFormat.RDF_XML):
        return serialize(graph, format=fmt, prefixes=used_prefixes(dict(prefixes), graph))
    return serialize(graph, format=fmt)


def triples_as_turtle(triples: list[Triple], prefixes: dict[str, str]) -> bytes:
    """Sorted, deduplicated Turtle declaring only the prefixes it uses."""
    triples = sorted(set(triples), key=str)
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=used_prefixes(prefixes, triples))


def unsupported(what: str, media_type: str, kind: str) -> str:
    names = ", ".join(f"{f.name} ({f.media_type})" for f in formats_for(kind))
    return f"{what} cannot be sent as {media_type}; available: {names}"
