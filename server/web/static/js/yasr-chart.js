/* A "Chart" view for YASR (YASGUI's results pane), drawn with the vendored Chart.js.
 *
 * It offers itself when a SELECT answer has a numeric column (every row a number) and another
 * column to label the bars with; otherwise YASR keeps the table. Used by the SPARQL editor
 * (js/editor.js); the colours are those of js/charts.js when the page has it. Labels are drawn on a canvas,
 * so values are never parsed as HTML. Register before creating Yasgui:
 *     Yasgui.Yasr.registerPlugin("chart", YasrChart);
 *     Yasgui.Yasr.defaults.pluginOrder = ["table", "chart", "response"];
 */
"use strict";

class YasrChart {
  constructor(yasr) {
    this.yasr = yasr;
    this.label = "Chart";
    this.priority = 5; // below the table (10), above the raw response (2)
    this.chart = null;
  }

  /** {label, value}: the variables to chart, or null when the answer does not suit a bar chart. */
  columns() {
    const results = this.yasr.results;
    if (!results || !results.getVariables || results.getBoolean() !== undefined) return null;
    const rows = results.getBindings();
    const names = results.getVariables();
    if (!rows || rows.length === 0) return null;
    const numeric = (name) =>
      rows.every((row) => row[name] && row[name].type !== "uri" && row[name].value.trim() !== "" && Number.isFinite(Number(row[name].value)));
    const value = names.find(numeric);
    const label = names.find((name) => name !== value && rows.every((row) => row[name]));
    return value && label ? { label, value } : null;
  }

  canHandleResults() {
    return this.columns() !== null;
  }

  draw() {
    const { label, value } = this.columns();
    const rows = this.yasr.results.getBindings();
    this.destroy();
    const box = document.createElement("div");
    box.style.position = "relative";
    box.style.height = `${Math.min(4000, Math.max(160, rows.length * 24 + 60))}px`;
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Bar chart of ${value} by ${label}; the table view has the same numbers`);
    box.appendChild(canvas);
    this.yasr.resultsEl.appendChild(box);
    const colour = window.citykgCharts ? window.citykgCharts.TONES.primary : "#2f6db5";
    this.chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map((row) => this.shortLabel(row[label])),
        datasets: [{ label: value, data: rows.map((row) => Number(row[value].value)), backgroundColor: colour, borderRadius: 3, maxBarThickness: 20 }],
      },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, title: { display: true, text: value } }, y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  /** An IRI cell compacted with YASR's prefixes (city:medellin), a literal as its text. */
  shortLabel(cell) {
    if (cell.type !== "uri") return cell.value;
    const prefixes = this.yasr.getPrefixes ? this.yasr.getPrefixes() : {};
    for (const [prefix, namespace] of Object.entries(prefixes)) {
      if (cell.value.startsWith(namespace) && cell.value.length > namespace.length) return `${prefix}:${cell.value.slice(namespace.length)}`;
    }
    return cell.value;
  }

  getIcon() {
    const icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "▮";
    return icon;
  }

  destroy() {
    if (this.chart) this.chart.destroy();
    this.chart = null;
  }
}
