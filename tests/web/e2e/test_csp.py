"""The server's Content-Security-Policy lets the front end run, and nothing else (issue 9, item 6).

The real site (conftest ``site``) sends ``HTML_HEADERS`` on every page, so every browser test
runs under the policy and any violation would be a console error. Here, explicitly: the policy
is on the pages; YASGUI runs a typed query and charts it; the home page's map and the city
page's Chart.js charts draw; no violation is reported. The control shows the check bites: with
styles limited to files (no ``'unsafe-inline'``), YASGUI's results table is reported in violation,
which is why the policy allows inline *styles* (never inline scripts; SECURITY.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.web import app as web_app_module
from server.web.app import CONTENT_SECURITY_POLICY
from server.web.caching import RESPONSE_CACHE
from tests.web.e2e.test_site import RESULT_CELLS, TYPED_QUERY, type_in_editor

VIOLATION = "Content Security Policy"


def test_the_editor_map_and_charts_run_under_the_policy(page, page_log, site):
    response = page.goto(site.url + "/sparql")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    page.locator(".yasqe .CodeMirror:visible").wait_for()
    type_in_editor(page, TYPED_QUERY)
    page.keyboard.press("Control+Enter")
    page.locator(RESULT_CELLS).nth(2).wait_for()
    assert page.locator(RESULT_CELLS).all_inner_texts() == ["Lima", "Medellin", "Mexico City"]

    page.goto(site.url + "/")
    page.locator("#map path").first.wait_for()
    page.goto(site.url + "/city/medellin")
    page.locator("canvas").first.wait_for()
    assert page.evaluate("() => [...document.querySelectorAll('canvas')].some((c) => Chart.getChart(c))")
    assert not [m for m in page_log.console_errors if VIOLATION in m]
    page_log.assert_clean()


@pytest.fixture
def stricter_styles(web_app) -> Iterator[None]:
    headers = web_app_module.HTML_HEADERS
    policy = headers["Content-Security-Policy"]
    headers["Content-Security-Policy"] = policy.replace("style-src 'self' 'unsafe-inline'", "style-src 'self'")
    cache = web_app.extensions[RESPONSE_CACHE][1]
    kept, cache.max_bytes = cache.max_bytes, 0  # pages made afresh, under this policy, not kept answers
    yield
    headers["Content-Security-Policy"] = policy
    cache.max_bytes = kept


def test_the_control_a_stricter_style_policy_is_violated(page, page_log, site, stricter_styles):
    """YASGUI's results (YASR) set inline styles: without 'unsafe-inline' they are blocked."""
    page.goto(site.url + "/sparql")
    page.locator(".yasqe .CodeMirror:visible").wait_for()
    type_in_editor(page, TYPED_QUERY)
    page.keyboard.press("Control+Enter")
    page.locator(RESULT_CELLS).nth(2).wait_for()
    assert any(m.startswith("Applying inline style violates") for m in page_log.console_errors)
