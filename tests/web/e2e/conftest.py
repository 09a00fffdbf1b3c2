"""Browser fixtures for end-to-end tests: Debian's Chromium driven by Playwright, kept offline.

- ``browser`` (one per session): /usr/bin/chromium (or $CITYKG_CHROMIUM) launched headless by
  Playwright's Python package with the system binary; ``playwright install`` is never needed.
  Without chromium or playwright the tests skip with the install command, unless
  CITYKG_E2E=required (CI sets it once .ci/run has installed chromium): then they fail.
- ``page`` (one per test): a fresh browser context (empty storage and cache). Every request it
  makes is recorded in ``page_log``; one to any host but the loopback is aborted before it
  leaves, and recorded all the same, so ``page_log.offsite()`` names it. At teardown, pass or
  fail, a full-page screenshot goes to var/test-artifacts/screenshots/ ($CITYKG_TEST_ARTIFACTS).
- ``site`` (one per session): the real citykg app, on waitress on 127.0.0.1, over the store
  ``markup_store`` (tests/web/conftest.py) builds from seeds/ with markup in Medellín's page,
  so every page can be checked to show such values as text.
Every test under tests/web/e2e is marked ``e2e`` (``pytest -m "not e2e"`` leaves them out).
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO
from tests.live import serve_in_thread

CHROMIUM = Path(os.environ.get("CITYKG_CHROMIUM", "/usr/bin/chromium"))
# The flags that keep Chromium from calling Google's services on this closed network, plus a
# resolver rule so no host name but localhost resolves, whatever a page asks for.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
SCREENSHOTS = Path(os.environ.get("CITYKG_TEST_ARTIFACTS", REPO / "var" / "test-artifacts")) / "screenshots"
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test in headless Chromium (tests/web/e2e)")


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine: loopback hosts, data:, blob:, about:."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@dataclass
class PageLog:
    """What one test's page did: every request URL, console errors, uncaught exceptions."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def offsite(self) -> list[str]:
        """Requests for anything not on 127.0.0.1 (each was aborted before it left)."""
        return [url for url in self.requests if not is_local(url)]

    def assert_clean(self) -> None:
        """Nothing left the machine, no uncaught exception, nothing logged as a console error."""
        assert self.offsite() == [], "requests for other hosts"
        assert self.page_errors == [], "uncaught exceptions in the page"
        assert self.console_errors == [], "console errors"

    def paths(self) -> list[str]:
        """Path (and query) of every local request, in order: what the page loaded."""
        return [urlsplit(url)._replace(scheme="", netloc="").geturl() for url in self.requests if is_local(url)]


def _unavailable(reason: str) -> None:
    if os.environ.get("CITYKG_E2E") == "required":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless system Chromium, shared by every e2e test of the session."""
    if not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        _unavailable(f"no Chromium at {CHROMIUM}: install Debian's with `apt-get update && apt-get install -y chromium` (CI's .ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Python package `playwright` missing: `pip install -e '.[test]'` (never `playwright install`: the system Chromium is used)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser, page_log: PageLog, request: pytest.FixtureRequest) -> Iterator[object]:
    """A page in a fresh context that records every request and cannot leave the machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(15_000)
    context.on("request", lambda req: page_log.requests.append(req.url))
    context.route("**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and page_log.console_errors.append(message.text))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    page.on("websocket", lambda socket: page_log.requests.append(socket.url))
    try:
        yield page
    finally:
        _screenshot(page, request.node)
        context.close()


def _screenshot(page, node: pytest.Item) -> None:
    """Save ``<module>--<test>.png``; a failed screenshot warns rather than hide the test's own result."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{Path(node.fspath).stem}--{node.name}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    except Exception as error:  # a crashed or closed page: the test's own failure says why
        warnings.warn(f"no screenshot for {node.nodeid}: {error}", stacklevel=1)


@dataclass(frozen=True)
class Site:
    """The running site: its base URL (no trailing slash) and the store it serves."""

    url: str
    store: Path


@pytest.fixture(scope="session")
def site(web_app, markup_store: Path) -> Iterator[Site]:
    """citykg serving the seeds (Medellín's page carrying markup) on 127.0.0.1, for the session."""
    with serve_in_thread(web_app) as url:
        yield Site(url, markup_store)
