"""The whole dataset: its exports in every format (``citykg export``, ``/export``) and its VoID.

Shared by the command line and the web app, so ``citykg export`` and ``/export`` give the same
bytes. Named graphs survive only in TriG and N-Quads; Turtle and JSON-LD carry the union. The
output is sorted, so exports of one store are byte-for-byte repeatable.
"""

from __future__ import annotations

from typing import Any

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, serialize

from mapper.rdf import ONTOLOGY_IRI
from server.sparql.formats import FORMATS_BY_NAME, graph_bytes, triples_as_turtle
from server.sparql.jsonld import triples_as_context_jsonld
from server.store.interface import GraphReader
from server.store.prefixes import (
    CIK,
    DCT,
    OWL,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    STANDARD_PREFIXES,
    data_base,
    store_prefixes,
    used_prefixes,
)

VOID = "http://rdfs.org/ns/void#"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"

EXPORT_FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "trig": RdfFormat.TRIG,
    "nquads": RdfFormat.N_QUADS,
    "jsonld": RdfFormat.JSON_LD,
}


def union_triples(store: GraphReader) -> list[Triple]:
    """Every triple of every graph, once, sorted so exports are byte-for-byte repeatable."""
    triples = set(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
    return sorted(triples, key=str)


def sorted_quads(store: GraphReader) -> list[Quad]:
    """Graph by graph, subject by subject: TriG gets one block per graph, diffs stay small."""
    quads = store.quads_for_pattern(None, None, None, None)
    return sorted(quads, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def export_dataset(store: GraphReader, fmt: str) -> bytes:
    """The whole store in ``fmt`` (a key of EXPORT_FORMATS, the dumps VoID lists, or the name
    of another graph format of ``server.sparql.formats``, written from the union)."""
    if fmt == "nquads":
        return serialize(sorted_quads(store), format=RdfFormat.N_QUADS)
    prefixes = store_prefixes(store)
    if fmt == "trig":
        quads = sorted_quads(store)
        return serialize(quads, format=RdfFormat.TRIG, prefixes=used_prefixes(prefixes, quads))
    triples = union_triples(store)
    if fmt == "turtle":
        return triples_as_turtle(triples, prefixes)
    if fmt == "jsonld":
        return triples_as_context_jsonld(triples, prefixes)
    other = FORMATS_BY_NAME.get(fmt)  # N-Triples, RDF/XML, N3: the union too, for /export?format=nt
    if other is not None and other.serves == "graph":
        return graph_bytes(triples, other.media_type, prefixes)
    raise ValueError(f"unknown export format {fmt!r}")


# --- VoID ------------------------------------------------------------------------------------


def _count(store: GraphReader, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


def void_counts(store: GraphReader) -> dict[str, Any]:
    """The numbers VoID states, from the union of all graphs (what queries see)."""
    base = data_base(store)
    snapshots = [
        (row["g"].value, int(row["n"].value))
        for row in store.query(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{CIK}Snapshot> }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g ORDER BY ?g"
        )
    ]
    return {
        "base": base,
        "triples": _count(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"),
        "quads": len(store),
        "entities": _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), \"{base}\")) }}"),
        "classes": _count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"),
        "properties": _count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"),
        "distinctSubjects": _count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "distinctObjects": _count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "snapshots": snapshots,
    }



def void_triples(counts: dict[str, Any], root: str, base: str) -> list[Triple]:
    """``root`` is the served URL (endpoint and dumps are links here); ``base`` the data IRIs."""
    dataset = NamedNode(root + ".well-known/void#citykg")
    rdf_type = NamedNode(RDF + "type")
    v = lambda name: NamedNode(VOID + name)
    integer = lambda n: Literal(str(n), datatype=NamedNode(STANDARD_PREFIXES["xsd"] + "integer"))
    out = [
        Triple(dataset, rdf_type, v("Dataset")),
        Triple(dataset, NamedNode(DCT + "title"), Literal("citykg: City Innovation Snapshots", language="en")),
        Triple(dataset, NamedNode(DCT + "description"), Literal(
            "The OECD / Bloomberg Philanthropies City Innovation Snapshots as linked data: one named graph per "
            "snapshot, SKOS vocabularies of the survey's answers, Wikidata links.", language="en")),
        Triple(dataset, NamedNode(DCT + "license"), NamedNode(CC_BY)),
        Triple(dataset, v("sparqlEndpoint"), NamedNode(root + "sparql")),
        Triple(dataset, v("uriSpace"), Literal(base)),
        Triple(dataset, v("triples"), integer(counts["triples"])),
        Triple(dataset, v("entities"), integer(counts["entities"])),
        Triple(dataset, v("classes"), integer(counts["classes"])),
        Triple(dataset, v("properties"), integer(counts["properties"])),
        Triple(dataset, v("distinctSubjects"), integer(counts["distinctSubjects"])),
        Triple(dataset, v("distinctObjects"), integer(counts["distinctObjects"])),
    ]
    out += [Triple(dataset, v("dataDump"), NamedNode(f"{root}export?format={fmt}")) for fmt in EXPORT_FORMATS]
    vocabularies = [ONTOLOGY_IRI, SCHEMA, SKOS, STANDARD_PREFIXES["prov"], DCT, OWL, RDFS]
    out += [Triple(dataset, v("vocabulary"), NamedNode(iri)) for iri in vocabularies]
    for graph, count in counts["snapshots"]:
        node = NamedNode(graph)
        out += [
            Triple(dataset, v("subset"), node),
            Triple(node, rdf_type, v("Dataset")),
            Triple(node, v("triples"), integer(count)),
        ]
    return out

