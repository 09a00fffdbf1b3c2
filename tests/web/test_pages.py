"""The web front end through Flask's test client: what each page says, its JSON twin, its errors.

The app (tests/web/conftest.py ``web_app``) serves the five seeds, Medellín's page carrying
markup. Expected values are hand-checked facts of the seeds (README tour, tests/golden/):
Medellín's mayor Federico Gutiérrez and officer Paula Zapata; Lima, Medellín and Mexico City
name a data scientist and an engineer; Education is rated insufficient by Lima, Medellín and
Mexico City, Blight by Lima and Mexico City; the coordinates are the gazetteer rows of
seeds/wikidata/natural-earth-50m-populated-places.csv (Saltillo has none). The browser
tests (tests/web/e2e/) check what these pages draw.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.sparql.request import QueryTimeout
from server.web import charts
from server.web.views import queries as queries_view
from server.web.views.home import built_at
from server.web.views.search import fold
from tests.web.conftest import MARKUP_ROLE, MARKUP_SPOTLIGHT

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
SEED_CITIES = ["Baltimore", "Lima", "Medellin", "Mexico City", "Saltillo"]
STATIC = Path(__file__).resolve().parents[2] / "server" / "web" / "static"
COORDINATES = {  # natural-earth-50m-populated-places.csv, lines 1094, 862, 393, 784
    "Baltimore": (39.301936, -76.621931), "Lima": (-12.046067, -77.052008),
    "Medellin": (6.276949, -75.576956), "Mexico City": (19.444388, -99.132934),
}


@pytest.fixture(scope="module")
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


def html(client: FlaskClient, path: str, status: int = 200, **kwargs) -> str:
    response = client.get(path, headers=BROWSER, **kwargs)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html" and "Accept" in response.vary
    return response.get_data(as_text=True)


def json_blocks(page: str) -> dict[str, object]:
    """The page's data, by the id of each ``<script type="application/json">`` block."""
    return {match[1]: json.loads(match[2])
            for match in re.finditer(r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.DOTALL)}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside some elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


def city_table(page: str) -> list[str]:
    table = page.split('id="city-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/city/[^"]+">([^<]+)</a></th>', table)


# --- every page: one layout, no inline script, every file local ---------------------------------

PAGES = ["/", "/sparql", "/city/medellin", "/city/baltimore", "/compare?cities=medellin,lima", "/compare",
         "/search?q=data", "/queries", "/queries/peer-cities?city=medellin", "/queries/peer-cities",
         "/queries/no-such-query"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_only_local_files_and_runs_no_inline_script(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "site-header" in page and "site-footer" in page
    for tag, attrs in tags(page):
        if tag == "script":  # code from our static files only; data blocks are not run
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs
        assert "style" not in attrs, (tag, attrs)  # a CSP without 'unsafe-inline' must not break the look
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("src", "href"):
            url = attrs.get(name) or ""
            if tag in ("script", "link", "img") and url:
                assert url.startswith("/static/"), url
                assert (STATIC / url.removeprefix("/static/")).is_file(), url


# --- /sparql ----------------------------------------------------------------------------------------


def test_sparql_gives_browsers_the_editor(client: FlaskClient) -> None:
    page = html(client, "/sparql")
    config = json_blocks(page)["editor-config"]
    assert config["endpoint"] == "/sparql" and config["prefixesUrl"] == "/prefixes.json"
    assert config["prefixes"]["role"] == "https://w3id.org/citykg/vocab/role/"
    assert config["defaultQuery"].startswith("PREFIX cik: <https://w3id.org/citykg/ontology#>\nPREFIX city:")
    assert [e["name"] for e in config["examples"]] == sorted(queries_view.load_queries())
    assert set(config["featured"]) <= {e["name"] for e in config["examples"]}
    assert '<div id="yasgui"' in page and "/static/vendor/yasgui/yasgui.min.js" in page


@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}, {"Accept": "text/turtle"}, {"Accept": "application/rdf+xml"},
                                     {"Accept": "text/html;q=0.5, text/turtle"}])
def test_sparql_clients_keep_the_service_description(client: FlaskClient, headers: dict) -> None:
    response = client.get("/sparql", headers=headers)
    assert response.status_code == 200 and response.mimetype != "text/html"
    assert "Accept" in response.vary
    assert b"sparql-service-description" in response.data or b"Service" in response.data


def test_sparql_format_parameter_wins_over_a_browser(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"format": "turtle"}, headers=BROWSER)
    assert response.mimetype == "text/turtle" and b"sd:Service" in response.data
    no_query = client.post("/sparql", headers=BROWSER, content_type="application/x-www-form-urlencoded")
    assert no_query.status_code == 400  # a POST still needs a query


def test_prefixes_json_is_the_predeclared_table(client: FlaskClient) -> None:
    table = client.get("/prefixes.json").get_json()
    assert table["cik"] == "https://w3id.org/citykg/ontology#" and table["city"] == "https://w3id.org/citykg/city/"
    assert table["policy-area"] == "https://w3id.org/citykg/vocab/policy-area/"


# --- the home page ----------------------------------------------------------------------------------


def test_home_lists_every_city_once_with_the_facts_of_the_data(client: FlaskClient) -> None:
    page = html(client, "/")
    assert city_table(page) == SEED_CITIES
    numbers = dict((label, int(value)) for value, label in
                   re.findall(r'<span class="stat__value">(\d+)</span><span class="stat__label">([^<]+)</span>', page))
    assert numbers == {"cities": 5, "countries": 4, "snapshots": 5, "mayors and officers": 11}
    assert "<dt>Survey rounds</dt><dd>2018, 2020</dd>" in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0' in page
    assert re.search(r"<dt>Last build</dt><dd><time>\d{4}-\d\d-\d\d \d\d:\d\d UTC</time></dd>", page)
    medellin = page.split('id="city-table"', 1)[1].split("Medellin</a></th>", 1)[1].split("</tr>", 1)[0]
    assert ">Colombia<" in medellin and ">2,500,000<" in medellin and ">more than 100<" in medellin


def test_home_map_places_the_cities_the_gazetteer_locates(client: FlaskClient) -> None:
    page = html(client, "/")
    mapped = json_blocks(page)["map-data"]
    assert {c["name"]: (c["lat"], c["long"]) for c in mapped} == COORDINATES
    assert {c["name"]: c["href"] for c in mapped}["Mexico City"] == "/city/mexico-city"
    assert 'data-atlas="/static/vendor/world-atlas/countries-110m.json"' in page
    caption = page.split('id="map-title"', 1)[1].split("</figcaption>", 1)[0]
    assert '<a href="/city/saltillo">Saltillo</a>' in caption  # named as not on the map


def test_home_charts_are_the_canned_answers(client: FlaskClient) -> None:
    blocks = json_blocks(html(client, "/"))
    assert [key for key in blocks if key.startswith("chart-")] == [f"chart-{n}-data" for n in charts.HOME_CHARTS]
    lacking = blocks["chart-data-sufficiency-matrix-data"]
    series = {s["name"]: dict(zip(lacking["labels"], s["values"])) for s in lacking["series"]}
    assert lacking["labels"][0] == "Education" and series["Insufficient data"]["Education"] == 3
    assert series["Insufficient data"]["Blight"] == 2 and series["Sufficient data"]["Blight"] == 0
    roles = blocks["chart-roles-data"]
    counts = dict(zip(roles["labels"], roles["series"][0]["values"]))
    assert counts["Data scientist"] == 3 and counts["Engineer"] == 3 and counts[MARKUP_ROLE] == 1
    assert roles["links"][roles["labels"].index("Data scientist")] == "/vocab/role/data-scientist"
    assert roles["series"][0]["values"] == sorted(roles["series"][0]["values"], reverse=True)
    sources = blocks["chart-funding-sources-data"]
    assert dict(zip(sources["labels"], sources["series"][0]["values"]))["Municipal budget"] == 4  # Baltimore names none


def test_markup_in_values_stays_data(client: FlaskClient) -> None:
    """Markup from a snapshot reaches pages as escaped text or as JSON that cannot end its block."""
    home = html(client, "/")
    assert MARKUP_ROLE not in home and "<b>Chief</b>" not in home
    assert "\\u003cb\\u003eChief\\u003c/b\\u003e" in home  # in the chart's JSON block, escaped by tojson
    city = html(client, "/city/medellin")
    assert MARKUP_SPOTLIGHT not in city and "&lt;script&gt;window.__xss" in city
    assert "&lt;b&gt;Chief&lt;/b&gt; hacker &lt;img src=x" in city
    found = client.get("/search", query_string={"q": "hacker"}, headers=JSON).get_json()["results"]
    assert found[0]["label"] == MARKUP_ROLE  # JSON for scripts: the text itself, drawn with textContent


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "kind", "label", "href"),
    [
        ("medellín", "city", "Medellin", "/city/medellin"),  # accents aside
        ("MEXICO", "city", "Mexico City", "/city/mexico-city"),
        ("paula", "person", "Paula Zapata", "/person/medellin/paula-zapata"),
        ("data sci", "concept", "Data scientist", "/vocab/role/data-scientist"),
        ("gutierrez", "person", "Federico Gutiérrez", "/person/medellin/federico-gutierrez"),
    ],
)
def test_search_finds_cities_people_and_topics(client: FlaskClient, q: str, kind: str, label: str, href: str) -> None:
    results = client.get("/search", query_string={"q": q}, headers=JSON).get_json()["results"]
    first = next(r for r in results if r["kind"] == kind)
    assert (first["label"], first["href"]) == (label, href)


def test_search_details_and_page(client: FlaskClient) -> None:
    results = client.get("/search", query_string={"q": "paula zapata"}, headers=JSON).get_json()["results"]
    assert results[0]["detail"] == "Lead innovation officer, Medellin"
    page = html(client, "/search?q=engineer")
    assert '<h2 id="group-concept">Topics' in page and '<a href="/vocab/role/engineer">Engineer</a>' in page
    assert "Nothing matches" in html(client, "/search?q=zzzz") and client.get("/search", headers=JSON).get_json()["results"] == []
    assert fold("Ciudad de México, D.F.") == "ciudad de mexico d f"


@pytest.mark.parametrize("params", [{"q": "x" * 201}, {"q": "lima", "limit": "0"}, {"q": "lima", "limit": "many"}])
def test_search_refuses_bad_parameters(client: FlaskClient, params: dict) -> None:
    response = client.get("/search", query_string=params, headers=JSON)
    assert response.status_code == 400 and response.get_json()["status"] == 400


# --- city pages ---------------------------------------------------------------------------------------


def test_city_page_has_its_chart_its_standing_and_its_peers(client: FlaskClient) -> None:
    page = html(client, "/city/medellin")
    data = json_blocks(page)
    own = dict(zip(data["sufficiency-chart-data"]["labels"], data["sufficiency-chart-data"]["marks"]["values"]))
    assert own["Education"] == own["Water"] == "Insufficient data" and own["Culture"] == "Sufficient data"
    assert own["Public works"] == "No response" and len(own) == 15  # 5 + 7 + 3 on Medellín's page
    notes = re.findall(r'<p class="chart__note">([^<]+)</p>', page)
    assert "Medellin: 8 roles: 1st of 5 cities (median 3)" in notes  # 8 here: the markup role; Baltimore 0
    assert "Medellin: 3 funding sources: 1st of 5 cities (median 2)" in notes
    assert "Medellin: more than 100 staff: 2nd of 4 cities (median 55)" in notes  # 150, >100, 10, 4
    standing = data["standing-roles-data"]
    assert standing["labels"][standing["highlight"]] == "Medellin"
    peers = re.findall(r'<li class="card peer">\s*<h3><a href="([^"]+)">', page)
    assert peers and all(p.startswith("/city/") and p != "/city/medellin" for p in peers)
    assert 'href="http://www.wikidata.org/entity/Q48278"' in page
    assert '<a href="/person/medellin/federico-gutierrez">Federico Gutiérrez</a>' in page


def test_a_city_without_ratings_says_so(client: FlaskClient) -> None:
    page = html(client, "/city/baltimore")
    assert "sufficiency-chart-data" not in json_blocks(page)
    assert "This snapshot does not rate the data available by policy area" in page


# --- compare --------------------------------------------------------------------------------------------


def test_compare_two_cities_side_by_side(client: FlaskClient) -> None:
    page = html(client, "/compare?cities=medellin,city:lima")
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert re.findall(r'<th scope="col"><a href="(/city/[^"]+)">', head) == ["/city/medellin", "/city/lima"]
    roles = page.split("<th scope=\"row\">Innovation skills and roles", 1)[1].split("</tr>", 1)[0]
    assert sorted(re.findall(r'<li class="shared"><a href="[^"]+">([^<]+)</a>', roles)) == (
        ["Data scientist"] * 2 + ["Engineer"] * 2 + ["Project manager"] * 2)
    assert len(json_blocks(page)) == 3  # roles, funding sources, team size


def test_compare_as_json(client: FlaskClient) -> None:
    body = client.get("/compare", query_string={"cities": "medellin,lima"}, headers=JSON).get_json()
    medellin, lima = body["cities"]
    assert medellin["name"] == "Medellin" and medellin["sections"]["Mayor"] == ["Federico Gutiérrez"]
    assert medellin["dataAvailability"]["Education"] == "Insufficient" and lima["round"] == "2020"
    assert medellin["wikidata"] == ["http://www.wikidata.org/entity/Q48278"]


@pytest.mark.parametrize(
    ("cities", "status", "message"),
    [
        ("medellin,atlantis", 404, "no city 'atlantis'"),
        ("medellin", 400, "compare 2 or 3 cities, not 1"),
        ("medellin,lima,saltillo,baltimore", 400, "not 4"),
        ("lima,city:lima", 400, "named twice"),
    ],
)
def test_compare_refuses_what_it_cannot_compare(client: FlaskClient, cities: str, status: int, message: str) -> None:
    page = html(client, "/compare", status, query_string={"cities": cities})
    assert message.replace("'", "&#39;") in page and '<select id="city-1" name="cities"' in page  # the form, to try again
    assert page.count('<option value="medellin" selected>') == (cities.startswith("medellin"))  # what was right stays chosen
    body = client.get("/compare", query_string={"cities": cities}, headers=JSON)
    assert body.status_code == status and message in body.get_json()["error"] and body.get_json()["parameter"] == "cities"


def test_compare_without_cities_is_the_form(client: FlaskClient) -> None:
    page = html(client, "/compare")
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page.split('id="city-1"', 1)[1].split("</select>", 1)[0])
    assert [name for _, name in options] == SEED_CITIES and ("medellin", "Medellin") in options


# --- canned-query pages ---------------------------------------------------------------------------------


def test_a_query_opened_without_its_parameter_is_its_form(client: FlaskClient) -> None:
    page = html(client, "/queries/peer-cities")
    select = page.split('<select id="p-city"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="https://w3id.org/citykg/city/[^"]+">([^<]+)</option>', select) == SEED_CITIES
    assert "Choose city to run this query." in page and 'id="answer"' not in page and "error-box" not in page
    assert client.get("/queries/peer-cities.json").status_code == 400  # API clients keep their 400


def test_a_bad_value_shows_the_form_with_the_message_beside_the_field(client: FlaskClient) -> None:
    page = html(client, "/queries/cities-by-role", 400, query_string={"role": "pilot"})
    field = page.split('<div class="field field--error">', 1)[1].split("</div>", 1)[0]
    assert 'aria-invalid="true"' in field and re.search(r"&#39;pilot&#39; is not one of the \d+ allowed values", field)
    assert 'Check <a href="#p-role">role</a> below.' in page


def test_columns_sort_and_long_answers_come_in_pages(client: FlaskClient) -> None:
    page = html(client, "/queries/roles", query_string={"_sort_desc": "name", "_size": "5", "_page": "2"})
    rows = re.findall(r"<tr><td>([^<]*)</td>", page.split('id="answer"', 1)[1])
    assert len(rows) == 5 and rows == sorted(rows, reverse=True)
    assert 'aria-sort="descending"' in page and "showing 6–10" in page
    assert 'href="?_sort_desc=name&amp;_size=5&amp;_page=1" rel="prev"' in page
    assert 'href="?_sort_desc=name&amp;_size=5&amp;_page=3" rel="next"' in page
    assert 'href="?_size=5&amp;_sort=name"' in page  # the sorted column's link reverses it, from page 1
    csv_link = re.search(r'<a class="pill" href="([^"]+)">CSV</a>', page)
    assert csv_link and csv_link.group(1) == "/queries/roles.csv"  # the whole answer, not the page


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [({"_sort": "nope"}, "_sort", "cannot sort by 'nope'"), ({"_page": "99"}, "_page", "past the last page"),
     ({"_size": "0"}, "_size", "not a positive whole number"), ({"_size": "5000"}, "_size", "above the largest page")],
)
def test_bad_sorting_or_paging_is_a_400_on_the_form(client: FlaskClient, params: dict, parameter: str, message: str) -> None:
    page = html(client, "/queries/roles", 400, query_string=params)
    assert message.replace("'", "&#39;") in page and "error-box" in page


def test_queries_that_suit_a_chart_draw_one(client: FlaskClient) -> None:
    chart = json_blocks(html(client, "/queries/success-factors-ranked"))["result-chart-data"]
    assert chart["title"] == "Critical success factors" and chart["labels"]
    assert "result-chart-data" not in json_blocks(html(client, "/queries/city-leaders"))


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_every_chart_spec_draws_over_the_seeds(web_app: Flask, name: str) -> None:
    """A spec names columns of its query: a renamed column would leave the chart empty."""
    spec = charts.CHARTS[name]
    query = queries_view.load_queries()[name]
    with web_app.test_request_context("/"):
        _, table = queries_view.run_table(name, {**query.example, **spec.params})
        data = charts.chart_data(spec, table, lambda iri: iri)
    assert data is not None and data["labels"] and all(len(s["values"]) == len(data["labels"]) for s in data["series"])
    assert {column for column in spec.label} <= set(table.columns)


def test_the_catalogue_filters_by_words_and_tag(client: FlaskClient) -> None:
    page = html(client, "/queries", query_string={"q": "funding", "tag": "funding"})
    shown = re.findall(r'<li data-text="[^"]*" data-tags="[^"]*">\s*<article class="card query-card">\s*<h3><a href="/queries/([a-z-]+)', page)
    assert shown == ["funding-overview", "funding-sources-vs-activities", "funding-sources"]
    assert '<output data-count="catalogue" aria-live="polite">3 queries</output>' in page


# --- error pages ------------------------------------------------------------------------------------------


def test_errors_are_pages_for_browsers_and_json_for_api_clients(client: FlaskClient, web_app: Flask) -> None:
    page = html(client, "/queries/no-such-query", 404)
    assert '<p class="status">404</p>' in page and "no canned query &#39;no-such-query&#39;" in page
    body = client.get("/queries/no-such-query", headers=JSON)
    assert body.status_code == 404 and body.get_json()["status"] == 404
    unservable = client.get("/queries/roles", query_string={"format": "xml"}, headers=BROWSER)
    assert unservable.status_code == 406 and '<p class="status">406</p>' in unservable.get_data(as_text=True)
    assert client.get("/queries/roles", query_string={"format": "xml"}).get_json()["status"] == 406
    with web_app.test_request_context("/queries/roles", headers=BROWSER):
        timeout = queries_view.error_response(QueryTimeout("the query ran longer than 2 s and was stopped"), "html")
    assert timeout.status_code == 504 and "The query took too long" in timeout.get_data(as_text=True)


def test_built_at_reads_the_build_id() -> None:
    assert built_at("/srv/citykg/var/store.d/20261129T131736-55931c") == "2026-11-29 13:17 UTC"
    assert built_at("http://10.0.0.5:7878/query@593201") == ""  # a remote store: no build time, no URL shown
