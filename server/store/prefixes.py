"""The namespaces citykg writes, and the prefix table a store implies.

``store_prefixes(store)`` is what every reader predeclares (``citykg query``, ``/sparql``, the
canned queries, the pages): the standard prefixes, ``ckg:`` for the data base IRI the store was
built with, ``city: person: country: snapshot: vocab:`` under it, and one prefix per concept
scheme (``role:``, ``policy-area:``...). The rest compacts IRIs with such a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad, Triple

from mapper.rdf import DEFAULT_BASE
from server.store.interface import GraphReader

STANDARD_PREFIXES: dict[str, str] = {
    "cik": "https://w3id.org/citykg/ontology#",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "dct": "http://purl.org/dc/terms/",
    "wd": "http://www.wikidata.org/entity/",
}
# Namespace IRIs by their usual prefix, for modules that build IRIs by concatenation.
CIK, SCHEMA, SKOS, OWL, RDF, RDFS, XSD, PROV, DCT = (
    STANDARD_PREFIXES[name] for name in ("cik", "schema", "skos", "owl", "rdf", "rdfs", "xsd", "prov", "dct")
)
DATA_PREFIX = "ckg"  # the data base IRI itself
DATA_PATHS = ("city", "person", "country", "snapshot", "vocab")  # readable ``city:medellin``
_PN_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_SCHEMES_QUERY = "SELECT DISTINCT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> }"
_BASE_QUERY = (
    "SELECT ?g WHERE { GRAPH ?g { ?g a <https://w3id.org/citykg/ontology#Snapshot> } } LIMIT 1"
)


def data_base(store: GraphReader) -> str:
    """The base IRI the store was built with, read back from a snapshot graph's own name.

    The store describes itself, so no side file can disagree with it.
    """
    for row in store.query(_BASE_QUERY):
        graph = row["g"].value
        if "/snapshot/" in graph:
            return graph[: graph.rindex("/snapshot/") + 1]
    return DEFAULT_BASE


def store_prefixes(store: GraphReader) -> dict[str, str]:
    """Standard prefixes, the data base, its main paths and one prefix per concept scheme."""
    base = data_base(store)
    prefixes = dict(STANDARD_PREFIXES)
    prefixes[DATA_PREFIX] = base
    for path in DATA_PATHS:
        prefixes.setdefault(path, f"{base}{path}/")
    for row in store.query(_SCHEMES_QUERY, use_default_graph_as_union=True):
        scheme = row["s"]
        name = scheme.value.rsplit("/", 1)[-1] if isinstance(scheme, NamedNode) else ""
        if scheme.value.startswith(f"{base}vocab/") and _PN_PREFIX.match(name):
            prefixes.setdefault(name, f"{scheme.value}/")
    return prefixes


def used_prefixes(prefixes: dict[str, str], statements: Iterable[Triple | Quad]) -> dict[str, str]:
    """Only the prefixes some IRI of ``statements`` falls under: a CONSTRUCT of three triples
    should not open with sixteen declarations."""
    iris = {iri for statement in statements for term in statement if (iri := _iri_in(term))}
    return {name: ns for name, ns in prefixes.items() if any(iri.startswith(ns) for iri in iris)}


def _iri_in(term: object) -> str | None:
    """The IRI a serializer may abbreviate: a named node, or a literal's datatype."""
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, Literal) and term.language is None:
        return term.datatype.value
    return None


def compact_iri(iri: str, prefixes: list[tuple[str, str]]) -> str:
    """``prefix:local`` for the longest matching namespace, else the IRI unchanged."""
    for name, namespace in prefixes:
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and not local.startswith("//"):
            return f"{name}:{local}"
    return iri


def ordered_prefixes(prefixes: dict[str, str]) -> list[tuple[str, str]]:
    """Longest namespace first, so ``city:`` wins over ``ckg:``."""
    return sorted(prefixes.items(), key=lambda item: len(item[1]), reverse=True)
