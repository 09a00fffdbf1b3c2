/* The map of the surveyed cities: <figure data-map="ID" data-atlas="URL">, the cities in the JSON block ID
 * ([{name, country, href, lat, long}], from the coordinates the build stores with each Wikidata match), drawn
 * with the vendored d3-geo over the vendored Natural Earth outlines (world-atlas): no tile server, nothing
 * fetched from another host. Each dot is a link to its city page, reachable with the keyboard; names go in
 * through textContent only.
 */
"use strict";

window.citykgMap = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 960;
  const ANTARCTICA = "010"; // ISO 3166 numeric id in world-atlas: left off, the map gets more room

  function svg(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
    return element;
  }

  function draw(figure, world, cities) {
    const land = topojson.feature(world, world.objects.countries).features.filter((f) => f.id !== ANTARCTICA);
    const extent = { type: "FeatureCollection", features: land };
    const projection = d3.geoNaturalEarth1();
    projection.fitWidth(WIDTH - 20, extent);
    const path = d3.geoPath(projection);
    const [[, top], [, bottom]] = path.bounds(extent);
    const height = Math.ceil(bottom - top + 20);
    projection.translate([projection.translate()[0] + 10, projection.translate()[1] - top + 10]);

    const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "group", "aria-labelledby": figure.dataset.titleId || "" });
    root.append(svg("path", { class: "graticule", d: path(d3.geoGraticule10()), "aria-hidden": "true" }));
    const countries = svg("g", { "aria-hidden": "true" });
    for (const feature of land) {
      const name = feature.properties && feature.properties.name;
      const shape = svg("path", { class: "country", d: path(feature) || "", "data-name": name || "" });
      if (cities.some((city) => d3.geoContains(feature, [city.long, city.lat]))) shape.classList.add("country--surveyed");
      countries.append(shape);
    }
    root.append(countries);

    const dots = svg("g", { class: "cities" });
    const labels = svg("g", { "aria-hidden": "true" });
    const placed = []; // label boxes already drawn: a label that would overlap one is moved, or left out
    const fits = (box) => placed.every((b) => box.x + box.w < b.x || b.x + b.w < box.x || box.y + box.h < b.y || b.y + b.h < box.y);
    for (const city of cities) {
      const point = projection([city.long, city.lat]);
      if (!point) continue;
      const [x, y] = point;
      const link = svg("a", { href: city.href, "aria-label": city.country ? `${city.name}, ${city.country}` : city.name });
      const dot = svg("circle", { class: "city", cx: x.toFixed(1), cy: y.toFixed(1), r: 6, "data-name": city.name });
      const title = svg("title");
      title.textContent = city.country ? `${city.name}, ${city.country}` : city.name;
      dot.append(title);
      link.append(dot);
      dots.append(link);
      const w = city.name.length * 7.6;
      const spots = [[x + 9, y + 5, "start"], [x - 9, y + 5, "end"], [x, y - 10, "middle"], [x, y + 19, "middle"]];
      for (const [lx, ly, anchor] of spots) {
        const left = anchor === "start" ? lx : anchor === "end" ? lx - w : lx - w / 2;
        const box = { x: left, y: ly - 13, w, h: 16 };
        if (!fits(box)) continue;
        placed.push(box);
        const label = svg("text", { class: "map-label", x: lx.toFixed(1), y: ly.toFixed(1), "text-anchor": anchor });
        label.textContent = city.name;
        labels.append(label);
        break;
      }
    }
    root.append(dots, labels);
    figure.querySelector(".map__frame").replaceChildren(root);
    figure.dataset.drawn = "true";
    return root;
  }

  async function start() {
    const figure = document.querySelector("figure[data-map]");
    if (!figure) return null;
    const cities = JSON.parse(document.getElementById(figure.dataset.map).textContent);
    const response = await fetch(figure.dataset.atlas);
    if (!response.ok) throw new Error(`${figure.dataset.atlas} answered ${response.status}`);
    return draw(figure, await response.json(), cities);
  }

  return { ready: start() };
})();
