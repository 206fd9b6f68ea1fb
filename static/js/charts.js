/*
 * Draws the page's plotly charts.
 *
 * A chart is a <div data-chart="ID"> plus the JSON block Django's json_script filter writes:
 * <script type="application/json" id="ID">{"data": [...], "layout": {...}}</script>.
 * JSON blocks are never executed, so the Content-Security-Policy needs no inline script.
 */
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  // Colour-blind-safe series colours (Okabe–Ito based); dashboards/charts.py uses the same.
  var COLORWAY = ["#2f5bd3", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#0072b2"];

  var BASE_LAYOUT = {
    font: { family: FONT, size: 12, color: "#3d4652" },
    colorway: COLORWAY,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    margin: { l: 48, r: 16, t: 12, b: 36 },
    showlegend: false,
    hoverlabel: { font: { family: FONT, size: 12 }, bgcolor: "#1d232b", bordercolor: "#1d232b" },
    xaxis: { gridcolor: "#eef0f3", linecolor: "#cfd4da", zeroline: false, automargin: true },
    yaxis: { gridcolor: "#eef0f3", linecolor: "#cfd4da", zeroline: false, automargin: true }
  };

  var CONFIG = {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    displayModeBar: "hover",
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // Layout from the page wins; nested objects (axes, fonts) are merged, not replaced.
  function merge(base, extra) {
    var out = {};
    Object.keys(base).forEach(function (key) { out[key] = base[key]; });
    Object.keys(extra || {}).forEach(function (key) {
      out[key] = isObject(out[key]) && isObject(extra[key]) ? merge(out[key], extra[key]) : extra[key];
    });
    return out;
  }

  function showProblem(target, message) {
    target.classList.add("chart--problem");
    target.textContent = message;
  }

  function draw(target) {
    var id = target.getAttribute("data-chart");
    var source = id ? document.getElementById(id) : null;
    if (!source || source.type !== "application/json") {
      showProblem(target, "Chart data missing.");
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      showProblem(target, "Chart data could not be read.");
      return;
    }
    if (!window.Plotly) {
      showProblem(target, "Charts could not be loaded.");
      return;
    }
    target.classList.add("chart--ready");
    window.Plotly.newPlot(target, spec.data || [], merge(BASE_LAYOUT, spec.layout), CONFIG);
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
