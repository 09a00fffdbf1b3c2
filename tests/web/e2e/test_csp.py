"""The server's Content-Security-Policy lets the vendored front end run (issue 9, item 6).

The demo site is served with exactly the headers ``server.web.app`` puts on HTML pages
(``HTML_HEADERS``: the CSP, frame and referrer rules) and ``nosniff`` on everything, then
YASGUI runs a typed query, switches to the chart, and the page's own Chart.js chart and
d3-geo/topojson map draw. Any CSP violation is a console error, so ``assert_clean`` catches it.
The control shows the check bites: a policy without ``'unsafe-inline'`` styles breaks YASGUI's
editor, which is why the policy allows inline *styles* (never inline scripts; SECURITY.md).

One violation is expected, and wanted: the demo data holds a label with markup
(``<img src=x onerror=alert(1)>``) and YASGUI's result table parses cell values as HTML in a
detached element; the policy blocks the ``onerror`` handler, and that block is the only
console message.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.web.app import CONTENT_SECURITY_POLICY, HTML_HEADERS
from tests.live import serve_in_thread
from tests.web.e2e.demo_app import create_demo_app
from tests.web.e2e.test_vendored_demo import NAMES_QUERY, NAMES_SORTED, RESULT_CELLS, open_demo, type_query


def demo_with(headers: dict[str, str]):
    app = create_demo_app()

    @app.after_request
    def secure(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers.update(headers)
        return response

    return app


@pytest.fixture(scope="module")
def secured_url() -> Iterator[str]:
    with serve_in_thread(demo_with(HTML_HEADERS)) as url:
        yield url


def test_yasgui_chart_and_map_run_under_the_servers_csp(page, page_log, secured_url):
    response = page.goto(secured_url + "/")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.evaluate("() => window.citykgDemo.then(() => true)")  # chart and map drawn
    assert page.locator("#map path.country").count() == 177
    type_query(page, NAMES_QUERY)
    page.keyboard.press("Control+Enter")
    page.locator(RESULT_CELLS).nth(2).wait_for()
    assert page.locator(RESULT_CELLS).all_inner_texts() == NAMES_SORTED
    blocked = [m for m in page_log.console_errors if m.startswith("Executing inline event handler violates")]
    assert len(blocked) == 1  # the hostile label's onerror, stopped by the policy (see above)
    page_log.console_errors = [m for m in page_log.console_errors if m not in blocked]
    page_log.assert_clean()  # nothing else: every vendored script, style and fetch was allowed


def test_the_control_a_stricter_style_policy_is_violated(page, page_log):
    strict = {"Content-Security-Policy": CONTENT_SECURITY_POLICY.replace("style-src 'self' 'unsafe-inline'", "style-src 'self'")}
    with serve_in_thread(demo_with(strict)) as url:
        open_demo(page, url + "/")
    assert any("Content Security Policy" in message for message in page_log.console_errors)
