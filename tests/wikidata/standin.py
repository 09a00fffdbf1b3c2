"""A local stand-in for the Wikidata Query Service: a SPARQL 1.1 Protocol endpoint on 127.0.0.1
answering from pyoxigraph, loaded with a Wikidata-shaped fixture graph.

It keeps every request (method, headers, query) and can be told to answer the next requests
with a given status and headers first (a 429 with Retry-After, a 500), as the real service does
under load. Nothing here touches the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat, Store

from tests.live import SparqlProtocolHandler, serve_handler


@dataclass
class StandIn:
    url: str
    requests: list[dict] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers to give first


@contextmanager
def wikidata_standin(fixture: Path) -> Iterator[StandIn]:
    store = Store()
    store.load(fixture.read_bytes(), format=RdfFormat.TURTLE)
    record = StandIn(url="")

    class Handler(SparqlProtocolHandler):
        requests = record.requests

        def answer(self, query: str) -> tuple[int, str, bytes, dict[str, str]]:
            if record.script:
                status, headers = record.script.pop(0)
                return status, "text/plain", f"scripted {status}\n".encode(), headers
            try:
                return 200, "application/sparql-results+json", store.query(query).serialize(format=QueryResultsFormat.JSON), {}
            except SyntaxError as exc:
                return 400, "text/plain", str(exc).encode(), {}

    with serve_handler(Handler) as url:
        record.url = url
        yield record
