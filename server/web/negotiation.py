"""Choosing a response format: ``?format=`` first, else the best Accept match (q-values).

One rule (``accepted``) for ``/sparql``, the resource pages and the canned queries; ``negotiate``
picks one of a page's ``Offer``s; ``rdf_response`` sends the bytes with ``Vary: Accept``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from flask import Response, request
from werkzeug.datastructures import MIMEAccept

from server.sparql.request import UnsupportedFormat

T = TypeVar("T")


@dataclass(frozen=True)
class Offer:
    """A format a page can be sent in: its ``?format=`` name, media type, other media types."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()


# What a resource page can be sent as. The first is the default (no Accept, or */*): a browser
# or a bare curl gets the page.
RESOURCE_FORMATS: tuple[Offer, ...] = (
    Offer("html", "text/html", ("application/xhtml+xml",)),
    Offer("turtle", "text/turtle", ("application/x-turtle",)),
    Offer("jsonld", "application/ld+json", ("application/json",)),
    Offer("ntriples", "application/n-triples", ("text/plain",)),
    Offer("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
)


def accepted(accept: MIMEAccept, candidates: Sequence[tuple[str, T]]) -> T | None:
    """The candidate whose media type Accept prefers (q-values, then specificity, then the
    order of ``candidates``); the first one when the request sends no Accept; None when
    Accept allows none. One rule for /sparql, the resource pages and the canned queries."""
    if not accept:
        return candidates[0][1]
    best = accept.best_match([media_type for media_type, _ in candidates])
    return None if best is None else next(value for media_type, value in candidates if media_type == best)


def negotiate(offers: tuple[Offer, ...]) -> Offer:
    """``?format=`` (name or media type) wins, else the best Accept match; else 406."""
    names = ", ".join(f"{o.name} ({o.media_type})" for o in offers)
    asked = request.args.get("format")
    if asked:
        wanted = asked.strip().lower()
        for offer in offers:
            if wanted in (offer.name, offer.media_type, *offer.aliases):
                return offer
        raise UnsupportedFormat(f"format {asked!r} cannot be served here; available: {names}")
    offer = accepted(request.accept_mimetypes, [(m, o) for o in offers for m in (o.media_type, *o.aliases)])
    if offer is None:
        raise UnsupportedFormat(f"none of the media types in Accept can be served here; available: {names}")
    return offer


def rdf_response(body: bytes, media_type: str) -> Response:
    """Text media types say their charset; Accept varies the answer, so caches must know."""
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return vary_on_accept(Response(body, content_type=content_type))


def vary_on_accept(response: Response) -> Response:
    """``Vary: Accept``: the answer was chosen by the Accept header (also an after_request hook)."""
    response.vary.add("Accept")
    return response
