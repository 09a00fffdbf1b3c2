"""Choosing a response format: ``?format=`` (or ``output=``, or a file extension) first, else the
best Accept match (q-values).

One rule for ``/sparql``, the resource pages, VoID and the exports (``choose``); ``negotiate``
applies it to a page's ``Offer``s and answers 406 when nothing fits; ``rdf_response`` sends the
bytes with ``Vary: Accept``.

A format is named as clients name it: ``ttl``, ``turtle``, ``nt``, ``rdf+xml``, ``json-ld``, ``nq``
or a media type (``server.sparql.formats``). A name this answer cannot take (``csv`` for a graph,
``turtle`` for a table) falls back to Accept, as Fuseki does: SPARQLWrapper's default
CONSTRUCT sends ``format=xml`` with ``Accept: application/rdf+xml`` and gets RDF/XML. A name
nobody knows (``yaml``) is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from flask import Response, request
from werkzeug.datastructures import MIMEAccept

from server.sparql.formats import ALL_NAMES, formats_for, named
from server.sparql.request import SparqlError, UnsupportedFormat

T = TypeVar("T")


class Nameable(Protocol):
    name: str
    media_type: str
    aliases: tuple[str, ...]

    def answers_to(self, asked: str) -> bool: ...


N = TypeVar("N", bound=Nameable)


@dataclass(frozen=True)
class Offer:
    """A format a page can be sent in: its ``?format=`` name, media type, other media types,
    other names (and file extensions)."""

    name: str
    media_type: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def answers_to(self, asked: str) -> bool:
        wanted = asked.strip().lower()
        return wanted in (self.name, self.media_type, *self.aliases, *self.names)


HTML = Offer("html", "text/html", ("application/xhtml+xml",), ("htm",))
# Every graph format of /sparql, as offers of a page that describes a graph.
GRAPH_OFFERS: tuple[Offer, ...] = tuple(Offer(f.name, f.media_type, f.aliases, f.names) for f in formats_for("graph"))
# What a resource page can be sent as. The first is the default (no Accept, or */*): a browser
# or a bare curl gets the page.
RESOURCE_FORMATS: tuple[Offer, ...] = (HTML, *GRAPH_OFFERS)
FORMAT_PARAMETERS = ("format", "output")  # ``output`` is Fuseki's name; SPARQLWrapper sends both


def accepted(accept: MIMEAccept, candidates: Sequence[tuple[str, T]]) -> T | None:
    """The candidate whose media type Accept prefers (q-values, then specificity, then the
    order of ``candidates``); the first one when the request sends no Accept; None when
    Accept allows none. One rule for /sparql, the resource pages and the canned queries."""
    if not accept:
        return candidates[0][1]
    best = accept.best_match([media_type for media_type, _ in candidates])
    return None if best is None else next(value for media_type, value in candidates if media_type == best)


def requested_formats(parameters=None) -> list[str]:
    """The values of ``format`` and ``output`` (in that order, empty ones dropped): what the
    client named. SPARQLWrapper sends ``format=tsv&format=text/tab-separated-values``."""
    args = request.args if parameters is None else parameters
    return [value for key in FORMAT_PARAMETERS for value in args.getlist(key) if value.strip()]


def known(asked: str) -> bool:
    """Whether any route of citykg can send a format of this name or media type."""
    return bool(named(asked)) or HTML.answers_to(asked)


def choose(candidates: Sequence[N], asked: Iterable[str], accept: MIMEAccept,
           unknown: type[SparqlError] = UnsupportedFormat) -> N | None:
    """The first name in ``asked`` that one of ``candidates`` answers to; else, when every name
    is known but none fits here (or none was given), the best Accept match (None: Accept allows
    none of them). Names nobody knows raise ``unknown``."""
    strangers = []
    fits_elsewhere = False
    for value in asked:
        for candidate in candidates:
            if candidate.answers_to(value):
                return candidate
        if known(value):
            fits_elsewhere = True
        else:
            strangers.append(value)
    if strangers and not fits_elsewhere:
        raise unknown(f"unknown format {strangers[0]!r}; known formats: {', '.join(ALL_NAMES)}, html")
    return accepted(accept, [(m, c) for c in candidates for m in (c.media_type, *c.aliases)])


def negotiate(offers: Sequence[Offer], forced: str | None = None) -> Offer:
    """A file extension (``forced``) wins, then ``?format=`` / ``output=``, then Accept; else 406."""
    asked = [forced] if forced else requested_formats()
    offer = choose(offers, asked, request.accept_mimetypes)
    if offer is None:
        names = ", ".join(f"{o.name} ({o.media_type})" for o in offers)
        raise UnsupportedFormat(f"none of the media types in Accept can be served here; available: {names}")
    return offer


def extension_offer(path: str, offers: Sequence[Offer] = RESOURCE_FORMATS) -> tuple[str, Offer | None]:
    """``city/lima.ttl`` -> (``city/lima``, Turtle), as Trifid and Pubby serve files; a path
    without a known extension is returned whole, with None."""
    stem, dot, extension = path.rpartition(".")
    if dot and stem and extension and "/" not in extension:
        for offer in offers:
            if offer.answers_to(extension):
                return stem, offer
    return path, None


def rdf_response(body: bytes, media_type: str) -> Response:
    """Text media types say their charset; Accept varies the answer, so caches must know."""
    content_type = f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type
    return vary_on_accept(Response(body, content_type=content_type))


def vary_on_accept(response: Response) -> Response:
    """``Vary: Accept``: the answer was chosen by the Accept header (also an after_request hook)."""
    response.vary.add("Accept")
    return response

