/* The vendored libraries wired up the way the real pages should use them, proved offline by
 * tests/web/e2e/test_vendored_demo.py. The YASGUI options below are the ones that keep it from
 * reaching other hosts; see startYasgui. Everything user-supplied goes in via textContent.
 */
"use strict";

const ENDPOINT = new URL("/sparql", window.location.href).href;
const PREFIXES = [
  "PREFIX cik: <https://w3id.org/citykg/ontology#>",
  "PREFIX city: <https://w3id.org/citykg/city/>",
  "PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>",
  "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
].join("\n");
const EXAMPLES = [
  { name: "Cities", query: `${PREFIXES}\nSELECT ?city ?name WHERE {\n  ?city a cik:City ; rdfs:label ?name .\n} ORDER BY ?name` },
  { name: "Team sizes", query: `${PREFIXES}\nSELECT ?name ?teamSize WHERE {\n  ?city rdfs:label ?name ; cik:teamSize ?teamSize .\n} ORDER BY DESC(?teamSize)` },
  { name: "Coordinates", query: `${PREFIXES}\nSELECT ?name ?lat ?long WHERE {\n  ?city rdfs:label ?name ; geo:lat ?lat ; geo:long ?long .\n} ORDER BY ?name` },
];

/** Bindings of a SELECT query, from our own endpoint. */
async function select(query) {
  const response = await fetch(ENDPOINT, {
    method: "POST",
    headers: { Accept: "application/sparql-results+json" },
    body: new URLSearchParams({ query }),
  });
  if (!response.ok) throw new Error(`${ENDPOINT} answered ${response.status}: ${await response.text()}`);
  return (await response.json()).results.bindings;
}

function startYasgui(element) {
  // YASQE's `property` and `class` autocompleters query lov.linkeddata.es: keep only the local
  // ones. This must change the defaults: YASGUI merges its config with lodash `merge`, which
  // overwrites arrays index by index and so can never drop an entry.
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  Yasgui.Yasr.registerPlugin("chart", YasrChart);
  Yasgui.Yasr.defaults.pluginOrder = ["table", "chart", "response"];

  const yasgui = new Yasgui(element, {
    requestConfig: { endpoint: ENDPOINT },
    // The endpoint picker offers DBpedia and Wikidata unless told otherwise.
    endpointCatalogueOptions: { getData: () => [{ endpoint: ENDPOINT }] },
    // A permalink (#query=...) may also carry &endpoint=...; never let a link aim this page elsewhere.
    populateFromUrl: (tab) => ({ ...tab, requestConfig: { ...tab.requestConfig, endpoint: ENDPOINT } }),
    yasqe: {
      value: EXAMPLES[0].query,
      // Prefix completion from our own list (a JSON object prefix -> IRI), not from prefix.cc;
      // without this option YASQE uses the list bundled in yasgui.min.js, also offline.
      prefixCcApi: new URL("/prefixes.json", window.location.href).href,
    },
    persistenceId: "citykg-demo", // tabs persist in localStorage, per origin
  });
  const names = new Set(yasgui.persistentConfig.getTabs().map((id) => yasgui.getTab(id).getName()));
  for (const example of EXAMPLES) {
    if (!names.has(example.name)) yasgui.addTab(false, { name: example.name, yasqe: { value: example.query } });
  }
  return yasgui;
}

function drawChart(canvas, rows) {
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((row) => row.name.value),
      datasets: [{ label: "team size", data: rows.map((row) => Number(row.teamSize.value)), backgroundColor: "#2c7fb8" }],
    },
    options: { animation: false, plugins: { legend: { display: false } } },
  });
}

const SVG = "http://www.w3.org/2000/svg";

function svgElement(name, attributes = {}) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

async function drawMap(figure, rows) {
  const response = await fetch("/static/vendor/world-atlas/countries-110m.json");
  const world = await response.json();
  const width = 640;
  const height = 330;
  const projection = d3.geoNaturalEarth1().fitSize([width, height], { type: "Sphere" });
  const path = d3.geoPath(projection);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "map-title" });
  svg.append(svgElement("path", { class: "sphere", d: path({ type: "Sphere" }) }));
  for (const country of topojson.feature(world, world.objects.countries).features) {
    svg.append(svgElement("path", { class: "country", d: path(country), "data-name": country.properties.name }));
  }
  for (const row of rows) {
    const [x, y] = projection([Number(row.long.value), Number(row.lat.value)]);
    const dot = svgElement("circle", { class: "city", cx: x.toFixed(1), cy: y.toFixed(1), r: 5 });
    const title = svgElement("title");
    title.textContent = row.name.value;
    dot.append(title);
    svg.append(dot);
  }
  figure.append(svg);
}

async function main() {
  const yasgui = startYasgui(document.getElementById("yasgui"));
  const [teams, places] = await Promise.all([select(EXAMPLES[1].query), select(EXAMPLES[2].query)]);
  const chart = drawChart(document.getElementById("chart"), teams);
  await drawMap(document.getElementById("map"), places);
  return { yasgui, chart };
}

window.citykgDemo = main();
