/* Draws every <canvas data-chart="ID"> of the page from the JSON block <script type="application/json" id="ID">
 * (written by server/web/charts.py), as horizontal bars with the vendored Chart.js.
 *
 * The JSON: {title, item, unit, stacked, labels[], links[], series: [{name, tone, values[]}], highlight, marks}:
 * `highlight` is the index of a bar drawn in the highlight tone (the city a page is about), `marks` a text per bar
 * ({heading, values[], tones[]}: a city's own rating of each policy area) that colours the bar's label.
 * Labels are drawn on the canvas as text, never parsed as HTML. A bar with a link opens it on click; keyboard
 * and screen-reader users have the same links in the table the template puts under each chart.
 */
"use strict";

window.citykgCharts = (function () {
  // The stylesheet's tones, darkened where needed so bars keep a 3:1 contrast with white.
  const TONES = {
    primary: "#2f6db5",
    highlight: "#c2560c",
    muted: "#aab4bf",
    sufficient: "#2c6fbb",
    insufficient: "#e07b39",
    noresponse: "#9aa4ae",
  };
  const TEXT_TONES = { sufficient: "#1d4e89", insufficient: "#8a2c0d", noresponse: "#3f4650" }; // 7:1 on white
  const LABEL_LIMIT = 42;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1f2328";

  function shorten(label, limit) {
    return label.length > limit ? label.slice(0, limit - 1) + "…" : label;
  }

  function colours(series, data) {
    const base = TONES[series.tone] || TONES.primary;
    if (data.highlight === null || data.highlight === undefined) return base;
    return data.labels.map((_, index) => (index === data.highlight ? TONES.highlight : TONES.muted));
  }

  function integersOnly(data) {
    return data.series.every((series) => series.values.every((value) => Number.isInteger(value)));
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return null;
    const data = JSON.parse(source.textContent);
    const rowHeight = 26;
    const legend = data.series.length > 1;
    canvas.parentElement.style.height = `${Math.max(110, data.labels.length * rowHeight + (legend ? 70 : 46))}px`;
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map((series) => ({
          label: series.name,
          data: series.values,
          backgroundColor: colours(series, data),
          borderRadius: 3,
          maxBarThickness: 20,
          categoryPercentage: data.stacked ? 0.8 : 0.85,
        })),
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        layout: { padding: { right: 8 } },
        scales: {
          x: {
            stacked: data.stacked,
            beginAtZero: true,
            title: { display: Boolean(data.unit), text: data.unit, color: "#4f5a66" },
            ticks: integersOnly(data) ? { precision: 0, color: "#4f5a66" } : { color: "#4f5a66" },
            grid: { color: "#e4e8ec" },
          },
          y: {
            stacked: data.stacked,
            ticks: {
              autoSkip: false,
              // a label may carry the tone of a mark (the city's own rating of the area), darkened for text
              color: data.marks ? (context) => TEXT_TONES[data.marks.tones[context.index]] || "#1f2328" : "#1f2328",
              font: data.marks ? { weight: "600" } : undefined,
              // a phone-width chart keeps room for its bars: shorter labels (the tooltip has them whole)
              callback: function (value) {
                return shorten(data.labels[value], this.chart.width < 520 ? Math.max(12, Math.floor(this.chart.width / 23)) : LABEL_LIMIT);
              },
            },
            grid: { display: false },
          },
        },
        plugins: {
          legend: { display: legend, position: "bottom", labels: { boxWidth: 12, color: "#1f2328" } },
          tooltip: {
            callbacks: {
              title: (items) => data.labels[items[0].dataIndex],
              label: (item) => `${item.dataset.label}: ${item.formattedValue}`,
              footer: (items) => (data.marks ? `${data.marks.heading}: ${data.marks.values[items[0].dataIndex]}` : ""),
            },
          },
        },
        onClick: (_event, elements) => {
          const link = elements.length ? data.links[elements[0].index] : null;
          if (link) window.location.assign(link);
        },
        onHover: (event, elements) => {
          const link = elements.length ? data.links[elements[0].index] : null;
          event.native.target.style.cursor = link ? "pointer" : "default";
        },
      },
    });
    canvas.dataset.drawn = "true";
    return chart;
  }

  function drawAll(root) {
    return [...(root || document).querySelectorAll("canvas[data-chart]")].map(draw).filter(Boolean);
  }

  const drawn = drawAll(document);
  return { TONES, draw, drawAll, drawn };
})();
