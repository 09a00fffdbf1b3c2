"""The ``dataset`` blueprint: the whole dataset as a download, its VoID description, the context.

``/export`` (the bytes of ``citykg export``), ``/.well-known/void`` (VoID, counted from the
store) and ``/context.jsonld`` read a read-only handle opened in this process, re-opened when
``citykg build`` swaps the store, with results cached per store version.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from mapper.vocab import ONTOLOGY_DIR
from server.sparql.dataset import EXPORT_FORMATS, VOID, export_dataset, void_counts, void_triples
from server.sparql.formats import graph_bytes
from server.sparql.request import UnsupportedFormat
from server.store.prefixes import DCT, RDF, STANDARD_PREFIXES
from server.web.context import base_iri, public_url, published
from server.web.negotiation import RESOURCE_FORMATS, negotiate, rdf_response, vary_on_accept

bp = Blueprint("dataset", __name__)
bp.after_request(vary_on_accept)

VOID_FORMATS = RESOURCE_FORMATS[1:4]  # Turtle (default), JSON-LD, N-Triples
EXPORT_MEDIA = {
    "turtle": ("text/turtle; charset=utf-8", "ttl"),
    "trig": ("application/trig; charset=utf-8", "trig"),
    "nquads": ("application/n-quads; charset=utf-8", "nq"),
    "jsonld": ("application/ld+json", "jsonld"),
}
ROUTE_MEDIA: dict[str, list[str]] = {  # for /openapi.json
    "dataset.void": [o.media_type for o in VOID_FORMATS],
    "dataset.export": ["text/turtle", "application/trig", "application/n-quads", "application/ld+json"],
    "dataset.context": ["application/ld+json"],
}


@bp.get("/export")
def export() -> Response:
    """The whole dataset: ?format=turtle|trig|nquads|jsonld (the bytes of `citykg export`)."""
    fmt = (request.args.get("format") or "turtle").lower()
    if fmt not in EXPORT_FORMATS:
        raise UnsupportedFormat(f"export format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    store, cache = published()
    key = f"export:{fmt}"
    if key not in cache:
        cache[key] = export_dataset(store, fmt)
    media, extension = EXPORT_MEDIA[fmt]
    response = Response(cache[key], content_type=media)
    response.headers["Content-Disposition"] = f'attachment; filename="citykg.{extension}"'
    return response


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
