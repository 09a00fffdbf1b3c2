"""Servers for tests: an app on waitress in a thread, ``citykg serve`` as a subprocess, and
``oxigraph serve`` (the test extra's binary) as a remote SPARQL store.

All bind 127.0.0.1 on a port the OS picks, so tests never collide or listen beyond the host.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from flask import Flask
from waitress.server import create_server

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def listening_trap(backlog: int = 16) -> Iterator[socket.socket]:
    """A non-blocking listening socket on 127.0.0.1: any connection a query makes to it is queued
    here, so a test can count what reached it (see ``connections_to``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections_to(trap: socket.socket, wait: float = 0.0, reply: bytes = b"") -> int:
    """Connections queued on ``trap``, each answered with ``reply`` and closed; waits up to ``wait``
    seconds for the first one."""
    count, deadline = 0, time.monotonic() + wait
    while True:
        try:
            conn, _ = trap.accept()
        except BlockingIOError:
            if count or time.monotonic() >= deadline:
                return count
            time.sleep(0.05)
            continue
        if reply:
            conn.sendall(reply)
        conn.close()
        count += 1


@contextmanager
def serve_in_thread(app: Flask, threads: int = 6) -> Iterator[str]:
    """Serve ``app`` on waitress in a daemon thread; yields the base URL (no trailing slash)."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    host, port = server.getsockname()[:2]
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # the loop's select() saw its sockets closed by close() below (as webtest's
            if not closing.is_set():  # StopableWSGIServer allows); any other socket error is real
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        closing.set()
        server.close()
        thread.join(5)


@contextmanager
def citykg_serve(args: Sequence[str | Path]) -> Iterator[str]:
    """Run ``citykg serve --port 0 ARGS`` and yield its /sparql URL, read from its first line."""
    command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", "0", *map(str, args)]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"at (http://\S+/sparql)", line)
        if not found:
            process.kill()
            raise RuntimeError(f"citykg serve did not start: {line!r} {process.communicate()[1]!r}")
        yield found.group(1)
    finally:
        process.terminate()  # SIGTERM: the server closes its workers and exits 0
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def oxigraph_binary() -> str:
    """The ``oxigraph`` command of the test extra (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("the `oxigraph` command (PyPI oxigraph, in the test extra) is not installed")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def oxigraph_serve(location: Path | None, *options: str) -> Iterator[str]:
    """``oxigraph serve [--location DIR] --bind 127.0.0.1:PORT OPTIONS`` (in memory without a
    location); yields its base URL (routes ``/query``, ``/update``, ``/store``) once it
    answers, and stops it afterwards."""
    port = free_port()
    where = ["--location", str(location)] if location is not None else []
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", *where, "--bind", f"127.0.0.1:{port}", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"oxigraph serve did not start: {process.communicate()[1]!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> None:
    """One complete answer from a stand-in server's handler: status, type, length, extra headers, body."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class SparqlProtocolHandler(BaseHTTPRequestHandler):
    """The query half of the SPARQL 1.1 Protocol (GET ``?query=``, POST form or
    ``application/sparql-query``) for stand-in endpoints; a subclass says what to answer."""

    protocol_version = "HTTP/1.1"
    requests: list[dict]  # every request seen (method, headers, query); set by the subclass

    def answer(self, query: str) -> tuple[int, str, bytes, dict[str, str]]:
        """(status, content type, body, extra headers) for ``query``."""
        raise NotImplementedError

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._reply(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])[0])

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            body = urllib.parse.parse_qs(body).get("query", [""])[0]
        self._reply(body)

    def _reply(self, query: str) -> None:
        self.requests.append({"method": self.command, "headers": dict(self.headers), "query": query})
        status, content_type, body, headers = self.answer(query)
        send(self, status, body, content_type, headers)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a daemon thread; yields its ``/sparql`` URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def empty_sparql_endpoint() -> Iterator[str]:
    """A SPARQL endpoint on 127.0.0.1 where every query has no answer (Wikidata, offline); yields
    its URL."""

    class Empty(SparqlProtocolHandler):
        requests: list[dict] = []

        def answer(self, query: str) -> tuple[int, str, bytes, dict[str, str]]:
            return 200, "application/sparql-results+json", b'{"head":{"vars":[]},"results":{"bindings":[]}}', {}

    with serve_handler(Empty) as url:
        yield url
