"""Download survey pages politely into a directory ``citykg build`` reads (``citykg fetch``).

- **robots.txt** of each site is read first (``urllib.robotparser``) with our User-Agent; a
  disallowed URL is skipped and reported. Its ``Crawl-delay`` raises ``--delay``. A robots.txt
  that answers 404 allows everything; 401/403, a 5xx or no answer at all disallow the site.
- **One request at a time**, at least ``--delay`` seconds apart (robots.txt included), with a
  descriptive User-Agent.
- **Retries** on 429, 5xx, timeouts and connection errors, with exponential back-off
  (``Retry-After`` honoured), capped in number and in wait.
- **Cache**: ``DIR/manifest.json`` lists every URL tried: retrieval time, HTTP status, SHA-256
  of the content, file name, ETag / Last-Modified, outcome and reason. A URL already fetched
  is not requested again unless ``--refresh``, which sends a conditional request
  (If-None-Match / If-Modified-Since). ``retrieved`` changes only when the content does, so
  re-fetching an unchanged page changes nothing in the next build.
- **Only snapshots are kept**: each page is converted (``mapper.convert``) and read by the
  mapper; a page that is no snapshot is not saved and is listed with the reason.
- **Budgets per document**: at most ``max_bytes`` are read of any answer, whatever its
  ``Content-Length`` says (absent, ``-1``, chunked or a lie), and one URL may take at most
  ``document_budget`` seconds, download, retries and reading included; over either, the URL is
  reported ``failed`` with the reason and the batch goes on.
- **Redirects stay on the site**: a redirect is followed only to the same host (at most
  ``MAX_REDIRECTS`` hops), and only where that origin's robots.txt allows it; a redirect to any
  other host is reported, never followed.

``citykg build DIR`` reads the manifest beside the documents and records, in each snapshot
graph, ``prov:wasDerivedFrom`` the page URL and ``dct:modified`` the retrieval time.
"""

from __future__ import annotations

import hashlib
import re
import signal
import threading
import time
import urllib.robotparser
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from mapper import MapperError, read_snapshot
from mapper.convert import ConversionError, html_to_text, is_pdf, pdf_to_text
from server.errors import CitykgError
from server.manifest import atomic_write, read_manifest, write_manifest

INDEX_URL = "https://cities-innovation-oecd.com/cities/"
DEFAULT_USER_AGENT = (
    "citykg/0.1 (City Innovation Snapshots knowledge graph; polite research fetcher: one request at a time, "
    "honours robots.txt)"
)
RETRY_STATUSES = {429, 500, 502, 503, 504}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # of one document (the survey's PDFs are a few MB)
DEFAULT_DOCUMENT_BUDGET = 180.0  # seconds for one URL: download, retries and reading
MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 512 * 1024
_CITY_PATH = re.compile(r"^/cities/(?P<slug>[A-Za-z0-9][A-Za-z0-9_.%-]*)/?$")

# outcomes of one URL
SAVED, UNCHANGED, CACHED = "saved", "unchanged", "cached"
REJECTED, DISALLOWED, FAILED = "rejected", "disallowed", "failed"
OK_OUTCOMES = {SAVED, UNCHANGED, CACHED}


class FetchError(CitykgError):
    """A usage problem (bad URL, unwritable directory): one line, exit status 2."""


class _Refused(Exception):
    """This answer will not be used (off-site redirect, over a budget): not worth a retry."""


@dataclass
class PageRecord:
    """One manifest entry (and one row of the command's table)."""

    url: str
    outcome: str
    status: int | None = None  # the HTTP status of the last answer (304 for a conditional hit)
    file: str | None = None  # name in DIR of the saved document
    sha256: str | None = None  # of the content as downloaded
    retrieved: str | None = None  # when this content was first downloaded (xsd:dateTime, UTC)
    checked: str | None = None  # last time the URL was requested
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    reason: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the fetcher --------------------------------------------------------------------------------


@dataclass
class Fetcher:
    out: Path
    delay: float = 2.0
    user_agent: str = DEFAULT_USER_AGENT
    refresh: bool = False
    retries: int = 4  # extra attempts after the first
    backoff: float = 1.0  # first back-off; doubles each retry
    max_backoff: float = 60.0
    timeout: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES
    document_budget: float = DEFAULT_DOCUMENT_BUDGET
    on_event: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    client: httpx.Client | None = None
    _robots: dict[str, urllib.robotparser.RobotFileParser | str] = field(default_factory=dict)
    _last_request: float | None = None
    pages: dict[str, PageRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FetchError(f"--out {self.out}: cannot create the directory: {exc.strerror or exc}") from exc
        self.pages = {url: PageRecord(**{k: v for k, v in entry.items() if k in PageRecord.__dataclass_fields__})
                      for url, entry in read_manifest(self.out).items()}
        self._own_client = self.client is None
        if self.client is None:
            self.client = httpx.Client(
                headers={"User-Agent": self.user_agent}, timeout=self.timeout, follow_redirects=False
            )

    def close(self) -> None:
        if self._own_client and self.client is not None:
            self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public ----------------------------------------------------------------------------

    def index(self, index_url: str = INDEX_URL) -> list[str]:
        """The city page URLs the index links to (``/cities/<slug>/`` on the index's site)."""
        check_url(index_url)
        if not self._allowed(index_url):
            raise FetchError(f"{index_url}: disallowed by robots.txt for this User-Agent")
        response, attempts, error = self._get(index_url, {})
        if response is None or response.status_code != 200:
            why = error or f"HTTP {response.status_code}"
            raise FetchError(f"cannot read the city index {index_url}: {why}")
        return city_links(response.text, str(response.url))

    def fetch_all(self, urls: Iterable[str]) -> list[PageRecord]:
        records = []
        for url in dict.fromkeys(urls):
            record = self.fetch(url)
            records.append(record)
            self._event(f"{record.outcome}: {url}" + (f" ({record.reason})" if record.reason else ""))
        return records

    def fetch(self, url: str) -> PageRecord:
        """Fetch one page (or take it from the cache) and record the outcome in the manifest."""
        check_url(url)
        previous = self.pages.get(url)
        if previous is not None and not self.refresh and self._cached(previous):
            return PageRecord(**{**asdict(previous), "outcome": CACHED,
                                 "reason": f"already fetched {previous.retrieved or previous.checked}; --refresh to check again"})
        if not self._allowed(url):
            record = PageRecord(url=url, outcome=DISALLOWED, checked=_now(),
                                reason=f"disallowed by {self._robots_url(url)} for this User-Agent; not requested")
            return self._keep(record)
        headers = {}
        if previous is not None and previous.sha256 and self._cached(previous):
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        deadline = time.monotonic() + self.document_budget
        response, attempts, error = self._get(url, headers, deadline)
        checked = _now()
        if response is None:
            return self._keep(PageRecord(url=url, outcome=FAILED, checked=checked, attempts=attempts,
                                         reason=f"{error} (after {attempts} attempts)"))
        status = response.status_code
        if status == 304 and previous is not None:
            return self._keep(PageRecord(**{**asdict(previous), "outcome": UNCHANGED, "status": 304, "checked": checked,
                                            "attempts": attempts, "reason": "not modified (conditional request)"}))
        if status != 200:
            reason = f"HTTP {status} {response.reason_phrase}".strip()
            if status in RETRY_STATUSES:
                reason += f" (after {attempts} attempts)"
            return self._keep(PageRecord(url=url, outcome=FAILED, status=status, checked=checked, attempts=attempts,
                                         reason=reason))
        try:
            with _time_limit(deadline - time.monotonic()):
                record = self._accept(url, response, previous, checked, attempts)
        except _Overtime:
            record = PageRecord(url=url, outcome=FAILED, status=200, checked=checked, attempts=attempts,
                                reason=f"reading it took longer than the document budget of {self.document_budget:g} s")
        return self._keep(record)

    # -- one answer ------------------------------------------------------------------------

    def _accept(self, url: str, response: httpx.Response, previous: PageRecord | None, checked: str,
                attempts: int) -> PageRecord:
        data = response.content
        digest = hashlib.sha256(data).hexdigest()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower() or None
        record = PageRecord(url=url, outcome=SAVED, status=200, sha256=digest, checked=checked, attempts=attempts,
                            etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                            content_type=content_type)
        pdf = is_pdf(data) or content_type == "application/pdf"
        name = self._file_name(url, ".pdf" if pdf else ".html", previous)
        reason = snapshot_problem(data, pdf, name)
        if reason is not None:
            record.outcome, record.reason, record.retrieved = REJECTED, reason, checked
            return record
        record.file = name
        if previous is not None and previous.sha256 == digest and previous.file == name and (self.out / name).is_file():
            record.outcome, record.retrieved = UNCHANGED, previous.retrieved
            record.reason = "content unchanged"
            return record
        record.retrieved = checked
        atomic_write(self.out / name, data)
        if previous is not None and previous.file and previous.file != name:
            (self.out / previous.file).unlink(missing_ok=True)
        return record

    def _keep(self, record: PageRecord) -> PageRecord:
        self.pages[record.url] = record
        entries = [asdict(page) for page in self.pages.values()]
        for entry in entries:
            del entry["attempts"]  # how hard this run tried is not a fact about the page
        write_manifest(self.out, entries, self.user_agent)
        return record

    def _cached(self, record: PageRecord) -> bool:
        """Fetched before with a final answer: a saved document still on disk, or a rejection."""
        if record.outcome in (SAVED, UNCHANGED, CACHED):
            return bool(record.file) and (self.out / record.file).is_file()
        return record.outcome == REJECTED

    def _file_name(self, url: str, suffix: str, previous: PageRecord | None) -> str:
        parts = urlsplit(url)
        slug = [p for p in parts.path.split("/") if p]
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", slug[-1] if slug else parts.netloc).strip(".-") or "index"
        stem = re.sub(r"\.(?:html?|pdf|php|aspx?)$", "", stem, flags=re.IGNORECASE)
        name = stem + suffix
        taken = {r.file for u, r in self.pages.items() if u != url and r.file}
        if name in taken:
            name = f"{stem}-{hashlib.sha256(url.encode()).hexdigest()[:8]}{suffix}"
        return name

    # -- HTTP --------------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], deadline: float | None = None,
             max_bytes: int | None = None, robots: bool = True) -> tuple[httpx.Response | None, int, str | None]:
        """GET with retries on 429/5xx/timeouts: (last response or None, attempts, error).

        The answer is read whole (at most ``max_bytes``) before it is returned; redirects are
        followed on the same host only, and (``robots``) where the target's robots.txt allows;
        nothing goes on past ``deadline``.
        """
        error = None
        deadline = deadline if deadline is not None else time.monotonic() + self.document_budget
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                response = self._request(url, headers, deadline, max_bytes or self.max_bytes, robots)
            except _Refused as exc:
                return None, attempt + 1, str(exc)
            except httpx.TimeoutException:
                error, response = "timed out", None
            except httpx.TransportError as exc:
                error, response = f"connection failed: {type(exc).__name__}: {exc}", None
            if response is not None and response.status_code not in RETRY_STATUSES:
                return response, attempt + 1, None
            if attempt == self.retries:
                return response, attempt + 1, error
            wait = min(self.max_backoff, self.backoff * 2**attempt)
            if response is not None:
                wait = max(wait, min(self.max_backoff, _retry_after(response) or 0))
                error = f"HTTP {response.status_code}"
            if time.monotonic() + wait > deadline:
                return response, attempt + 1, f"{error}; no time left in the document budget of {self.document_budget:g} s"
            self._event(f"retrying {url} in {wait:g}s: {error}")
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _request(self, url: str, headers: dict[str, str], deadline: float, max_bytes: int, robots: bool) -> httpx.Response:
        """One GET, its same-host redirects followed, the body read within the budgets."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            with self.client.stream("GET", current, headers=headers, follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    target = urljoin(current, response.headers["location"].strip())
                    _check_redirect(url, target)
                    if robots and not self._allowed(target):
                        raise _Refused(f"redirected to {target}, which {self._robots_url(target)} disallows; not followed")
                    current = target
                    continue
                body = _read_within(response, max_bytes, deadline, self.document_budget)
                return httpx.Response(response.status_code, headers=response.headers, content=body,
                                      request=response.request)
        raise _Refused(f"more than {MAX_REDIRECTS} redirects; not followed")

    def _pace(self) -> None:
        """At least ``delay`` seconds between two requests, whoever made them."""
        now = time.monotonic()
        if self._last_request is not None:
            wait = self.delay - (now - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = time.monotonic()

    def _robots_url(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))

    def _allowed(self, url: str) -> bool:
        robots_url = self._robots_url(url)
        parser = self._robots.get(robots_url)
        if parser is None:
            parser = self._robots[robots_url] = self._read_robots(robots_url)
        if isinstance(parser, str):  # robots.txt could not be read: the site is off limits
            return False
        return parser.can_fetch(self.user_agent, url)

    def _read_robots(self, robots_url: str) -> urllib.robotparser.RobotFileParser | str:
        parser = urllib.robotparser.RobotFileParser(robots_url)
        response, _, error = self._get(robots_url, {}, max_bytes=ROBOTS_MAX_BYTES, robots=False)
        if response is None or response.status_code >= 500:
            self._event(f"{robots_url}: {error or response.status_code}; not fetching from this site")
            return "unreachable"
        if response.status_code in (401, 403):
            parser.disallow_all = True
        elif response.status_code >= 400:
            parser.allow_all = True
        else:
            parser.parse(response.text.splitlines())
            crawl_delay = parser.crawl_delay(self.user_agent)
            if crawl_delay:
                self.delay = max(self.delay, float(crawl_delay))
        return parser

    def _event(self, message: str) -> None:
        if self.on_event:
            self.on_event(message)


def _check_redirect(origin: str, target: str) -> None:
    """A redirect may change the scheme or path, never the host."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        raise _Refused(f"redirected to a {parts.scheme or 'relative'} URL; not followed")
    if (parts.hostname or "").lower() != (urlsplit(origin).hostname or "").lower():
        raise _Refused(f"redirected to another host ({parts.hostname}); not followed")


def _read_within(response: httpx.Response, max_bytes: int, deadline: float, budget: float) -> bytes:
    """The body, or ``_Refused`` past ``max_bytes`` (whatever Content-Length says) or the deadline."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _Refused(f"larger than {max_bytes} bytes (Content-Length {declared}); not downloaded")
    chunks, total = [], 0
    for chunk in response.iter_raw():
        total += len(chunk)
        if total > max_bytes:
            raise _Refused(f"larger than {max_bytes} bytes, the limit for one document; download stopped")
        if time.monotonic() > deadline:
            raise _Refused(f"downloading took longer than the document budget of {budget:g} s; stopped")
        chunks.append(chunk)
    return b"".join(chunks)


class _Overtime(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop pure-Python work (conversion, the mapper) after ``seconds`` with ``_Overtime``.

    A timer signal: only in the main thread (elsewhere the work runs unbounded)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    if seconds <= 0:
        raise _Overtime

    def expire(signum: int, frame: object) -> None:
        raise _Overtime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(f"not an http(s) URL: {url!r}")


def city_links(html: str, base_url: str) -> list[str]:
    """Links of the city index to city pages (``/cities/<slug>/`` on the same site), in order."""
    from bs4 import BeautifulSoup

    base = urlsplit(base_url)
    found: dict[str, None] = {}
    for anchor in BeautifulSoup(html, "html.parser").find_all("a", href=True):
        parts = urlsplit(urljoin(base_url, anchor["href"].strip()))
        match = _CITY_PATH.match(parts.path)
        if parts.netloc != base.netloc or not match:
            continue
        found[urlunsplit((parts.scheme, parts.netloc, f"/cities/{match.group('slug')}/", "", ""))] = None
    return list(found)


def snapshot_problem(data: bytes, pdf: bool, name: str) -> str | None:
    """Why the downloaded bytes are not a snapshot the build can read, or None."""
    try:
        text = pdf_to_text(data) if pdf else html_to_text(data)
    except ConversionError as exc:
        return f"not a snapshot: {exc}"
    try:
        read_snapshot(text, name)
    except MapperError as exc:
        return f"not a snapshot page: {getattr(exc, 'reason', None) or exc}"
    return None
