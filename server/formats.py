"""Serialising the store for people: prefixes, whole-dataset exports, terms in a table.

Shared by the CLI and (later) the HTTP app so ``citykg export`` and ``/export`` give the same
bytes. Named graphs survive only in TriG and N-Quads; Turtle and JSON-LD carry the union.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    serialize,
)

from mapper.rdf import DEFAULT_BASE

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
EXPORT_FORMATS: dict[str, RdfFormat] = {
    "turtle": RdfFormat.TURTLE,
    "trig": RdfFormat.TRIG,
    "nquads": RdfFormat.N_QUADS,
    "jsonld": RdfFormat.JSON_LD,
}
RDF_TYPE_IRI = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_PN_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_SCHEMES_QUERY = "SELECT DISTINCT ?s WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> }"
_BASE_QUERY = (
    "SELECT ?g WHERE { GRAPH ?g { ?g a <https://w3id.org/citykg/ontology#Snapshot> } } LIMIT 1"
)


def data_base(store: Store) -> str:
    """The base IRI the store was built with, read back from a snapshot graph's own name.

    The store describes itself, so no side file can disagree with it.
    """
    for row in store.query(_BASE_QUERY):
        graph = row["g"].value
        if "/snapshot/" in graph:
            return graph[: graph.rindex("/snapshot/") + 1]
    return DEFAULT_BASE


def store_prefixes(store: Store) -> dict[str, str]:
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


def union_triples(store: Store) -> list[Triple]:
    """Every triple of every graph, once, sorted so exports are byte-for-byte repeatable."""
    triples = set(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True))
    return sorted(triples, key=str)


def sorted_quads(store: Store) -> list[Quad]:
    """Graph by graph, subject by subject: TriG gets one block per graph, diffs stay small."""
    quads = store.quads_for_pattern(None, None, None, None)
    return sorted(quads, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def export_dataset(store: Store, fmt: str) -> bytes:
    """The whole store in ``fmt`` (a key of EXPORT_FORMATS)."""
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
    raise ValueError(f"unknown export format {fmt!r}")


def triples_as_turtle(triples: list[Triple], prefixes: dict[str, str]) -> bytes:
    """Sorted, deduplicated Turtle declaring only the prefixes it uses."""
    triples = sorted(set(triples), key=str)
    return serialize(triples, format=RdfFormat.TURTLE, prefixes=used_prefixes(prefixes, triples))


def triples_as_jsonld(triples: list[Triple], prefixes: dict[str, str]) -> bytes:
    triples = sorted(set(triples), key=str)
    expanded = json.loads(serialize(triples, format=RdfFormat.JSON_LD))
    compacted = compact_jsonld(expanded, used_prefixes(prefixes, triples))
    return (json.dumps(compacted, indent=1, ensure_ascii=False) + "\n").encode()


def triples_as_context_jsonld(triples: list[Triple], prefixes: dict[str, str] | None = None) -> bytes:
    """JSON-LD compacted with ``ontology/context.jsonld`` (terms like ``hasMayor``, ``name``), inline.

    One implementation for ``citykg export``, ``/export`` and every JSON-LD answer. The
    context is inlined (pyoxigraph would not read a remote ``@context`` back); ``prefixes``
    (``city:``, ``role:``…) that some IRI uses are added to it unless a term of the published
    context already has that name (``country``, ``approach``). pyoxigraph's expanded, flat
    JSON-LD is compacted here, value by value, into what the context expands back to the
    same triples (rdflib's compactor drops blank nodes referenced through ``@id`` terms).
    """
    triples = sorted(set(triples), key=str)
    context = jsonld_context()
    for name, namespace in used_prefixes(dict(prefixes or {}), triples).items():
        context.setdefault(name, namespace)
    expanded = json.loads(serialize(triples, format=RdfFormat.JSON_LD)) if triples else []
    compactor = _ContextCompactor(context)
    nodes = embed_single_references([compactor.node(node) for node in expanded], compactor.id_terms())
    document = {"@context": context, "@graph": nodes}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


# Nodes that belong to the one node pointing at them: nested there, plain-JSON users read
# "hasMayor": {"name": "Federico Gutiérrez"} and "dataSufficiency": [{"policyArea": …}].
EMBEDDABLE_TYPES = {"Person", "DataSufficiency", "PolicyFocus"}


def embed_single_references(nodes: list[dict[str, Any]], id_terms: set[str]) -> list[dict[str, Any]]:
    """Nest each person, rating, policy focus or blank node that exactly one node references.

    A nested node object keeps its ``id``, so the document expands to the same triples; nodes
    referenced by several (a person who is mayor of one city and officer of another) or by
    none stay at the top level. ``id_terms`` are the terms whose string values are IRIs.
    """
    by_id = {node["id"]: node for node in nodes if "id" in node}
    referrers: dict[str, list[tuple[dict[str, Any], str, int | None]]] = {}
    for node in nodes:
        for key, value in node.items():
            for index, item in _indexed(value):
                target = item if isinstance(item, str) and key in id_terms else (
                    item.get("@id") if isinstance(item, dict) and set(item) == {"@id"} else None)
                if target in by_id and target != node.get("id"):
                    referrers.setdefault(target, []).append((node, key, index))
    nested = {
        target for target, refs in referrers.items()
        if len(refs) == 1 and (target.startswith("_:") or _types(by_id[target]) & EMBEDDABLE_TYPES)
    }
    nested -= _cyclic(nested, referrers)
    for target in sorted(nested):
        parent, key, index = referrers[target][0]
        if index is None:
            parent[key] = by_id[target]
        else:
            parent[key][index] = by_id[target]
    return [node for node in nodes if node.get("id") not in nested]


def _indexed(value: Any) -> list[tuple[int | None, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else [(None, value)]


def _types(node: dict[str, Any]) -> set[str]:
    types = node.get("type", [])
    return set(types) if isinstance(types, list) else {types}


def _cyclic(nested: set[str], referrers: dict[str, list[tuple[dict[str, Any], str, int | None]]]) -> set[str]:
    """Nodes whose chain of single referrers comes back to itself: nesting them would lose them."""
    cyclic = set()
    for target in nested:
        seen, current = {target}, referrers[target][0][0].get("id")
        while current in nested:
            if current in seen:
                cyclic.add(target)
                break
            seen.add(current)
            current = referrers[current][0][0].get("id")
    return cyclic


class _ContextCompactor:
    """Compacts flat expanded node objects against one context (terms, coercions, prefixes)."""

    def __init__(self, context: dict[str, Any]) -> None:
        prefixes = {k: v for k, v in context.items() if isinstance(v, str) and not k.startswith("@") and v.endswith(("/", "#"))}
        self.ordered = ordered_prefixes(prefixes)
        self.terms: dict[str, tuple[str, dict[str, Any]]] = {}  # property IRI -> (term, definition)
        self.classes: dict[str, str] = {}  # class IRI -> term
        for term, definition in context.items():
            if term.startswith("@") or term in prefixes:
                continue
            spec = {"@id": definition} if isinstance(definition, str) else dict(definition)
            if spec["@id"].startswith("@"):
                continue
            iri = self.expand(spec["@id"])
            if "@type" in spec and not spec["@type"].startswith("@"):
                spec["@type"] = self.expand(spec["@type"])
            self.terms.setdefault(iri, (term, spec))
            if isinstance(definition, str):
                self.classes.setdefault(iri, term)

    def expand(self, value: str) -> str:
        prefix, _, local = value.partition(":")
        for name, namespace in self.ordered:
            if name == prefix:
                return namespace + local
        return value

    def iri(self, value: str) -> str:
        return value if value.startswith("_:") else compact_iri(value, self.ordered)

    def id_terms(self) -> set[str]:
        """Terms whose string values are IRIs (``"@type": "@id"`` or ``"@vocab"``)."""
        return {term for term, spec in self.terms.values() if spec.get("@type") in ("@id", "@vocab")}

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "@id" in node:
            out["id"] = self.iri(node["@id"])
        classes = list(node.get("@type", []))
        rdf_type = node.get(RDF_TYPE_IRI, [])
        if rdf_type and all("@id" in v and not v["@id"].startswith("_:") for v in rdf_type):
            classes += [v["@id"] for v in rdf_type]  # pyoxigraph writes rdf:type as a property
        if classes:
            types = [self.classes.get(t) or self.iri(t) for t in classes]
            out["type"] = types[0] if len(types) == 1 else types
        for prop, values in node.items():
            if prop.startswith("@") or (prop == RDF_TYPE_IRI and len(classes) > len(node.get("@type", []))):
                continue
            term, spec = self.terms.get(prop, (self.iri(prop), {}))
            compacted = [self.value(v, spec) for v in values]
            out[term] = compacted[0] if len(compacted) == 1 else compacted
        return out

    def value(self, value: dict[str, Any], spec: dict[str, Any]) -> Any:
        coerce, language = spec.get("@type"), spec.get("@language")
        if "@id" in value:
            if coerce == "@id":
                return self.iri(value["@id"])
            if coerce == "@vocab":
                return self.classes.get(value["@id"]) or self.iri(value["@id"])
            return {"@id": self.iri(value["@id"])}
        text, datatype = value["@value"], value.get("@type", XSD_STRING)
        if "@language" in value:
            return text if language == value["@language"] else {"@value": text, "@language": value["@language"]}
        if coerce == datatype:
            return text
        if coerce is None and language is None:
            if datatype == XSD_STRING:
                return text
            if datatype == XSD_INTEGER and text.lstrip("-").isdigit() and str(int(text)) == text:
                return int(text)
            if datatype == XSD_BOOLEAN and text in ("true", "false"):
                return text == "true"
        if datatype == XSD_STRING:
            return {"@value": text}
        return {"@value": text, "@type": self.iri(datatype)}


def jsonld_context() -> dict[str, Any]:
    """The ``@context`` object of ``ontology/context.jsonld``."""
    from mapper.vocab import ONTOLOGY_DIR

    return json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]


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


# --- JSON-LD ------------------------------------------------------------------------------


def compact_jsonld(expanded: list[dict[str, Any]], prefixes: dict[str, str]) -> dict[str, Any]:
    """Expanded JSON-LD to a ``@context`` of prefixes and compact IRIs (``cik:City``).

    pyoxigraph writes expanded JSON-LD only; this rewrites IRIs in the positions JSON-LD
    expands (property keys, ``@id``, ``@type``) and never touches ``@value``, so the result
    parses back to the same triples.
    """
    ordered = ordered_prefixes(prefixes)
    return {"@context": dict(sorted(prefixes.items())), "@graph": [_compact_node(node, ordered) for node in expanded]}


def _compact_node(node: Any, prefixes: list[tuple[str, str]]) -> Any:
    if isinstance(node, list):
        return [_compact_node(item, prefixes) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("@id", "@type"):
            out[key] = [compact_iri(v, prefixes) for v in value] if isinstance(value, list) else compact_iri(value, prefixes)
        elif key.startswith("@"):
            out[key] = value if key == "@value" else _compact_node(value, prefixes)
        else:
            out[compact_iri(key, prefixes)] = _compact_node(value, prefixes)
    return out


def compact_iri(iri: str, prefixes: list[tuple[str, str]]) -> str:
    """``prefix:local`` for the longest matching namespace, else the IRI unchanged."""
    for name, namespace in prefixes:
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and local and not local.startswith("//"):
            return f"{name}:{local}"
    return iri


# --- terms in a table ---------------------------------------------------------------------


def term_text(term: object, prefixes: list[tuple[str, str]]) -> str:
    """A cell: literals as their text (JSON and CSV keep tags and datatypes), IRIs prefixed
    where a prefix fits, else ``<iri>``."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return term.value
    if isinstance(term, NamedNode):
        compact = compact_iri(term.value, prefixes)
        return compact if compact != term.value else f"<{term.value}>"
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return str(term)


def ordered_prefixes(prefixes: dict[str, str]) -> list[tuple[str, str]]:
    """Longest namespace first, so ``city:`` wins over ``ckg:``."""
    return sorted(prefixes.items(), key=lambda item: len(item[1]), reverse=True)


def write_stdout(data: bytes) -> None:
    """Bytes as produced by the serializer, newline-terminated; via the text layer when stdout
    has no byte buffer (some test captures)."""
    if data and not data.endswith(b"\n"):
        data += b"\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()
