"""``citykg fetch`` under hostile or failing servers (issue 9, item 5), all on 127.0.0.1.

429 with Retry-After, 5xx then success, timeouts, redirects (same host: followed, once its
origin's robots.txt allows it; another host: reported, never requested), an unreachable
robots.txt, and bodies over the size cap however they are framed (Content-Length -1, chunked,
a lying length, none). Each case ends in one manifest line with the reason; the batch goes on.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from server.ingest import fetch as fetch_module
from server.ingest.fetch import Fetcher
from tests.ingest_fixtures import medellin_html
from tests.live import send

UA = "citykg-test/1.0 (tests)"
CAP = 64 * 1024
PAGE = medellin_html().encode()

Route = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A site on 127.0.0.1 whose paths are functions; ``log`` keeps every path asked for."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes, self.log = routes, []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                owner.log.append(self.path)
                route = owner.routes.get(self.path)
                if route is None:
                    send(self, 404, b"not here", "text/plain")
                else:
                    route(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def robots(text: str) -> Route:
    return lambda h: send(h, 200, text.encode(), "text/plain")


def page(h: BaseHTTPRequestHandler) -> None:
    send(h, 200, PAGE)


def redirect(location: str) -> Route:
    return lambda h: send(h, 302, b"", "text/plain", {"Location": location})


def flood(framing: str) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        if framing == "chunked":
            h.send_header("Transfer-Encoding", "chunked")
        elif framing == "minus-one":
            h.send_header("Content-Length", "-1")
        elif framing == "lie":
            h.send_header("Content-Length", "100")
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for _ in range(40):
                chunk = b"<p>" + b"x" * 8192 + b"</p>"
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if framing == "chunked" else chunk)
            if framing == "chunked":
                h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        h.close_connection = True

    return route


def failing_then(statuses: list[int], headers: dict[str, str] | None = None) -> Route:
    queue = list(statuses)

    def route(h: BaseHTTPRequestHandler) -> None:
        if queue:
            send(h, queue.pop(0), b"busy", "text/plain", headers)
        else:
            page(h)

    return route


def slow(seconds: float) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        try:
            page(h)
        except OSError:
            pass

    return route


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    made: list[Server] = []
    yield made
    for server in made:
        server.close()


def site(servers: list[Server], routes: dict[str, Route]) -> Server:
    server = Server({"/robots.txt": robots("User-agent: *\nDisallow: /private/\n"), **routes})
    servers.append(server)
    return server


def fetcher(out: Path, sleeps: list[float] | None = None, **options) -> Fetcher:
    options = {"delay": 0.0, "backoff": 0.01, "max_backoff": 60.0, "retries": 2, "timeout": 2.0, "max_bytes": CAP, **options}
    return Fetcher(out, user_agent=UA, sleep=(sleeps if sleeps is not None else []).append, **options)


def test_429_is_retried_after_the_time_it_asks_for(servers, tmp_path: Path) -> None:
    server = site(servers, {"/cities/a/": failing_then([429], {"Retry-After": "7"})})
    sleeps: list[float] = []
    with fetcher(tmp_path, sleeps) as f:
        record = f.fetch(server.base + "/cities/a/")
    assert record.outcome == "saved" and record.attempts == 2
    assert 7 in sleeps


def test_5xx_is_retried_then_reported_with_the_count(servers, tmp_path: Path) -> None:
    server = site(servers, {"/cities/flaky/": failing_then([503, 502]), "/cities/down/": failing_then([500] * 10)})
    with fetcher(tmp_path) as f:
        flaky, down = f.fetch(server.base + "/cities/flaky/"), f.fetch(server.base + "/cities/down/")
    assert flaky.outcome == "saved" and flaky.attempts == 3
    assert down.outcome == "failed" and down.reason == "HTTP 500 Internal Server Error (after 3 attempts)"


def test_a_timeout_is_retried_then_reported(servers, tmp_path: Path) -> None:
    server = site(servers, {"/cities/slow/": slow(1.5)})
    with fetcher(tmp_path, timeout=0.3, retries=1) as f:
        record = f.fetch(server.base + "/cities/slow/")
    assert record.outcome == "failed" and record.reason == "timed out (after 2 attempts)"


def test_an_off_site_redirect_is_reported_and_never_followed(servers, tmp_path: Path) -> None:
    elsewhere = site(servers, {"/cities/a/": page})
    server = site(servers, {
        "/cities/to-other-host/": redirect(f"http://localhost:{elsewhere.port}/cities/a/"),
        "/cities/to-ip/": redirect(f"http://127.0.0.2:{elsewhere.port}/cities/a/"),
        "/cities/to-ftp/": redirect("ftp://127.0.0.1/cities/a/"),
    })
    with fetcher(tmp_path) as f:
        records = [f.fetch(server.base + path) for path in ("/cities/to-other-host/", "/cities/to-ip/", "/cities/to-ftp/")]
    assert [r.outcome for r in records] == ["failed"] * 3
    assert "redirected to another host (localhost); not followed" in records[0].reason
    assert "redirected to another host (127.0.0.2); not followed" in records[1].reason
    assert "ftp URL; not followed" in records[2].reason
    assert elsewhere.log == []  # not even its robots.txt was asked for


def test_a_same_host_redirect_is_followed_where_its_origins_robots_allow(servers, tmp_path: Path) -> None:
    other_port = site(servers, {"/cities/a/": page})  # same host (127.0.0.1), another origin
    other_port.routes["/robots.txt"] = robots("User-agent: *\nDisallow: /cities/private/\n")
    other_port.routes["/cities/private/"] = page
    server = site(servers, {
        "/cities/moved/": redirect("/cities/here/"),
        "/cities/here/": page,
        "/cities/to-port/": redirect(f"{other_port.base}/cities/a/"),
        "/cities/to-private/": redirect(f"{other_port.base}/cities/private/"),
        "/cities/loop/": redirect("/cities/loop/"),
    })
    with fetcher(tmp_path) as f:
        moved, port, private, loop = (f.fetch(server.base + p) for p in
                                      ("/cities/moved/", "/cities/to-port/", "/cities/to-private/", "/cities/loop/"))
    assert moved.outcome == "saved" and port.outcome == "saved"
    assert private.outcome == "failed" and f"{other_port.base}/robots.txt disallows" in private.reason
    assert "/cities/private/" not in other_port.log and other_port.log.count("/robots.txt") == 1
    assert loop.outcome == "failed" and "more than 5 redirects" in loop.reason


def test_an_unreachable_robots_txt_keeps_the_site_off_limits(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    with fetcher(tmp_path, retries=1) as f:
        record = f.fetch(f"http://127.0.0.1:{port}/cities/a/")
    assert record.outcome == "disallowed"
    assert record.reason == f"disallowed by http://127.0.0.1:{port}/robots.txt for this User-Agent; not requested"


@pytest.mark.parametrize("framing", ["minus-one", "chunked", "none", "lie"])
def test_a_body_over_the_cap_is_never_read_whole(servers, tmp_path: Path, framing: str) -> None:
    server = site(servers, {"/cities/huge/": flood(framing), "/cities/fine/": page})
    with fetcher(tmp_path, retries=0) as f:
        huge, fine = f.fetch(server.base + "/cities/huge/"), f.fetch(server.base + "/cities/fine/")
    if framing == "lie":  # the declared 100 bytes are read, and they are no snapshot
        assert huge.outcome == "rejected"
    elif framing == "minus-one":  # the HTTP layer refuses the header itself: no byte of the body is read
        assert huge.outcome == "failed" and "bad Content-Length" in huge.reason
    else:
        assert huge.outcome == "failed" and f"larger than {CAP} bytes" in huge.reason
    assert fine.outcome == "saved"  # the batch goes on
    assert not (tmp_path / "huge.html").exists()


def test_a_declared_length_over_the_cap_is_not_downloaded(servers, tmp_path: Path) -> None:
    big = b"<p>" + b"x" * (2 * CAP) + b"</p>"
    server = site(servers, {"/cities/big/": lambda h: send(h, 200, big)})
    with fetcher(tmp_path, retries=0) as f:
        record = f.fetch(server.base + "/cities/big/")
    assert record.outcome == "failed" and f"(Content-Length {len(big)}); not downloaded" in record.reason


def test_reading_a_document_is_bounded_by_the_budget(servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """However slow the conversion or the mapper is on a page, the document gives up in time."""

    def endless(data: bytes, pdf: bool, name: str) -> str | None:
        while True:  # pure Python, like a mapper stuck on a hostile page
            sum(range(1000))

    server = site(servers, {"/cities/a/": page, "/cities/b/": page})
    monkeypatch.setattr(fetch_module, "snapshot_problem", endless)
    with fetcher(tmp_path, document_budget=0.5) as f:
        started = time.monotonic()
        records = f.fetch_all([server.base + "/cities/a/", server.base + "/cities/b/"])
    assert [r.outcome for r in records] == ["failed", "failed"]
    assert records[0].reason == "reading it took longer than the document budget of 0.5 s"
    assert time.monotonic() - started < 30  # bounded (not a timing claim: without the budget it never ends)
