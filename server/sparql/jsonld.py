"""JSON-LD as people read it: compacted with the project context, single references nested.

pyoxigraph writes expanded, flat JSON-LD only. ``triples_as_context_jsonld`` (every JSON-LD
answer: ``citykg export``, ``/export``, resource pages, CONSTRUCT on ``/sparql``) compacts it with
``ontology/context.jsonld``; ``triples_as_jsonld`` (``citykg query --format json`` of a graph)
with prefixes only.
"""

from __future__ import annotations

import json
from typing import Any

from pyoxigraph import RdfFormat, Triple, serialize

from mapper.vocab import ONTOLOGY_DIR
from server.store.prefixes import compact_iri, ordered_prefixes, used_prefixes

RDF_TYPE_IRI = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


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
    return json.loads((ONTOLOGY_DIR / "context.jsonld").read_text(encoding="utf-8"))["@context"]


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
