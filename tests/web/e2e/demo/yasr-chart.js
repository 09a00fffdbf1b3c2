/* A "Chart" view for YASR (YASGUI's results pane), drawn with the vendored Chart.js.
 *
 * It offers itself when a SELECT answer has a numeric column (every row a number) and another
 * column to label the bars with; otherwise YASR keeps the table. Labels are drawn on a canvas,
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
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Bar chart of ${value} by ${label}`);
    this.yasr.resultsEl.appendChild(canvas);
    this.chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map((row) => row[label].value),
        datasets: [{ label: value, data: rows.map((row) => Number(row[value].value)), backgroundColor: "#2c7fb8" }],
      },
      options: { indexAxis: "y", animation: false, plugins: { legend: { display: false } } },
    });
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
