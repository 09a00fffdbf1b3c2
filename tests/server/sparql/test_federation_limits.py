"""The federation proxy is the only way out, so it is strict both ways (issue 9).

A misbehaving "endpoint" on 127.0.0.1 redirects off its host, sends more than the cap with no
length, a lying length or chunks; the proxy never follows, never reads past its cap, and its
errors name the public endpoint, never its own address. Requests *to* the proxy with
``Content-Length: -1`` or a chunked body are refused before any body is read.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.sparql.federation import ProxyConfig, WikidataProxy, public_message, rewrites_for

RESULT = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'


class Misbehaving(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        Misbehaving.hits.append(self.path)
        path = self.path.split("?")[0]
        if path == "/ok":
            self._send(200, RESULT)
        elif path == "/offsite":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/onsite":
            self.send_response(307)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/huge-minus-one":  # Content-Length: -1, then far more than the cap
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "-1")
            self.send_header("Connection", "close")
            self.end_headers()
            self._flood()
        elif path == "/huge-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(64):
                chunk = b"x" * 65536
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/huge-no-length":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self._flood()

    def _flood(self) -> None:
        try:
            for _ in range(64):
                self.wfile.write(b"x" * 65536)
        except OSError:
            pass
        self.close_connection = True

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def proxy_for(url: str) -> WikidataProxy:
    return WikidataProxy(ProxyConfig(endpoint=url, cache_dir=None, timeout=5, max_answer=1024 * 1024))


def test_a_redirect_off_the_endpoints_host_is_not_followed(upstream: str) -> None:
    Misbehaving.hits.clear()
    with proxy_for(upstream + "/offsite") as proxy:
        status, _, body, _ = proxy.answer("ASK {}", "")
    assert status == 502 and b"redirected to another host (127.0.0.2)" in body
    assert [hit.split("?")[0] for hit in Misbehaving.hits] == ["/offsite"]  # /ok was never asked for
    assert str(proxy.port).encode() not in body


def test_a_redirect_on_the_same_host_is_followed(upstream: str) -> None:
    with proxy_for(upstream + "/onsite") as proxy:
        status, _, body, _ = proxy.answer("ASK {}", "")
    assert status == 200 and body == RESULT


@pytest.mark.parametrize("path", ["/huge-minus-one", "/huge-chunked", "/huge-no-length"])
def test_an_answer_over_the_cap_is_refused_whatever_its_headers_say(upstream: str, path: str) -> None:
    with proxy_for(upstream + path) as proxy:
        status, _, body, _ = proxy.answer("ASK {}", "")
    assert status == 502 and b"larger than 1048576 bytes" in body
    assert f"{upstream}{path}".encode() in body  # the public endpoint is named


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: -1\r\n", b"400"),
        (b"Content-Length: 12abc\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n", b"411"),
        (b"Content-Length: 99999999\r\n", b"413"),
    ],
)
def test_requests_to_the_proxy_with_a_bad_length_are_refused_unread(upstream: str, headers: bytes, status: bytes) -> None:
    Misbehaving.hits.clear()
    with proxy_for(upstream + "/ok") as proxy:
        answer = _raw(proxy.port, b"POST /wikidata HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                      + headers + b"\r\n" + b"ASK {}" * 1000)
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert Misbehaving.hits == []


def test_messages_name_the_endpoint_never_the_proxy() -> None:
    rewrites = rewrites_for("https://wd.example/sparql", "http://127.0.0.1:4242/wikidata", {"https://other.example/q": "http://127.0.0.1:4242/service/0"})
    message = ("error sending request for url (http://127.0.0.1:4242/wikidata?query=ASK) and "
               "http://127.0.0.1:4242/service/0 and http://127.0.0.1:999/wikidata")
    shown = public_message(message, rewrites)
    assert "4242" not in shown and "999" not in shown
    assert "https://wd.example/sparql?query=ASK" in shown and "https://other.example/q" in shown
