"""The ``dataset`` blueprint: the whole dataset as a download, its VoID description, the context.

``/export`` (the bytes of ``citykg export``), ``/.well-known/void`` (VoID, counted from the
store) and ``/context.jsonld`` read a read-only handle opened in this process, re-opened when
``citykg build`` swaps the store, with results cached per store version.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mapper.vocab import ONTOLOGY_DIR
from server.sparql.dataset import VOID, export_dataset, void_counts, void_triples
from server.sparql.formats import graph_bytes
from server.store.prefixes import DCT, RDF, STANDARD_PREFIXES
from server.web.context import base_iri, public_url, published
from server.web.negotiation import GRAPH_OFFERS, negotiate, rdf_response, vary_on_accept

bp = Blueprint("dataset", __name__)
bp.after_request(vary_on_accept)

VOID_FORMATS = GRAPH_OFFERS  # Turtle (the default) or any other graph format, by Accept or ?format=
EXTENSIONS = {"turtle": "ttl", "n3": "n3", "jsonld": "jsonld", "ntriples": "nt", "rdfxml": "rdf", "trig": "trig",
              "nquads": "nq"}
ROUTE_MEDIA: dict[str, list[str]] = {  # for /openapi.json
    "dataset.void": [o.media_type for o in VOID_FORMATS],
    "dataset.export": [o.media_type for o in GRAPH_OFFERS],
    "dataset.context": ["application/ld+json"],
}


@bp.get("/export")
def export() -> Response:
    """The whole dataset: ?format=turtle|trig|nquads|jsonld (the bytes of `citykg export`), or
    any other graph format by name (``ttl``, ``nt``, ``rdf``, ``nq``…) or by Accept."""
    offer = negotiate(GRAPH_OFFERS)
    store, cache = published()
    key = f"export:{offer.name}"
    if key not in cache:
        cache[key] = export_dataset(store, offer.name)
    response = Response(cache[key], content_type=_content_type(offer.media_type))
    response.headers["Content-Disposition"] = f'attachment; filename="citykg.{EXTENSIONS[offer.name]}"'
    return response


def _content_type(media_type: str) -> str:
    return media_type if media_type.endswith("json") else f"{media_type}; charset=utf-8"


@bp.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context of citykg terms (ontology/context.jsonld)."""
    response = Response((ONTOLOGY_DIR / "context.jsonld").read_bytes(), content_type="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/void")
def void() -> Response:
    """A VoID description of the dataset: counts, licence, SPARQL endpoint, dumps, one subset per snapshot."""
    offer = negotiate(VOID_FORMATS)
    store, cache = published()
    if "void" not in cache:
        cache["void"] = void_counts(store)
    root = public_url()
    triples = void_triples(cache["void"], root, base_iri())
    names = {"void": VOID, "dct": DCT, "xsd": STANDARD_PREFIXES["xsd"], "rdf": RDF}
    body = graph_bytes(triples, offer.media_type, names)
    return rdf_response(body, offer.media_type)
