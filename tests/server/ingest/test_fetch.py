"""``citykg fetch`` against a local survey site on 127.0.0.1 (offline), and the provenance the
build records from its manifest."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode

from server.ingest.fetch import Fetcher, city_links
from server.manifest import MANIFEST, read_manifest
from server.store.build import build_store
from server.store.embedded import open_store
from tests.conftest import canonical_nquads
from tests.ingest_fixtures import make_pdf, medellin_html, not_a_snapshot_html, saltillo_pdf_lines

UA = "citykg-test/1.0 (tests)"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
PROV_DERIVED = NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
DCT_MODIFIED = NamedNode("http://purl.org/dc/terms/modified")
XSD_DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
GRAPH = NamedNode("https://w3id.org/citykg/snapshot/medellin-2018")


@dataclass
class Site:
    """Pages by path: (status, content type, body); a list of statuses is served in turn first."""

    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    failures: dict[str, list[int]] = field(default_factory=dict)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, If-None-Match)
    base: str = ""

    def gets(self, path: str) -> int:
        return sum(1 for method, p, _ in self.log if method == "GET" and p == path)

    def url(self, path: str) -> str:
        return self.base + path


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            site.log.append(("GET", self.path, self.headers.get("If-None-Match")))
            queued = site.failures.get(self.path)
            if queued:
                self._send(queued.pop(0), "text/plain", b"server error")
                return
            if self.path not in site.pages:
                self._send(404, "text/html", b"<html><body><h1>Not found</h1></body></html>")
                return
            status, ctype, body = site.pages[self.path]
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self._send(status, ctype, body, etag)

        def _send(self, status: int, ctype: str, body: bytes, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    site.pages = {
        "/robots.txt": (200, "text/plain", ROBOTS.encode()),
        "/cities/medellin-colombia/": (200, "text/html; charset=utf-8", medellin_html().encode()),
        "/cities/saltillo-mexico/": (200, "application/pdf", make_pdf(saltillo_pdf_lines())),
        "/about/": (200, "text/html", not_a_snapshot_html().encode()),
        "/private/secret-city/": (200, "text/html", medellin_html().encode()),
        "/broken/": (500, "text/plain", b"always broken"),
        "/cities/": (200, "text/html", (
            "<html><body><nav><a href='/about/'>About</a></nav><ul>"
            "<li><a href='/cities/medellin-colombia/'>Medellin</a></li>"
            "<li><a href='saltillo-mexico/'>Saltillo</a></li>"
            "<li><a href='/cities/medellin-colombia'>Medellin again</a></li>"
            "<li><a href='https://elsewhere.example/cities/lima-peru/'>elsewhere</a></li>"
            "<li><a href='/cities/'>all</a></li></ul></body></html>").encode()),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join()


def fetcher(out: Path, sleeps: list[float] | None = None, **options) -> Fetcher:
    sleeps = [] if sleeps is None else sleeps
    options = {"delay": 0.0, "backoff": 0.01, "max_backoff": 0.05, "retries": 3, "timeout": 5.0, **options}
    return Fetcher(out, user_agent=UA, sleep=sleeps.append, **options)


def test_fetch_saves_snapshots_and_reports_everything_else(site: Site, tmp_path: Path) -> None:
    out, sleeps = tmp_path / "pages", []
    urls = [site.url(p) for p in ("/cities/medellin-colombia/", "/cities/saltillo-mexico/", "/about/",
                                  "/private/secret-city/", "/cities/nowhere/", "/broken/")]
    with fetcher(out, sleeps) as f:
        records = {r.url.removeprefix(site.base): r for r in f.fetch_all(urls)}
    assert records["/cities/medellin-colombia/"].outcome == "saved"
    assert records["/cities/medellin-colombia/"].file == "medellin-colombia.html"
    assert records["/cities/saltillo-mexico/"].file == "saltillo-mexico.pdf"
    about = records["/about/"]
    assert about.outcome == "rejected" and about.file is None
    assert "not a snapshot page" in about.reason and "not a City Innovation Snapshot" in about.reason
    secret = records["/private/secret-city/"]
    assert secret.outcome == "disallowed" and "robots.txt" in secret.reason
    assert site.gets("/private/secret-city/") == 0  # never requested
    assert records["/cities/nowhere/"].outcome == "failed" and records["/cities/nowhere/"].status == 404
    assert site.gets("/cities/nowhere/") == 1  # a 404 is not retried
    broken = records["/broken/"]
    assert broken.outcome == "failed" and broken.status == 500 and "after 4 attempts" in broken.reason
    assert site.gets("/broken/") == 4  # 1 + 3 retries
    assert sleeps == [0.01, 0.02, 0.04]  # exponential back-off, capped at max_backoff
    assert site.gets("/robots.txt") == 1
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "medellin-colombia.html", "saltillo-mexico.pdf"]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["user_agent"] == UA
    entry = read_manifest(out)[site.url("/cities/medellin-colombia/")]
    assert entry["status"] == 200 and len(entry["sha256"]) == 64 and entry["retrieved"].endswith("Z")
    assert read_manifest(out)[site.url("/about/")]["reason"] == about.reason


def test_rerun_downloads_nothing_and_refresh_sends_conditional_requests(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "pages"
    url = site.url("/cities/medellin-colombia/")
    with fetcher(out) as f:
        first = f.fetch(url)
    with fetcher(out) as f:
        again = f.fetch(url)
    assert again.outcome == "cached" and site.gets("/cities/medellin-colombia/") == 1
    with fetcher(out, refresh=True) as f:
        refreshed = f.fetch(url)
    assert refreshed.outcome == "unchanged" and refreshed.status == 304
    assert site.log[-1][2] is not None  # If-None-Match was sent
    assert read_manifest(out)[url]["retrieved"] == first.retrieved


def test_transient_server_errors_are_retried(site: Site, tmp_path: Path) -> None:
    site.failures["/cities/medellin-colombia/"] = [503, 500]
    sleeps: list[float] = []
    with fetcher(tmp_path / "pages", sleeps) as f:
        record = f.fetch(site.url("/cities/medellin-colombia/"))
    assert record.outcome == "saved" and record.attempts == 3 and sleeps == [0.01, 0.02]


def test_delay_between_requests(site: Site, tmp_path: Path) -> None:
    sleeps: list[float] = []
    with fetcher(tmp_path / "pages", sleeps, delay=30.0) as f:
        f.fetch_all([site.url("/cities/nowhere/"), site.url("/about/")])
    assert len(sleeps) == 2 and all(29 < s <= 30 for s in sleeps)  # robots, page, page: two waits


def test_index_links_only_city_pages_of_the_site(site: Site, tmp_path: Path) -> None:
    with fetcher(tmp_path / "pages") as f:
        urls = f.index(site.url("/cities/"))
    assert urls == [site.url("/cities/medellin-colombia/"), site.url("/cities/saltillo-mexico/")]
    assert city_links("<a href='/cities/x-y'>x</a>", "https://a.example/cities/") == ["https://a.example/cities/x-y/"]


def test_build_records_provenance_and_follows_changed_pages(site: Site, tmp_path: Path) -> None:
    out, store = tmp_path / "pages", tmp_path / "store"
    url = site.url("/cities/medellin-colombia/")
    with fetcher(out) as f:
        first = f.fetch(url)
    report = build_store([out], store, wikidata_dir=None)
    assert report.documents[0].derived_from == url
    quads = open_store(store)
    assert list(quads.quads_for_pattern(GRAPH, PROV_DERIVED, NamedNode(url), GRAPH))
    modified = [q.object for q in quads.quads_for_pattern(GRAPH, DCT_MODIFIED, None, GRAPH)]
    assert modified == [Literal(first.retrieved, datatype=XSD_DATETIME)]
    before = canonical_nquads(quads.quads_for_pattern(None, None, None, None))
    del quads

    with fetcher(out, refresh=True) as f:  # unchanged page: nothing changes
        assert f.fetch(url).outcome == "unchanged"
    build_store([out], store, wikidata_dir=None)
    assert canonical_nquads(open_store(store).quads_for_pattern(None, None, None, None)) == before

    site.pages["/cities/medellin-colombia/"] = (200, "text/html", medellin_html(spotlight=(
        "Medellin now runs a city lab with its universities, testing new services with residents before they "
        "are rolled out across the administration, and publishing what it learns for other cities.")).encode())
    with fetcher(out, refresh=True) as f:
        changed = f.fetch(url)
    assert changed.outcome == "saved" and changed.sha256 != first.sha256
    build_store([out], store, wikidata_dir=None)
    after = open_store(store)
    spotlight = [q.object.value for q in after.quads_for_pattern(None, NamedNode("https://w3id.org/citykg/ontology#spotlight"), None, GRAPH)]
    assert len(spotlight) == 1 and spotlight[0].startswith("Medellin now runs a city lab")
    assert [q.object.value for q in after.quads_for_pattern(GRAPH, DCT_MODIFIED, None, GRAPH)] == [changed.retrieved]


def test_edited_file_loses_its_provenance(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "pages"
    with fetcher(out) as f:
        f.fetch(site.url("/cities/medellin-colombia/"))
    page = out / "medellin-colombia.html"
    page.write_text(page.read_text() + "<!-- edited -->")
    report = build_store([out], tmp_path / "store", wikidata_dir=None)
    assert report.documents[0].read and report.documents[0].derived_from is None


def test_cli_fetch(site: Site, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "pages"
    ok = run_cli("fetch", site.url("/cities/medellin-colombia/"), "--out", str(out), "--delay", "0")
    assert ok.code == 0, ok.err
    assert "saved" in ok.out and (out / "medellin-colombia.html").is_file()
    bad = run_cli("fetch", site.url("/about/"), site.url("/cities/gone/"), "--out", str(out), "--delay", "0",
                  "--retries", "0")
    assert bad.code == 1 and "rejected" in bad.out and "HTTP 404" in bad.out
    assert run_cli("fetch", "--out", str(out)).code == 2
    assert run_cli("fetch", "ftp://x/y", "--out", str(out)).code == 2
    everything = run_cli("fetch", "--all", "--index-url", site.url("/cities/"), "--out", str(out), "--delay", "0")
    assert everything.code == 0, everything.out
    assert (out / "saltillo-mexico.pdf").is_file()
