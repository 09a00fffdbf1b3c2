"""The vendored front-end libraries load and work offline in headless Chromium.

The demo site (demo_app.py: demo page, /static/vendor/, a pyoxigraph SPARQL endpoint) runs on
127.0.0.1. Each test checks what a person would see (table rows, chart bars, dots on the
right countries) against the hand-checked values of demo_app, and that no request left the
machine. The last test shows why the YASGUI options in demo/demo.js matter: YASGUI as it
comes asks lov.linkeddata.es for completions (the fixture aborts and records the request).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.live import serve_in_thread
from tests.web.e2e.demo_app import DEMO_CITIES, DEMO_TEAM_SIZES, MARKUP_LABEL, VENDOR_DIR, create_demo_app

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
NAMES_QUERY = f"PREFIX rdfs: <{RDFS}> SELECT ?name WHERE {{ ?city rdfs:label ?name }} ORDER BY ?name"
NAMES_SORTED = [MARKUP_LABEL, "Helsinki", "Medellín"]  # "<" sorts before letters
RESULT_CELLS = ".yasr_results .dataTable tbody tr td:nth-child(2)"
COUNTRY_OF_CITY = {"Helsinki": "Finland", "Medellín": "Colombia", MARKUP_LABEL: "Australia"}


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    with serve_in_thread(create_demo_app()) as url:
        yield url


def open_demo(page, url: str) -> None:
    """Load the demo page and wait until its chart and map are drawn."""
    page.goto(url)
    page.evaluate("() => window.citykgDemo.then(() => true)")


def type_query(page, query: str) -> None:
    """Replace the visible editor's text by typing, as a person would."""
    page.locator(".yasqe .CodeMirror:visible").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(query)


def test_yasgui_runs_a_typed_query_on_the_local_endpoint(page, page_log, demo_url):
    open_demo(page, demo_url + "/")
    type_query(page, NAMES_QUERY)
    page.keyboard.press("Control+Enter")
    page.locator(RESULT_CELLS).nth(2).wait_for()

    assert page.locator(RESULT_CELLS).all_inner_texts() == NAMES_SORTED
    # The literal with markup is shown as text: no element was made from it.
    assert page.locator(".yasr_results b, .yasr_results img").count() == 0
    assert page_log.paths().count("/sparql") == 3  # the chart's, the map's, the typed query
    page_log.assert_clean()


def test_yasgui_example_tabs_and_local_completion(page, page_log, demo_url):
    open_demo(page, demo_url + "/")
    tabs = page.evaluate("() => window.citykgDemo.then(({yasgui}) => yasgui.persistentConfig.getTabs().map((id) => yasgui.getTab(id).getName()))")
    assert tabs == ["Query", "Cities", "Team sizes", "Coordinates"]

    page.locator(".tabsList a", has_text="Team sizes").click()
    assert "cik:teamSize ?teamSize" in page.locator(".yasqe .CodeMirror:visible").inner_text()
    # A prefixed name in predicate position: YASGUI as it comes would ask LOV here (last test).
    type_query(page, f"PREFIX rdfs: <{RDFS}> SELECT * WHERE {{ ?city rdfs:lab")
    page.keyboard.press("Control+Space")
    page.wait_for_timeout(500)  # time for a completer to fire, were one configured to

    assert "/prefixes.json" in page_log.paths()  # prefix completion from our own list
    page_log.assert_clean()


def test_permalink_runs_its_query_on_our_endpoint_only(page, page_log, demo_url):
    link = f"{demo_url}/#query={quote(NAMES_QUERY)}&endpoint={quote('http://example.org/sparql')}&tabTitle=From%20a%20link"
    open_demo(page, link)
    page.locator(RESULT_CELLS).nth(2).wait_for()  # a permalink's query runs on opening

    assert page.locator(RESULT_CELLS).all_inner_texts() == NAMES_SORTED
    tab = page.evaluate("() => window.citykgDemo.then(({yasgui}) => ({name: yasgui.getTab().getName(), endpoint: yasgui.getTab().getEndpoint(), link: yasgui.getTab().getShareableLink()}))")
    assert tab["name"] == "From a link"
    assert tab["endpoint"] == f"{demo_url}/sparql"
    shared = parse_qs(urlsplit(tab["link"]).fragment)
    assert shared["query"] == [NAMES_QUERY]
    assert shared["endpoint"] == [f"{demo_url}/sparql"]
    page_log.assert_clean()


def test_chart_draws_team_sizes_on_the_page_and_in_yasr(page, page_log, demo_url):
    open_demo(page, demo_url + "/")
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart("chart");
            const canvas = chart.canvas;
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return {labels: chart.data.labels, values: chart.data.datasets[0].data, painted};
        }"""
    )
    assert dict(zip(drawn["labels"], drawn["values"])) == DEMO_TEAM_SIZES
    assert drawn["labels"] == list(DEMO_TEAM_SIZES)  # largest team first
    assert drawn["painted"] > 5000  # bars and axes are on the canvas, not just an empty element

    page.locator(".tabsList a", has_text="Team sizes").click()
    page.keyboard.press("Control+Enter")  # the editor has focus after the tab switch
    page.locator(".yasr .select_chart:visible").click()
    in_yasr = page.evaluate("() => { const c = Chart.getChart(document.querySelector('.yasr_results canvas')); return [c.data.labels, c.data.datasets[0].data]; }")
    assert dict(zip(*in_yasr)) == DEMO_TEAM_SIZES
    page_log.assert_clean()


def test_map_draws_the_world_outline_with_cities_on_their_countries(page, page_log, demo_url):
    open_demo(page, demo_url + "/")
    world = json.loads((VENDOR_DIR / "world-atlas" / "countries-110m.json").read_text(encoding="utf-8"))
    drawn = page.evaluate(
        """() => {
            const countries = [...document.querySelectorAll("#map path.country")];
            const dots = [...document.querySelectorAll("#map circle.city")].map((dot) => {
                const point = new DOMPoint(Number(dot.getAttribute("cx")), Number(dot.getAttribute("cy")));
                const under = countries.filter((path) => path.isPointInFill(point)).map((path) => path.dataset.name);
                return [dot.querySelector("title").textContent, under];
            });
            return {countries: countries.filter((path) => path.getAttribute("d")).length, dots};
        }"""
    )
    assert drawn["countries"] == len(world["objects"]["countries"]["geometries"]) == 177
    assert dict(drawn["dots"]) == {name: [country] for name, country in COUNTRY_OF_CITY.items()}
    assert set(COUNTRY_OF_CITY) == set(DEMO_CITIES)
    assert "/static/vendor/world-atlas/countries-110m.json" in page_log.paths()
    page_log.assert_clean()


def test_yasgui_as_it_comes_reaches_for_other_hosts(page, page_log, demo_url):
    """Why demo.js sets YASGUI's options: its defaults ask LOV for property completions."""
    page.goto(demo_url + "/demo/bare.html")
    with page.expect_event("requestfailed", lambda request: "lov.linkeddata.es" in request.url):
        type_query(page, f"PREFIX rdfs: <{RDFS}> SELECT * WHERE {{ ?city rdfs:lab")
        page.keyboard.press("Control+Space")

    offsite_hosts = {urlsplit(url).hostname for url in page_log.offsite()}
    assert offsite_hosts == {"lov.linkeddata.es"}  # recorded, and aborted before it left
