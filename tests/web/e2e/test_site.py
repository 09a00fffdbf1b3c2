"""The web front end in headless Chromium, as a visitor uses it, against the real site on 127.0.0.1.

The site (conftest ``site``) serves the five seed snapshots, Medellín's page carrying markup.
Expected values are read by hand from the seed pages (seeds/000_25ed298be2eb3bc2.txt is
Medellín: mayor Federico Gutiérrez; its "Data availability by policy area" section lists the
areas below; the cities naming a data scientist are Lima, Medellín and Mexico City) and from
seeds/wikidata/ (the coordinates: natural-earth-50m-populated-places.csv; Saltillo is not in
it). Every test also checks that the page asked nothing of another host, threw nothing and
logged no error; the harness keeps a screenshot of every page in var/test-artifacts/screenshots/.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.web.conftest import MARKUP_ROLE, MARKUP_SPOTLIGHT

SEED_CITIES = ["Baltimore", "Lima", "Medellin", "Mexico City", "Saltillo"]
# city -> the country its dot must fall in (world-atlas names), from the gazetteer's coordinates
MAPPED = {"Baltimore": "United States of America", "Lima": "Peru", "Medellin": "Colombia", "Mexico City": "Mexico"}
MEDELLIN_RATINGS = {
    "Insufficient data": {"Education", "Environment and climate change", "Housing and built environment",
                          "Labour market and skills", "Social inclusion and equity", "Tourism", "Water"},
    "No response": {"Digital governance", "Economic development", "Public works"},
    "Sufficient data": {"Culture", "Health", "Policing and law enforcement", "Transport/Mobility", "Waste and sewage"},
}
DATA_SCIENTIST_CITIES = ["Lima", "Medellin", "Mexico City"]
TYPED_QUERY = ("PREFIX cik: <https://w3id.org/citykg/ontology#> PREFIX role: <https://w3id.org/citykg/vocab/role/> "
               "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
               "SELECT ?name WHERE { ?city cik:employsRole role:data-scientist ; rdfs:label ?name } ORDER BY ?name")
RESULT_CELLS = ".yasr_results .dataTable tbody tr td:nth-child(2)"
NO_SCRIPT_RAN = "() => window.__xss === undefined"


def chart(page, selector: str) -> dict:
    """What Chart.js drew on a canvas: labels, each dataset's values, and how many pixels are painted."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return {labels: chart.data.labels, datasets: chart.data.datasets.map((d) => [d.label, d.data]), painted};
        }""",
        selector,
    )


def type_in_editor(page, query: str) -> None:
    page.locator(".yasqe .CodeMirror:visible").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(query)


# --- the SPARQL editor --------------------------------------------------------------------------


def test_sparql_editor_runs_a_typed_query(page, page_log, site):
    page.goto(site.url + "/sparql")
    page.locator(".yasqe .CodeMirror:visible").wait_for()
    tabs = page.evaluate("() => citykgEditor.yasgui.persistentConfig.getTabs().map((id) => citykgEditor.yasgui.getTab(id).getName())")
    assert tabs == ["Query", "cities-by-role", "data-sufficiency-matrix", "peer-cities"]  # the example tabs
    assert "PREFIX cik: <https://w3id.org/citykg/ontology#>" in page.locator(".yasqe .CodeMirror:visible").inner_text()

    type_in_editor(page, TYPED_QUERY)
    page.keyboard.press("Control+Enter")
    page.locator(RESULT_CELLS).nth(2).wait_for()

    assert page.locator(RESULT_CELLS).all_inner_texts() == DATA_SCIENTIST_CITIES
    assert page_log.paths().count("/sparql") == 2  # the page, then the query: both here
    page_log.assert_clean()


def test_sparql_editor_examples_completion_chart_and_permalink(page, page_log, site):
    link = (f"{site.url}/sparql#query={quote(TYPED_QUERY)}&endpoint={quote('http://example.org/sparql')}"
            "&tabTitle=From%20a%20link")
    page.goto(link)
    page.locator(RESULT_CELLS).nth(2).wait_for()  # a permalink's query runs on opening, here only
    assert page.locator(RESULT_CELLS).all_inner_texts() == DATA_SCIENTIST_CITIES
    tab = page.evaluate("() => ({name: citykgEditor.yasgui.getTab().getName(), endpoint: citykgEditor.yasgui.getTab().getEndpoint(),"
                        " link: citykgEditor.yasgui.getTab().getShareableLink()})")
    assert tab["name"] == "From a link" and tab["endpoint"] == f"{site.url}/sparql"
    assert parse_qs(urlsplit(tab["link"]).fragment)["query"] == [TYPED_QUERY]

    # An example from the list opens in its own tab; its answer has a numeric column, so a chart.
    page.get_by_role("button", name="Critical success factors ranked").click()
    assert page.evaluate("() => citykgEditor.yasgui.getTab().getName()") == "success-factors-ranked"
    page.keyboard.press("Control+Enter")
    page.locator(".yasr .select_chart:visible").click()
    drawn = page.evaluate("() => { const c = Chart.getChart(document.querySelector('.yasr_results canvas')); return [c.data.labels.length, c.data.datasets[0].label]; }")
    assert drawn[0] > 0 and drawn[1] in ("cityCount", "percentOfCities")

    # Completing a prefixed name: our prefix list, nothing from LOV or prefix.cc.
    type_in_editor(page, "SELECT * WHERE { ?city rdfs:lab")
    page.keyboard.press("Control+Space")
    page.wait_for_timeout(300)
    assert "/prefixes.json" in page_log.paths()
    page_log.assert_clean()


# --- the home page --------------------------------------------------------------------------------


def test_home_page_shows_each_seed_city_once_and_the_map(page, page_log, site):
    page.goto(site.url + "/")
    page.locator("figure[data-map][data-drawn=true]").wait_for()

    assert page.locator("#city-table tbody th").all_inner_texts() == SEED_CITIES
    drawn = page.evaluate(
        """() => {
            const countries = [...document.querySelectorAll("figure[data-map] path.country")];
            return [...document.querySelectorAll("figure[data-map] circle.city")].map((dot) => {
                const point = new DOMPoint(Number(dot.getAttribute("cx")), Number(dot.getAttribute("cy")));
                const under = countries.filter((path) => path.isPointInFill(point)).map((path) => path.dataset.name);
                return [dot.dataset.name, under, dot.closest("a").getAttribute("href")];
            });
        }"""
    )
    assert {name: under for name, under, _ in drawn} == {name: [country] for name, country in MAPPED.items()}
    assert {name: href for name, _, href in drawn}["Medellin"] == "/city/medellin"
    assert "Saltillo" in page.locator("figure[data-map] figcaption").inner_text()  # named as not on the map
    assert "/static/vendor/world-atlas/countries-110m.json" in page_log.paths()

    # The four charts are drawn; the roles chart counts cities per role, the markup role as text.
    assert page.locator("canvas[data-chart][data-drawn=true]").count() == 4
    roles = chart(page, "canvas[data-chart='chart-roles-data']")
    counts = dict(zip(roles["labels"], roles["datasets"][0][1]))
    assert counts["Project manager"] == 4 and counts["Data scientist"] == 3 and counts[MARKUP_ROLE] == 1
    assert roles["painted"] > 5000
    assert page.evaluate(NO_SCRIPT_RAN)
    page_log.assert_clean()


def test_search_suggestions_by_keyboard(page, page_log, site):
    page.goto(site.url + "/")
    box = page.locator("#home-search")
    box.focus()
    page.keyboard.type("medellín")  # accents aside
    page.locator("#home-search[aria-expanded=true]").wait_for()
    options = page.locator("form:has(#home-search) [role=option]")
    assert options.first.inner_text().startswith("Medellin")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/city/medellin")
    page_log.assert_clean()


def test_markup_in_snapshot_values_is_shown_as_text(page, page_log, site):
    page.goto(site.url + "/city/medellin")
    spotlight = page.locator(".spotlight").inner_text()
    assert MARKUP_SPOTLIGHT in spotlight
    assert page.locator(".spotlight script, .spotlight b, .profile img, .profile b").count() == 0
    assert MARKUP_ROLE in page.locator(".profile").inner_text()

    # The suggestion list is made by JavaScript from JSON: the label stays text there too.
    page.locator("#site-search").fill("hacker")
    page.locator("#site-search[aria-expanded=true]").wait_for()
    suggestion = page.locator(".site-search [role=option]").first
    assert suggestion.inner_text().startswith(MARKUP_ROLE)
    assert page.locator(".suggestions b, .suggestions img").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate(NO_SCRIPT_RAN)
    page_log.assert_clean()


# --- city pages and comparison ----------------------------------------------------------------------


def test_city_page_draws_its_charts(page, page_log, site):
    page.goto(site.url + "/city/medellin")
    page.locator("canvas[data-chart='sufficiency-chart-data'][data-drawn=true]").wait_for()

    drawn = chart(page, "canvas[data-chart='sufficiency-chart-data']")
    marks = page.evaluate("() => JSON.parse(document.getElementById('sufficiency-chart-data').textContent).marks['values']")
    own = {}
    for area, level in zip(drawn["labels"], marks):
        own.setdefault(level, set()).add(area)
    assert own == MEDELLIN_RATINGS  # every area Medellín rated, with its own rating
    assert [name for name, _ in drawn["datasets"]] == ["Insufficient data", "No response", "Sufficient data"]
    education = drawn["labels"].index("Education")
    assert [values[education] for _, values in drawn["datasets"]] == [3, 0, 0]  # Lima, Medellín, Mexico City
    assert drawn["painted"] > 5000

    roles = chart(page, "canvas[data-chart='standing-roles-data']")
    assert roles["labels"][0] == "Medellin"  # 8 roles in this site's store: the most
    assert "1st of 5 cities" in page.locator("#standing-roles-title ~ .chart__note").inner_text()
    peers = page.locator(".peer h3").all_inner_texts()
    assert peers and set(peers) <= set(SEED_CITIES) - {"Medellin"}
    wikidata = page.locator("a.wikidata")
    assert wikidata.get_attribute("href") == "http://www.wikidata.org/entity/Q48278"
    page_log.assert_clean()


def test_compare_page_shows_two_cities(page, page_log, site):
    page.goto(site.url + "/compare")
    page.select_option("#city-1", label="Medellin")
    page.select_option("#city-2", label="Lima")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare?cities=medellin&cities=lima*")

    assert page.locator(".compare-table thead th > a").all_inner_texts() == ["Medellin", "Lima"]
    mayors = page.locator(".compare-table tr:has(th:text-is('Mayor')) td").all_inner_texts()
    assert mayors == ["Federico Gutiérrez", "Jorge Muñoz Wells"]
    shared = page.locator(".compare-table tr:has(th:has-text('Innovation skills and roles')) td:first-of-type li.shared a")
    assert sorted(shared.all_inner_texts()) == ["Data scientist", "Engineer", "Project manager"]
    assert page.locator("canvas[data-chart][data-drawn=true]").count() == 3
    page_log.assert_clean()


# --- canned queries ----------------------------------------------------------------------------------


def test_a_canned_query_from_the_gallery_shows_the_right_rows(page, page_log, site):
    page.goto(site.url + "/")
    page.locator("#gallery-filter").fill("skill or role")
    page.get_by_role("link", name="Cities employing an innovation skill or role").click()
    page.wait_for_url("**/queries/cities-by-role?role=data-scientist")

    names = page.locator("#answer tbody td:nth-child(2)")
    assert names.all_inner_texts() == DATA_SCIENTIST_CITIES
    assert page.locator("#p-role").input_value() == "https://w3id.org/citykg/vocab/role/data-scientist"
    page.get_by_role("link", name="name").click()  # sort by name
    page.get_by_role("link", name="name").click()  # and the other way
    page.wait_for_url("**_sort_desc=name*")
    assert names.all_inner_texts() == DATA_SCIENTIST_CITIES[::-1]

    page.select_option("#p-role", label="Engineer")
    page.get_by_role("button", name="Run the query").click()
    page.wait_for_url("**role=https*engineer*")
    assert names.all_inner_texts() == ["Lima", "Medellin", "Mexico City"]  # the seeds' engineers
    page_log.assert_clean()


def test_a_canned_query_without_its_parameter_is_a_form(page, page_log, site):
    response = page.goto(site.url + "/queries/peer-cities")
    assert response.status == 200
    assert page.locator("#p-city option").count() == 1 + len(SEED_CITIES)  # "Choose…" and every city
    page.select_option("#p-city", label="Medellin")
    page.get_by_role("button", name="Run the query").click()
    page.locator("canvas[data-chart][data-drawn=true]").wait_for()
    assert page.locator("#answer tbody tr").count() == len(SEED_CITIES) - 1
    page_log.assert_clean()


# --- every other page: loads cleanly, in the site's layout -------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/queries", 200, "Canned queries"),
        ("/search?q=data", 200, "Search"),
        ("/city/baltimore", 200, "Baltimore"),
        ("/vocab/role/data-scientist", 200, "Data scientist"),
        ("/queries/data-sufficiency-matrix", 200, "Data sufficiency matrix, policy area by city"),
        ("/queries/cities-by-role?role=pilot", 400, "Cities employing an innovation skill or role"),
        ("/queries/no-such-query", 404, "Nothing here"),
        ("/compare?cities=medellin,atlantis", 404, "Compare cities"),
    ],
)
def test_page_loads_in_the_site_layout(page, page_log, site, path, status, heading):
    response = page.goto(site.url + path)
    assert response.status == status
    assert page.locator("h1").first.inner_text() == heading
    assert page.locator("header.site-header nav a").count() == 5 and page.locator("footer.site-footer").count() == 1
    page.wait_for_timeout(150)  # charts and scripts settle
    page_log.console_errors = [e for e in page_log.console_errors if f"status of {status}" not in e]  # the page's own status
    page_log.assert_clean()


def test_home_page_fits_a_phone(page, page_log, site):
    """At 390 px wide nothing overflows sideways and the map and charts still draw."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.url + "/")
    page.locator("figure[data-map][data-drawn=true]").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.locator("canvas[data-chart][data-drawn=true]").count() == 4
    page_log.assert_clean()
