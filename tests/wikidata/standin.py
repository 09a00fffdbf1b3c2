"""A local stand-in for the Wikidata Query Service: a SPARQL 1.1 Protocol endpoint on 127.0.0.1
answering from pyoxigraph, loaded with a Wikidata-shaped fixture graph.

It keeps every request (method, headers, query) and can be told to answer the next requests
with a given status and headers first (a 429 with Retry-After, a 500), as the real service does
under load. Nothing here touches the internet.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat, Store


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

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0])

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                body = urllib.parse.parse_qs(body).get("query", [""])[0]
            self._answer(body)

        def _answer(self, query: str) -> None:
            record.requests.append({"method": self.command, "headers": dict(self.headers), "query": query})
            headers: dict[str, str] = {}
            if record.script:
                status, headers = record.script.pop(0)
                body, content_type = f"scripted {status}\n".encode(), "text/plain"
            else:
                try:
                    body = store.query(query).serialize(format=QueryResultsFormat.JSON)
                    status, content_type = 200, "application/sparql-results+json"
                except SyntaxError as exc:
                    status, content_type, body = 400, "text/plain", str(exc).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
